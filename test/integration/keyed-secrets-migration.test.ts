/**
 * Migration 006 on a database written before it (PostgreSQL and PGlite): a client secret still
 * in clear in the metadata is sealed and leaves the JSON, and recovery codes stored as plain
 * sha256 become keyed hashes; the client's secret and an old recovery code still work after.
 * Without the master key, or with another one, it refuses and changes nothing.
 */
import crypto from 'node:crypto';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createEmbeddedDatabase, createPostgresDatabase, migrateTo003, type TestDatabase } from '../helpers/stores.js';
import { migrateLatest } from '../../src/storage/migrate.js';
import { Cipher } from '../../src/secrets/cipher.js';
import { deriveKey } from '../../src/secrets/keyring.js';
import { ClientsRepository } from '../../src/repositories/clients-repository.js';
import { FactorsRepository } from '../../src/repositories/factors-repository.js';
import { RecoveryCodes } from '../../src/domain/recovery-codes.js';
import { startTestServer } from '../helpers/server.js';

const SECRET = 'a-secret-stored-in-clear-before-003-0123456789';
const CODES = ['abcde-fghij', 'klmno-pqrst', 'uvwxy-z2345'];
const sha256hex = (code: string) => crypto.createHash('sha256').update(code.replace('-', '')).digest('hex');

describe.each([
  ['PostgreSQL', createPostgresDatabase],
  ['PGlite', createEmbeddedDatabase],
])('migration 006_keyed_secrets (%s)', (_name, create) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.drop();
    t = undefined;
  });

  /** A database at 003, as a server of that time left it: keys sealed, one secret and codes not. */
  async function databaseAt003(masterKey: Buffer): Promise<{ db: TestDatabase['db']; userId: string }> {
    t = await create({ migrate: false });
    await migrateTo003(t.db, masterKey);
    const [{ name }] = await t.db('knex_migrations').orderBy('id', 'desc').limit(1);
    expect(name).toBe('003_sealed_client_secrets');
    await t.db('clients').insert({
      client_id: 'legacy',
      metadata: JSON.stringify({
        client_id: 'legacy',
        client_secret: SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    });
    await t.db('clients').insert({ client_id: 'spa', metadata: JSON.stringify({ client_id: 'spa', token_endpoint_auth_method: 'none' }) });
    const userId = crypto.randomUUID();
    await t.db('users').insert({ id: userId, login: 'old-timer' });
    await t.db('recovery_codes').insert(CODES.map((c, i) => ({ user_id: userId, code_hash: sha256hex(c), used_at: i === 2 ? new Date() : null })));
    return { db: t.db, userId };
  }

  it('seals plaintext client secrets and keys sha256 recovery codes; both still work', async () => {
    const masterKey = crypto.randomBytes(32);
    const { db, userId } = await databaseAt003(masterKey);
    const applied = await migrateLatest(db, { masterKey });
    expect(applied).toContain('006_keyed_secrets');

    const row = await db('clients').where({ client_id: 'legacy' }).first();
    const metadata = typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata;
    expect(metadata).not.toHaveProperty('client_secret');
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(row.secret_sealed).toMatch(/^v1\./);
    const clients = new ClientsRepository(db, new Cipher(masterKey));
    expect((await clients.find('legacy'))!.metadata.client_secret).toBe(SECRET);
    expect((await clients.find('spa'))!.metadata.client_secret).toBeUndefined();

    const stored = (await db('recovery_codes').where({ user_id: userId })).map((r) => r.code_hash as string);
    for (const c of CODES) expect(stored).not.toContain(sha256hex(c));
    const recovery = new RecoveryCodes(new FactorsRepository(db), deriveKey(masterKey, 'recovery-codes'));
    expect(await recovery.use(userId, CODES[0])).toBe(true);
    expect(await recovery.use(userId, CODES[0])).toBe(false); // still single use
    expect(await recovery.use(userId, CODES[2])).toBe(false); // used before the migration: still used
    expect(await recovery.remaining(userId)).toBe(1);
  });

  it('refuses without the master key, or with another one, and changes nothing', async () => {
    const masterKey = crypto.randomBytes(32);
    const { db, userId } = await databaseAt003(masterKey);
    const knexLog = jest.spyOn(console, 'log').mockImplementation(() => undefined); // knex logs failed migrations
    await expect(migrateLatest(db)).rejects.toThrow(/006_keyed_secrets needs the master key to seal 1 client secret\(s\) and key 3 recovery code/);
    await expect(migrateLatest(db, { masterKey: crypto.randomBytes(32) })).rejects.toThrow(/does not open the database's sealed signing keys/);
    // knex runs a batch in one transaction: nothing after 003 was applied
    knexLog.mockRestore();
    expect((await db('knex_migrations').orderBy('id').select('name')).map((r) => r.name)).toEqual(['001_foundation', '002_second_factors', '003_sealed_client_secrets']);
    const row = await db('clients').where({ client_id: 'legacy' }).first();
    expect(row.secret_sealed).toBeNull();
    expect((await db('recovery_codes').where({ user_id: userId })).map((r) => r.code_hash)).toContain(sha256hex(CODES[0]));
    // with the right key it goes through
    expect(await migrateLatest(db, { masterKey })).toContain('006_keyed_secrets');
    expect((await db('clients').where({ client_id: 'legacy' }).first()).secret_sealed).toMatch(/^v1\./);
  });
});

describe('migration 006_keyed_secrets at server start (PostgreSQL)', () => {
  it('runs with the server\'s key, and the old client still gets tokens', async () => {
    const masterKey = crypto.randomBytes(32);
    const t = await createPostgresDatabase({ migrate: false });
    try {
      await migrateTo003(t.db, masterKey);
      await t.db('clients').insert({
        client_id: 'legacy',
        metadata: JSON.stringify({ client_id: 'legacy', client_secret: SECRET, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
      });
      const server = await startTestServer({ reuse: { dataDir: t.dataDir, databaseUrl: t.url }, env: { SESAM_ENCRYPTION_KEY: masterKey.toString('base64') } });
      try {
        const token = await fetch(`${server.url}/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`legacy:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
        });
        expect(token.status).toBe(200);
        expect(((await token.json()) as { access_token?: string }).access_token).toBeTruthy();
      } finally {
        await server.stop({ keepData: true });
      }
      const row = await t.db('clients').where({ client_id: 'legacy' }).first();
      expect(JSON.stringify(row.metadata)).not.toContain(SECRET);
    } finally {
      await t.drop();
    }
  });
});
