// ESM TypeScript under jest: ts-jest transpiles each file on its own (types are checked by `tsc --noEmit`).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // libphonenumber-js's ESM build imports its metadata JSON without an import attribute, which
    // jest's ESM loader warns about (and its next major refuses); its CommonJS build requires it.
    '^libphonenumber-js/max$': '<rootDir>/node_modules/libphonenumber-js/max/index.cjs',
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  // Stores and browsers are closed by each suite; a stray timer must not hold CI.
  forceExit: true,
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};
