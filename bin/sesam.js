#!/usr/bin/env node
// The operator CLI: its code is src/cli/sesam.ts, compiled to dist/ by `npm run build`.
await import('../dist/src/cli/sesam.js').catch((e) => { process.stderr.write(`sesam: ${e.code === 'ERR_MODULE_NOT_FOUND' ? `${e.message.split('\n')[0]} (run npm run build)` : e.message}\n`); process.exit(1); });
