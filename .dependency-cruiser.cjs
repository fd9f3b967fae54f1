/**
 * The house rules of the import graph, checked by `npm run lint` (dependency-cruiser):
 * no cycles, of files or of folders; the identity domain knows no HTTP and no engine; SQL lives in
 * repositories, which know only the records of src/model; src/ (but its boot assembly) never
 * reaches into the journey.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make modules impossible to read or test alone.', from: {}, to: { circular: true } },
    {
      name: 'domain-knows-no-http',
      severity: 'error',
      comment: 'The identity domain is called by HTTP modules, never the other way round.',
      from: { path: '^src/domain/' },
      to: { path: ['^interactions/', '^portal/', '^src/(http|admin|oidc|cli|boot)/', '^src/app\\.ts$', '^node_modules/(koa|@koa|oidc-provider)/'] },
    },
    {
      name: 'layers-point-down',
      severity: 'error',
      comment:
        'model ← storage, secrets, repositories ← domain ← oidc, admin, http, cli ← interactions: records know no store, repositories (the SQL) know no service, so no folder depends on one that depends on it.',
      from: { path: '^src/(model|storage|secrets|repositories)/' },
      to: { path: '^src/(domain|oidc|admin|http|cli|delivery|security|boot)/|^src/app\\.ts$|^interactions/' },
    },
    {
      name: 'records-are-plain',
      severity: 'error',
      comment: 'The model holds records and their parsers only.',
      from: { path: '^src/model/' },
      to: { path: '^src/(?!model/)' },
    },
    {
      name: 'src-does-not-reach-into-the-journey',
      severity: 'error',
      comment: 'The login journey builds on src/; only the boot assembly wires it in.',
      from: { path: '^src/', pathNot: '^src/(app\\.ts|boot/)' },
      to: { path: '^(interactions|portal)/' },
    },
    {
      name: 'the-cli-is-a-client-of-the-api',
      severity: 'error',
      comment:
        'The CLI talks to the admin API over HTTP, typed by the types generated from its document (src/cli/generated); it reaches into no server code but the storage `migrate` runs.',
      from: { path: '^src/cli/' },
      to: { path: '^src/(admin|domain|oidc|http|repositories|delivery|security|boot)/|^src/app\\.ts$' },
    },
    {
      name: 'the-journey-knows-no-portal',
      severity: 'error',
      comment: 'The account portal (a first-party app of Sesam) reuses the journey; never the other way round.',
      from: { path: '^interactions/' },
      to: { path: '^portal/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules|coverage)/' },
  },
};
