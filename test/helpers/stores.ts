/**
 * Real stores for tests: a fresh PostgreSQL database per call (dropped afterwards), an embedded
 * PGlite database in a temporary folder, and a Redis connection with a unique key prefix.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { Redis } from 'ioredis';
import { openDatabase, type Database } from '../../src/storage/database.js';
import { migrateLatest, migrationSource } from '../../src/storage/migrate.js';
import { Cipher } from '../../src/secrets/cipher.js';
import { ensureSigningKeys } from '../../src/oidc/signing-keys.js';

export const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export interface TestDatabase {
  db: Database;
  url?: string;
  dataDir: string;
  drop(): Promise<void>;
}

/**
 * A new, migrated PostgreSQL database on the local server (`migrate: false`: empty, for tests
 * that migrate step by step). Fresh databases hold no secret to convert, so the migrations
 * need no master key here.
 */
export async function createPostgresDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `sesam_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = openDatabase({ databaseUrl: url.toString(), dataDir: tmpDir() });
  if (options.migrate !== false) await migrateLatest(db);
  return {
    db,
    url: url.toString(),
    dataDir: tmpDir(),
    async drop() {
      await db.destroy();
      const a = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
      await a.raw(`drop database if exists ${name} with (force)`);
      await a.destroy();
    },
  };
}

/** A new, migrated embedded (PGlite) database in a temporary folder (`migrate: false`: empty). */
export async function createEmbeddedDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = tmpDir();
  const db = openDatabase({ dataDir });
  if (options.migrate !== false) await migrateLatest(db);
  return {
    db,
    dataDir,
    async drop() {
      await db.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A Redis connection whose keys all start with a unique prefix; `cleanup` deletes them. */
export async function createTestRedis(): Promise<{ redis: Redis; prefix: string; cleanup(): Promise<void> }> {
  const prefix = `sesam-test:${crypto.randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { keyPrefix: prefix });
  return {
    redis,
    prefix,
    async cleanup() {
      await deleteRedisKeys(prefix);
      redis.disconnect();
    },
  };
}

/** Deletes every Redis key that starts with `prefix`. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const raw = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await raw.del(...keys);
  } while (cursor !== '0');
  raw.disconnect();
}

export function tmpDir(): string {
  const dir = path.join(os.tmpdir(), `sesam-test-${crypto.randomBytes(6).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Brings a database made with `{ migrate: false }` to migration 003 (before the keyed secrets),
 * with its signing keys sealed under `masterKey`, as a server of that time left it.
 */
export async function migrateTo003(db: Database, masterKey: Buffer): Promise<void> {
  const source = migrationSource();
  for (let i = 0; i < 3; i++) await db.migrate.up({ migrationSource: source });
  await ensureSigningKeys(db, new Cipher(masterKey));
}
