/** Entry point: read settings, build Sesam, serve, and stop gracefully on SIGTERM/SIGINT. */
import { loadSettings, SettingsError } from '../config/settings.js';
import { createSesam, StartupError } from './app.js';

async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings(process.env);
  } catch (e) {
    if (e instanceof SettingsError) {
      process.stderr.write(`sesam: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  let sesam;
  try {
    sesam = await createSesam(settings);
  } catch (e) {
    if (e instanceof StartupError) {
      process.stderr.write(`sesam: ${e.message}\n`);
      process.exit(3);
    }
    process.stderr.write(`sesam: could not start: ${(e as Error).message}\n`);
    process.exit(1);
  }
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

void main();
