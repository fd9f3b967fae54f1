/**
 * Entry point (`npm start`, `node dist/src/main.js`). It turns on Node's on-disk cache of
 * compiled code first, so later starts skip most of the parsing of Sesam's and its libraries'
 * modules, then loads the server (src/serve.ts).
 */
import module from 'node:module';

module.enableCompileCache?.();
await import('./serve.js');
