/**
 * Entry point (`npm start`, `node dist/src/main.js`). It turns on Node's on-disk cache of
 * compiled code first, so later starts skip most of the parsing of Sesam's and its libraries'
 * modules, then loads the server (src/serve.ts).
 */
import module from 'node:module';

module.enableCompileCache?.();
await startEmbeddedEarly();
await import('./serve.js');

/**
 * The embedded database (no DATABASE_URL) starts now, while the server's modules load. Only with
 * settings that hold: a bad one is reported by serve.ts, and must leave no data folder behind.
 */
async function startEmbeddedEarly(): Promise<void> {
  const { loadSettings } = await import('../config/settings.js');
  let settings;
  try {
    settings = loadSettings(process.env);
  } catch {
    return;
  }
  if (settings.databaseUrl || settings.workers > 1) return;
  const { embeddedFolder, startEarly } = await import('./storage/embedded-postgres.js');
  startEarly(embeddedFolder(settings.dataDir));
}
