import type { Knex } from 'knex';
import { migrationsFor, type MigrationContext } from '../../migrations/index.js';

/** Feeds knex the statically imported migrations (no file-system scanning, same in build and tests). */
class StaticMigrationSource implements Knex.MigrationSource<string> {
  private readonly migrations: Record<string, Knex.Migration>;

  constructor(context: MigrationContext) {
    this.migrations = migrationsFor(context);
  }

  async getMigrations(): Promise<string[]> {
    return Object.keys(this.migrations).sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    return this.migrations[name];
  }
}

/** The migrations as knex's `migrationSource` (tests use it to stop at a given one). */
export function migrationSource(context: MigrationContext = {}): Knex.MigrationSource<string> {
  return new StaticMigrationSource(context);
}

/**
 * Runs pending migrations; returns the names applied. `context.masterKey` is the key secrets
 * are sealed and keyed with (src/secrets/master-key.ts): migrations that convert stored secrets
 * need it, and refuse to run without it when there is something to convert.
 * A database that has every migration already (every start but the first) is told by one query,
 * without knex's run (its lock table, its checks: a tenth of a second and more on the embedded
 * database); anything pending, or a first start, goes through knex as before.
 */
export async function migrateLatest(db: Knex, context: MigrationContext = {}): Promise<string[]> {
  const source = migrationSource(context);
  if (await upToDate(db, await source.getMigrations([]))) return [];
  const [, applied] = await db.migrate.latest({ migrationSource: source });
  return applied as string[];
}

async function upToDate(db: Knex, names: string[]): Promise<boolean> {
  const table = await db.raw(`select to_regclass('knex_migrations') is not null as present`);
  const present = (table.rows ?? table)[0]?.present;
  if (!present) return false;
  const done = new Set((await db('knex_migrations').select('name')).map((r: { name: string }) => r.name));
  return names.every((name) => done.has(name));
}
