/**
 * Runs the server: read settings, build Sesam, serve, and stop gracefully on SIGTERM/SIGINT.
 * With SESAM_WORKERS > 1 this process is the primary of a pool (src/boot/worker-pool.ts): it
 * builds Sesam once without serving (migrations, keys, bootstrap clients, the import file: all a
 * first start generates, done once), lets it go, and forks the workers, which come back here and
 * serve. Exit codes: 2 a bad setting, 3 a start refused (StartupError), 1 any other failure.
 */
import cluster from 'node:cluster';
import { loadSettings, SettingsError, type Settings } from '../config/settings.js';
import { createSesam, StartupError, type Sesam } from './app.js';
import { runWorkerPool } from './boot/worker-pool.js';
import { createLogger } from './logger.js';

function fail(code: number, message: string): never {
  process.stderr.write(`sesam: ${message}\n`);
  process.exit(code);
}

async function build(settings: Settings): Promise<Sesam> {
  try {
    // A worker's lines say which worker wrote them.
    const logger = cluster.worker ? createLogger(settings.logLevel).child({ worker: cluster.worker.id }) : undefined;
    return await createSesam(settings, logger);
  } catch (e) {
    if (e instanceof StartupError) fail(3, e.message);
    fail(1, `could not start: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings(process.env);
  } catch (e) {
    if (e instanceof SettingsError) fail(2, e.message);
    throw e;
  }
  if (cluster.isPrimary && settings.workers > 1) {
    const prepared = await build(settings);
    await prepared.close();
    process.exit(await runWorkerPool(settings.workers, prepared.logger));
  }
  const sesam = await build(settings);
  await sesam.listen();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    sesam.logger.info({ signal }, 'shutting down');
    await sesam.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
