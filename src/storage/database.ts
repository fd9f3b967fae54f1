/**
 * The one relational store: PostgreSQL when DATABASE_URL is set, otherwise an embedded
 * PostgreSQL (PGlite) in the data folder, so the same migrations and SQL run everywhere.
 */
import { createRequire } from 'node:module';
import knexFactory, { type Knex } from 'knex';
import { embeddedFolder, embeddedPostgres } from './embedded-postgres.js';

// The embedded database's dialect (and PGlite under it) is loaded only when it is the one used:
// a server on PostgreSQL never pays for it at start. Both are CommonJS, so a synchronous require.
const require = createRequire(import.meta.url);

export type Database = Knex;

export type Queryable = Knex | Knex.Transaction;

export interface DatabaseOptions {
  databaseUrl?: string;
  /** Folder of the embedded database (used when databaseUrl is unset). `memory` keeps it in memory. */
  dataDir: string;
  /** PostgreSQL: connections this process keeps at most (10). Every process of a deployment has its own pool. */
  poolMax?: number;
}

export function openDatabase(options: DatabaseOptions): Database {
  if (options.databaseUrl) {
    return knexFactory({
      client: 'pg',
      connection: options.databaseUrl,
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout: 10000,
    });
  }
  const pglite = embeddedPostgres(options.dataDir === 'memory' ? undefined : embeddedFolder(options.dataDir));
  const ClientPgLite = require('knex-pglite') as typeof knexFactory.Client;
  return knexFactory({ client: ClientPgLite, dialect: 'postgres', connection: { pglite } as never });
}

export function isEmbedded(db: Database): boolean {
  return db.client.config.client !== 'pg';
}

/** A cheap round trip, for readiness. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.raw('select 1');
}

/** Rows affected by a delete/update: pg gives a number, PGlite's dialect a result object. */
export function affectedRows(result: unknown): number {
  if (typeof result === 'number') return result;
  const r = result as { rowCount?: number; affectedRows?: number } | undefined;
  return Number(r?.rowCount ?? r?.affectedRows ?? 0);
}
