/** `sesam migrate`: the database migrations, run on the database itself (not through the API). */
import type { Command } from 'commander';
import { leaf, wantsJson } from '../command.js';
import { CliError } from '../errors.js';
import { out } from '../output.js';

export function registerMigrate(program: Command): void {
  leaf(
    program,
    'migrate',
    "run the database migrations on DATABASE_URL (or the embedded database in SESAM_DATA_DIR); needs the server's master key (SESAM_ENCRYPTION_KEY or SESAM_DATA_DIR/master.key)",
  ).action(async (_opts: object, cmd: Command) => {
    // Loaded here only: the other commands need none of the server's storage code.
    const { loadSettings, SettingsError } = await import('../../../config/settings.js');
    const { openDatabase } = await import('../../storage/database.js');
    const { migrateLatest } = await import('../../storage/migrate.js');
    const { loadMasterKey } = await import('../../secrets/master-key.js');
    let settings;
    try {
      settings = loadSettings(process.env);
    } catch (e) {
      if (e instanceof SettingsError) throw new CliError(e.message);
      throw e;
    }
    // The server's key, found the same way (SESAM_ENCRYPTION_KEY, else the data folder's
    // master.key): some migrations seal or key stored secrets with it.
    let masterKey: Buffer;
    try {
      masterKey = loadMasterKey(settings.encryptionKey, settings.dataDir);
    } catch (e) {
      throw new CliError(`cannot load the master key: ${(e as Error).message}`);
    }
    const db = openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
    try {
      const applied = await migrateLatest(db, { masterKey });
      if (wantsJson(cmd)) out(JSON.stringify({ applied }));
      else out(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'the database is up to date');
    } catch (e) {
      throw new CliError(`migrations failed: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      await db.destroy().catch(() => undefined);
    }
  });
}
