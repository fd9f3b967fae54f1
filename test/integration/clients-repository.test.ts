/** Client registrations on real PostgreSQL: secrets sealed in their own column, never in the metadata. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { createPostgresDatabase, type TestDatabase } from '../helpers/stores.js';
import { ClientsRepository } from '../../src/repositories/clients-repository.js';
import { Cipher } from '../../src/secrets/cipher.js';

describe('clients repository (PostgreSQL)', () => {
  let t: TestDatabase;
  const cipher = new Cipher(crypto.randomBytes(32));
  beforeAll(async () => {
    t = await createPostgresDatabase();
  });
  afterAll(async () => t.drop());

  it('stores the secret sealed and bound to the client, and gives it back to the engine', async () => {
    const repo = new ClientsRepository(t.db, cipher);
    const secret = 'a-client-secret-that-must-not-leak-0123456789';
    await repo.upsert({ clientId: 'app', metadata: { client_id: 'app', client_secret: secret, redirect_uris: ['https://app.example/cb'] }, firstParty: true, tenants: null });
    const row = await t.db('clients').where({ client_id: 'app' }).first();
    expect(JSON.stringify(row.metadata)).not.toContain(secret);
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.secret_sealed).not.toContain(secret);
    expect((await repo.find('app'))!.metadata.client_secret).toBe(secret);
    // moved to another client's row, the sealed secret does not open
    await t.db('clients').insert({ client_id: 'other', metadata: JSON.stringify({ client_id: 'other' }), secret_sealed: row.secret_sealed });
    await expect(repo.find('other')).rejects.toThrow();
    // a public client has no secret at all
    await repo.upsert({ clientId: 'spa', metadata: { client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: [] }, firstParty: false, tenants: ['t1'] });
    const spa = await repo.find('spa');
    expect(spa!.metadata.client_secret).toBeUndefined();
    expect(spa!.tenants).toEqual(['t1']);
  });
});
