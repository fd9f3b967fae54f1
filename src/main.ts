/**
 * Entry point (`npm start`, `node dist/src/main.js`). It turns on Node's on-disk cache of
 * compiled code first, so later starts skip most of the parsing of Sesam's and its libraries'
 * modules, then loads the server (src/serve.ts).
 */
import module from 'node:module';

module.enableCompileCache?.();
// The embedded database (no DATABASE_URL) starts now, while the server's modules load below.
// Settings are checked after; a bad one still ends the process before anything is served.
if (!process.env.DATABASE_URL && process.env.SESAM_DATA_DIR !== 'memory') {
  const { embeddedFolder, startEarly } = await import('./storage/embedded-postgres.js');
  startEarly(embeddedFolder(process.env.SESAM_DATA_DIR || './.sesam'));
}
await import('./serve.js');
