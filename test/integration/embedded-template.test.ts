/**
 * The embedded database's template (issue 13, start time): a fresh data folder is unpacked from a
 * database made and migrated at build time instead of running PGlite's initdb and every migration
 * at start. The template must hold the whole current schema and nothing else, and must never
 * replace a folder that already holds a database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from '@jest/globals';
import knexFactory from 'knex';
import { PGlite } from '@electric-sql/pglite';
import { templateFor } from '../../src/storage/embedded-template.js';
import { embeddedFolder, embeddedPostgres, startEarly } from '../../src/storage/embedded-postgres.js';
import { writeEmbeddedTemplate } from '../../src/storage/write-embedded-template.js';
import { migrateLatest } from '../../src/storage/migrate.js';
import { tmpDir } from '../helpers/stores.js';

const require = createRequire(import.meta.url);
const ClientPgLite = require('knex-pglite') as typeof knexFactory.Client;

describe('the embedded database template', () => {
  const dir = tmpDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is a database at the latest schema, with no rows in any table of Sesam', async () => {
    const file = path.join(dir, 'template.tar');
    await writeEmbeddedTemplate(file);
    const folder = path.join(dir, 'pgdata');
    fs.mkdirSync(folder);
    const template = templateFor(folder, file);
    expect(template).toBeDefined();
    const db = knexFactory({ client: ClientPgLite, dialect: 'postgres', connection: { pglite: new PGlite(folder, { loadDataDir: template }) } as never });
    try {
      // Nothing left to apply: the start's migration check is a single query.
      expect(await migrateLatest(db, {})).toEqual([]);
      const tables = (await db.raw(`select tablename from pg_tables where schemaname = 'public' and tablename not like 'knex_%'`)).rows.map((r: { tablename: string }) => r.tablename);
      expect(tables).toEqual(expect.arrayContaining(['users', 'tenants', 'clients', 'server_secrets', 'signing_keys']));
      for (const table of tables) expect(Number((await db(table).count({ n: '*' }))[0].n)).toBe(0);
    } finally {
      await db.destroy();
    }
    // A folder that holds a database now is never overwritten by it.
    expect(fs.existsSync(path.join(folder, 'PG_VERSION'))).toBe(true);
    expect(templateFor(folder, file)).toBeUndefined();
    // Without a template (a build that skipped it) a folder is initialised as before.
    expect(templateFor(path.join(dir, 'other'), path.join(dir, 'missing.tar'))).toBeUndefined();
  });

  it('started early by the entry point, is the one the server opens: never two on one folder', async () => {
    const folder = embeddedFolder(path.join(dir, 'early'));
    startEarly(folder);
    startEarly(folder); // a second call starts nothing more
    const first = embeddedPostgres(folder);
    await first.waitReady;
    expect(fs.existsSync(path.join(folder, 'PG_VERSION'))).toBe(true);
    await first.query('create table started_early (id int)');
    await first.close();
    // Taken once: a later open of the folder starts its own, on the same data.
    const second = embeddedPostgres(folder);
    try {
      expect(second).not.toBe(first);
      expect((await second.query<{ n: number }>(`select count(*)::int as n from pg_tables where tablename = 'started_early'`)).rows[0].n).toBe(1);
    } finally {
      await second.close();
    }
  });
});
