import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';

/** Feeds knex the statically imported migrations (no file-system scanning, same in build and tests). */
class StaticMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return Object.keys(migrations).sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    return migrations[name];
  }
}

/** Runs pending migrations; returns the names applied. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource: new StaticMigrationSource() });
  return applied as string[];
}
