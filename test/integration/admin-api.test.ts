/**
 * The admin API against a real Sesam on PostgreSQL + Redis: bearer authentication (401/403),
 * tenants, users and clients end to end, unlock, initial passwords, key rotation seen in the
 * JWKS, second factors (status, the reset for a lost phone, trusted devices, new recovery
 * codes), JSON errors for bad bodies and bad references, and an OpenAPI document that lists
 * every route the router serves.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import argon2 from 'argon2';
import { Secret, TOTP } from 'otpauth';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { call, type Answer } from '../helpers/http-call.js';
import { adminRouter } from '../../src/admin/router.js';
import { FactorsRepository } from '../../src/repositories/factors-repository.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';
import { TotpService } from '../../src/domain/totp.js';
import { RecoveryCodes } from '../../src/domain/recovery-codes.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { Cipher } from '../../src/secrets/cipher.js';
import { loadMasterKey } from '../../src/secrets/master-key.js';
import { deriveKey } from '../../src/secrets/keyring.js';

describe('admin API (PostgreSQL + Redis)', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', redis: true });
    token = await adminToken(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function api(method: string, path: string, body?: unknown, options: { token?: string | null; raw?: string; contentType?: string } = {}): Promise<Answer> {
    const bearer = options.token === undefined ? token : options.token;
    return call(`${server.url}/admin${path}`, method, { token: bearer ?? undefined, body, raw: options.raw, contentType: options.contentType });
  }

  async function clientCredentialsToken(clientId: string, clientSecret: string, scope?: string): Promise<string> {
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
    });
    const body = (await res.json()) as { access_token?: string };
    expect(body.access_token).toBeTruthy();
    return body.access_token!;
  }

  describe('authentication', () => {
    it('refuses a request without a token, or with a bad one, with 401 invalid_token and a Bearer challenge', async () => {
      for (const bearer of [null, 'not-a-real-token', 'x'.repeat(43)]) {
        const res = await api('GET', '/v1/tenants', undefined, { token: bearer });
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('invalid_token');
        expect(typeof res.body.error_description).toBe('string');
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
      }
      const basic = await fetch(`${server.url}/admin/v1/tenants`, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
      expect(basic.status).toBe(401);
      expect(((await basic.json()) as { error: string }).error).toBe('invalid_token');
    });

    it('refuses a client_credentials token without the admin scope with 403 insufficient_scope', async () => {
      const created = await api('POST', '/v1/clients', { client_id: 'reporting', grant_types: ['client_credentials'], redirect_uris: [] });
      expect(created.status).toBe(201);
      expect(typeof created.body.client_secret).toBe('string');
      const reporting = await clientCredentialsToken('reporting', created.body.client_secret);
      const res = await api('GET', '/v1/tenants', undefined, { token: reporting });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('insufficient_scope');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*insufficient_scope/);

      // The admin client itself, with a token that was not given the admin scope.
      const { clientId, clientSecret } = server.sesam.adminCredentials;
      const unscoped = await clientCredentialsToken(clientId, clientSecret);
      expect((await api('GET', '/v1/tenants', undefined, { token: unscoped })).status).toBe(403);
      // The admin token works.
      expect((await api('GET', '/v1/tenants')).status).toBe(200);
    });
  });

  describe('tenants', () => {
    it('creates, refuses a duplicate, reads, replaces, merges a policy patch, lists and deletes', async () => {
      const created = await api('POST', '/v1/tenants', { id: 'acme', name: 'Acme', policy: { lockout: { threshold: 3, mode: 'temporary' } } });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe('/admin/v1/tenants/acme');
      expect(created.body).toMatchObject({ id: 'acme', name: 'Acme', policy: { mfa: 'off', lockout: { threshold: 3, mode: 'temporary' } } });

      const dup = await api('POST', '/v1/tenants', { id: 'acme', name: 'Other' });
      expect(dup.status).toBe(409);
      expect(dup.body.error).toBe('conflict');
      expect(dup.body.error_description).toContain('acme');

      expect((await api('GET', '/v1/tenants/acme')).body.name).toBe('Acme');

      const renamed = await api('PUT', '/v1/tenants/acme', { name: 'Acme Titres-Services' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe('Acme Titres-Services');
      expect(renamed.body.policy.lockout.mode).toBe('temporary'); // policy kept when omitted

      const mismatch = await api('PUT', '/v1/tenants/acme', { id: 'other', name: 'X' });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.error_description).toMatch(/^id: /);

      const patched = await api('PATCH', '/v1/tenants/acme/policy', { mfa: 'required', lockout: { threshold: 5 } });
      expect(patched.status).toBe(200);
      expect(patched.body.policy).toMatchObject({ mfa: 'required', lockout: { threshold: 5, mode: 'temporary' } });

      const badPolicy = await api('PATCH', '/v1/tenants/acme/policy', { mfa: 'sometimes' });
      expect(badPolicy.status).toBe(400);
      expect(badPolicy.body).toMatchObject({ error: 'invalid_request' });
      expect(badPolicy.body.error_description).toMatch(/^policy\.mfa: /);

      const invalid = await api('POST', '/v1/tenants', { id: 'Bad Id', name: 'x' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error_description).toMatch(/^id: /);

      expect((await api('POST', '/v1/tenants', { id: 'beta', name: 'Beta' })).status).toBe(201);
      expect((await api('PUT', '/v1/tenants/gamma', { name: 'Gamma' })).status).toBe(201);
      const list = await api('GET', '/v1/tenants');
      expect(list.status).toBe(200);
      expect(list.body.map((t: { id: string }) => t.id).sort()).toEqual(['acme', 'beta', 'gamma']);

      expect((await api('DELETE', '/v1/tenants/gamma')).status).toBe(204);
      const gone = await api('GET', '/v1/tenants/gamma');
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ error: 'not_found' });
      expect((await api('DELETE', '/v1/tenants/gamma')).status).toBe(404);
    });
  });

  describe('users', () => {
    let marieId: string;

    beforeAll(async () => {
      for (const id of ['acme', 'beta']) await api('PUT', `/v1/tenants/${id}`, { name: id.toUpperCase() });
    });

    it('creates a user with an initial password and memberships, never showing the hash', async () => {
      const res = await api('POST', '/v1/users', {
        login: 'Marie',
        email: 'marie@example.be',
        password: 'initial-password-1',
        phone: '0470 12 34 56',
        tenants: ['acme', { id: 'beta', role: 'admin' }],
      });
      expect(res.status).toBe(201);
      marieId = res.body.id;
      expect(res.headers.get('location')).toBe(`/admin/v1/users/${marieId}`);
      expect(res.body).toMatchObject({ login: 'marie', email: 'marie@example.be', phone: '+32470123456', hasPassword: true, mustChangePassword: true });
      expect(res.body).not.toHaveProperty('passwordHash');
      expect(JSON.stringify(res.body)).not.toContain('argon2');
      expect(res.body.memberships.map((m: { tenantId: string; role: string }) => `${m.tenantId}:${m.role}`).sort()).toEqual(['acme:member', 'beta:admin']);
    });

    it('finds a user by uuid, login or e-mail, and lists by tenant', async () => {
      for (const id of [marieId, 'marie', 'MARIE@example.be']) {
        const res = await api('GET', `/v1/users/${encodeURIComponent(id)}`);
        expect(res.status).toBe(200);
        expect(res.body.id).toBe(marieId);
        expect(res.body).not.toHaveProperty('passwordHash');
      }
      await api('POST', '/v1/users', { login: 'jan', tenants: ['beta'] });
      const acme = await api('GET', '/v1/users?tenant=acme');
      expect(acme.body.map((u: { login: string }) => u.login)).toEqual(['marie']);
      const all = await api('GET', '/v1/users?limit=1&offset=1');
      expect(all.body.map((u: { login: string }) => u.login)).toEqual(['marie']); // jan, marie by login
      expect(all.body[0]).not.toHaveProperty('passwordHash');
      expect((await api('GET', '/v1/users?tenant=ghost')).status).toBe(404);
      const badLimit = await api('GET', '/v1/users?limit=0');
      expect(badLimit.status).toBe(400);
      expect(badLimit.body.error_description).toMatch(/^limit: /);
      const unknown = await api('GET', '/v1/users/nobody');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error_description).toContain('nobody');
    });

    it('refuses a duplicate login, an unknown tenant and a bad phone with a message naming them', async () => {
      const dup = await api('POST', '/v1/users', { login: 'MARIE' });
      expect(dup.status).toBe(409);
      expect(dup.body.error_description).toMatch(/marie/i);
      const ghost = await api('POST', '/v1/users', { login: 'piet', tenants: ['ghost'] });
      expect(ghost.status).toBe(404);
      expect(ghost.body.error_description).toContain('ghost');
      const phone = await api('POST', '/v1/users', { login: 'piet', phone: '123' });
      expect(phone.status).toBe(400);
      expect(phone.body.error_description).toContain('123');
      const unknownKey = await api('POST', '/v1/users', { login: 'piet', passwordHash: 'x' });
      expect(unknownKey.status).toBe(400);
      expect(unknownKey.body.error_description).toContain('passwordHash');
      expect((await api('GET', '/v1/users/piet')).status).toBe(404);
    });

    it('changes a profile, but never the password, with PATCH', async () => {
      const res = await api('PATCH', '/v1/users/marie', { name: 'Marie Dupont', locale: 'nl' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'Marie Dupont', locale: 'nl', login: 'marie' });
      const pw = await api('PATCH', '/v1/users/marie', { password: 'sneaky-new-password' });
      expect(pw.status).toBe(400);
      expect(pw.body.error_description).toMatch(/^password: /);
    });

    it('unlocks a locked user and records account.unlocked with the admin client', async () => {
      await server.sesam.db('users').where({ id: marieId }).update({ locked: true, failed_attempts: 3 });
      expect((await api('GET', '/v1/users/marie')).body).toMatchObject({ locked: true, failedAttempts: 3 });
      const res = await api('POST', '/v1/users/marie/unlock');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ locked: false, failedAttempts: 0 });
      const row = await server.sesam.db('users').where({ id: marieId }).first();
      expect(row.locked).toBe(false);
      const events = await api('GET', '/v1/users/marie/events?type=account.unlocked');
      expect(events.status).toBe(200);
      expect(events.body).toHaveLength(1);
      expect(events.body[0]).toMatchObject({ type: 'account.unlocked', userId: marieId, clientId: server.sesam.adminCredentials.clientId });
      const all = await api('GET', `/v1/events?user=marie&type=account.unlocked`);
      expect(all.body).toHaveLength(1);
      expect((await api('POST', '/v1/users/nobody/unlock')).status).toBe(404);
    });

    it('sets an initial password the user must change at the next sign-in', async () => {
      await server.sesam.db('users').where({ id: marieId }).update({ must_change_password: false, locked: true });
      const before = (await server.sesam.db('users').where({ id: marieId }).first()).password_hash;
      const res = await api('POST', '/v1/users/marie/reset-password', { password: 'a-new-initial-password' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ mustChangePassword: true, locked: false, hasPassword: true });
      const row = await server.sesam.db('users').where({ id: marieId }).first();
      expect(row.must_change_password).toBe(true);
      expect(row.password_hash).not.toBe(before);
      expect(await argon2.verify(row.password_hash, 'a-new-initial-password')).toBe(true);
      const missing = await api('POST', '/v1/users/marie/reset-password', {});
      expect(missing.status).toBe(400);
      expect(missing.body.error_description).toMatch(/^password: /);
    });

    it('deletes a user', async () => {
      expect((await api('DELETE', '/v1/users/jan')).status).toBe(204);
      expect((await api('GET', '/v1/users/jan')).status).toBe(404);
      expect((await api('DELETE', '/v1/users/jan')).status).toBe(404);
      const created = await api('GET', '/v1/events?type=admin.user_created&limit=10');
      expect(created.body.length).toBe(2); // marie and jan
    });

    it('refuses to delete a tenant a client still lists', async () => {
      expect((await api('POST', '/v1/clients', { client_id: 'acme-app', redirect_uris: ['https://acme.example/cb'], tenants: ['acme'] })).status).toBe(201);
      const res = await api('DELETE', '/v1/tenants/acme');
      expect(res.status).toBe(409);
      expect(res.body.error_description).toContain('acme-app');
      expect((await api('GET', '/v1/tenants/acme')).status).toBe(200);
    });
  });

  describe('clients', () => {
    it('registers a client, returns a generated secret once, never shows it again, replaces and deletes', async () => {
      const created = await api('POST', '/v1/clients', {
        client_id: 'jobtracker',
        client_name: 'Job Tracker',
        redirect_uris: ['https://jobs.example/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
        first_party: true,
      });
      expect(created.status).toBe(201);
      const secret = created.body.client_secret;
      expect(typeof secret).toBe('string');
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(created.body).toMatchObject({ client_id: 'jobtracker', first_party: true, tenants: null, redirect_uris: ['https://jobs.example/cb'] });

      const got = await api('GET', '/v1/clients/jobtracker');
      expect(got.status).toBe(200);
      expect(got.body).not.toHaveProperty('client_secret');
      expect(got.body.token_endpoint_auth_method).toBe('client_secret_basic');
      const list = await api('GET', '/v1/clients');
      expect(list.body.map((c: { client_id: string }) => c.client_id)).toEqual(expect.arrayContaining(['jobtracker', server.sesam.adminCredentials.clientId]));
      for (const c of list.body) expect(c).not.toHaveProperty('client_secret');
      expect(JSON.stringify(list.body)).not.toContain(server.sesam.adminCredentials.clientSecret);

      const dup = await api('POST', '/v1/clients', { client_id: 'jobtracker', redirect_uris: ['https://jobs.example/cb'] });
      expect(dup.status).toBe(409);

      // Replacing what GET shows keeps the secret.
      const replaced = await api('PUT', '/v1/clients/jobtracker', { ...got.body, redirect_uris: ['https://jobs.example/cb2'] });
      expect(replaced.status).toBe(200);
      expect(replaced.body).not.toHaveProperty('client_secret');
      expect(replaced.body.redirect_uris).toEqual(['https://jobs.example/cb2']);
      expect((await server.sesam.directory.clients.find('jobtracker'))!.metadata.client_secret).toBe(secret);

      expect((await api('PUT', '/v1/clients/jobtracker', { client_id: 'other', redirect_uris: [] })).status).toBe(400);
      expect((await api('DELETE', '/v1/clients/jobtracker')).status).toBe(204);
      expect((await api('GET', '/v1/clients/jobtracker')).status).toBe(404);
      expect((await api('DELETE', '/v1/clients/jobtracker')).status).toBe(404);
    });

    it('refuses a redirect URI that is not a URL and an unknown tenant, naming them', async () => {
      const badUri = await api('POST', '/v1/clients', { client_id: 'badapp', redirect_uris: ['not a url'] });
      expect(badUri.status).toBe(400);
      expect(badUri.body.error).toBe('invalid_request');
      expect(badUri.body.error_description).toMatch(/^redirect_uris\.0: /);
      const ghost = await api('POST', '/v1/clients', { client_id: 'badapp', redirect_uris: ['https://app.example/cb'], tenants: ['ghost'] });
      expect(ghost.status).toBe(404);
      expect(ghost.body.error_description).toContain('ghost');
      // The engine's own validation (a redirect URI with a fragment) comes back as 400 too.
      const fragment = await api('POST', '/v1/clients', { client_id: 'badapp', redirect_uris: ['https://app.example/cb#frag'] });
      expect(fragment.status).toBe(400);
      expect(fragment.body.error_description).toContain('badapp');
      expect((await api('GET', '/v1/clients/badapp')).status).toBe(404);
    });
  });

  describe('keys', () => {
    it('rotates the signing keys: new kids published, old ones still published, the token still valid', async () => {
      const jwks = async () => ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      const before = await jwks();
      const listed = await api('GET', '/v1/keys');
      expect(listed.status).toBe(200);
      const active = listed.body.filter((k: { active: boolean }) => k.active).map((k: { kid: string }) => k.kid);
      expect(active.sort()).toEqual([...before].sort());

      const rotated = await api('POST', '/v1/keys/rotate');
      expect(rotated.status).toBe(200);
      expect(rotated.body.kids).toHaveLength(2);
      for (const kid of rotated.body.kids) expect(before).not.toContain(kid);

      const after = await jwks();
      expect(after).toEqual(expect.arrayContaining([...rotated.body.kids, ...before]));
      const keysAfter = await api('GET', '/v1/keys'); // the token issued before the rotation still works
      expect(keysAfter.status).toBe(200);
      const keys = keysAfter.body as { kid: string; active: boolean; published: boolean; retiredAt: string | null }[];
      for (const kid of before) expect(keys.find((k) => k.kid === kid)).toMatchObject({ active: false, published: true });
      for (const kid of rotated.body.kids) expect(keys.find((k) => k.kid === kid)).toMatchObject({ active: true, retiredAt: null });
      const events = await api('GET', '/v1/events?type=admin.keys_rotated');
      expect(events.body).toHaveLength(1);
    });
  });

  describe('second factors', () => {
    let userId: string;
    let totp: TotpService;
    let otp: TOTP;
    let recovery: RecoveryCodes;
    let devices: TrustedDevices;
    let oldCodes: string[];
    let laptop: { id: string; token: string };
    let phone: { id: string; token: string };

    beforeAll(async () => {
      const db = server.sesam.db;
      const factors = new FactorsRepository(db);
      // The server's own key, so the factor is one the server itself can read.
      const masterKey = loadMasterKey(server.sesam.settings.encryptionKey, server.sesam.settings.dataDir);
      totp = new TotpService(factors, new Cipher(masterKey));
      recovery = new RecoveryCodes(factors, deriveKey(masterKey, 'recovery-codes'));
      devices = new TrustedDevices(new DevicesRepository(db));

      const created = await api('POST', '/v1/users', { login: 'sophie', email: 'sophie@example.be', phone: '0471 11 22 33', password: 'initial-password-2' });
      expect(created.status).toBe(201);
      userId = created.body.id;
      await server.sesam.directory.users.update(userId, { phoneVerifiedAt: new Date(), preferredFactor: 'totp' });
      const secret = totp.newSecret();
      otp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
      expect(await totp.confirm(userId, secret, otp.generate())).toBe(true);
      oldCodes = await recovery.regenerate(userId);
      laptop = await devices.trust(userId, { userAgent: 'Firefox on the office laptop', ip: '192.0.2.10', days: 30 });
      phone = await devices.trust(userId, { userAgent: 'Safari on the lost phone', ip: '198.51.100.7', days: 30 });
    });

    it("shows a user's second factors, by uuid, login or e-mail", async () => {
      for (const id of [userId, 'sophie', 'SOPHIE@example.be']) {
        const res = await api('GET', `/v1/users/${encodeURIComponent(id)}/second-factors`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ sms: true, totp: true, recoveryCodesRemaining: 10, trustedDevices: 2, passkeys: 0 });
      }
      const unknown = await api('GET', '/v1/users/nobody/second-factors');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toBe('not_found');
      expect(unknown.body.error_description).toContain('nobody');
      expect((await api('GET', '/v1/users/00000000-0000-4000-8000-000000000000/second-factors')).status).toBe(404);
    });

    it('lists trusted devices newest first, never with their token or its hash', async () => {
      const res = await api('GET', '/v1/users/sophie/devices');
      expect(res.status).toBe(200);
      expect(res.body.map((d: { id: string }) => d.id)).toEqual([phone.id, laptop.id]);
      expect(res.body[0]).toMatchObject({ userAgent: 'Safari on the lost phone', ip: '198.51.100.7', lastUsedAt: null });
      for (const d of res.body) {
        expect(Object.keys(d).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent']);
        expect(new Date(d.expiresAt).getTime()).toBeGreaterThan(Date.now());
      }
      const text = JSON.stringify(res.body);
      const stored = await server.sesam.db('trusted_devices').where({ user_id: userId }).pluck('token_hash');
      expect(stored).toHaveLength(2);
      for (const secretValue of [laptop.token, phone.token, ...stored]) expect(text).not.toContain(secretValue);
      expect(text).not.toMatch(/token/i);
      expect((await api('GET', '/v1/users/nobody/devices')).status).toBe(404);
    });

    it('revokes one trusted device; an unknown, foreign or already revoked device is a 404', async () => {
      const other = await api('POST', '/v1/users', { login: 'lucas' });
      const foreign = await devices.trust(other.body.id, { days: 30 });
      for (const deviceId of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', foreign.id]) {
        const res = await api('DELETE', `/v1/users/sophie/devices/${deviceId}`);
        expect(res.status).toBe(404);
        expect(res.body.error).toBe('not_found');
      }
      expect(await devices.isTrusted(other.body.id, foreign.token)).toBe(true);
      expect((await api('DELETE', `/v1/users/nobody/devices/${phone.id}`)).status).toBe(404);

      const revoked = await api('DELETE', `/v1/users/sophie/devices/${phone.id}`);
      expect(revoked.status).toBe(204);
      expect(await devices.isTrusted(userId, phone.token)).toBe(false);
      expect(await devices.isTrusted(userId, laptop.token)).toBe(true);
      expect((await api('DELETE', `/v1/users/sophie/devices/${phone.id}`)).status).toBe(404);
      expect((await api('GET', '/v1/users/sophie/devices')).body.map((d: { id: string }) => d.id)).toEqual([laptop.id]);

      const events = await api('GET', '/v1/users/sophie/events?type=admin.device_revoked');
      expect(events.body).toHaveLength(1);
      expect(events.body[0]).toMatchObject({ userId, clientId: server.sesam.adminCredentials.clientId, details: { deviceId: phone.id } });
    });

    it('issues 10 new recovery codes, shown once, each good once; the earlier ones stop working', async () => {
      const res = await api('POST', '/v1/users/sophie/recovery-codes');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const codes = res.body.codes as string[];
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
      expect(await recovery.use(userId, oldCodes[0])).toBe(false);
      expect(await recovery.use(userId, codes[3])).toBe(true);
      expect(await recovery.use(userId, codes[3])).toBe(false);
      expect((await api('GET', '/v1/users/sophie/second-factors')).body.recoveryCodesRemaining).toBe(9);
      // Stored only as hashes: no code in the table.
      const hashes = await server.sesam.db('recovery_codes').where({ user_id: userId }).pluck('code_hash');
      for (const code of codes) expect(hashes.join()).not.toContain(code.replace('-', ''));
      const events = await api('GET', '/v1/users/sophie/events?type=admin.recovery_codes_regenerated');
      expect(events.body).toHaveLength(1);
      expect(events.body[0].clientId).toBe(server.sesam.adminCredentials.clientId);
      expect(JSON.stringify(events.body)).not.toContain(codes[0]);
      expect((await api('POST', '/v1/users/nobody/recovery-codes')).status).toBe(404);
    });

    it('switches every second factor off for a lost phone, keeping the number, and records it', async () => {
      const remaining = await recovery.regenerate(userId);
      const res = await api('DELETE', '/v1/users/sophie/second-factors');
      expect(res.status).toBe(204);
      expect((await api('GET', '/v1/users/sophie/second-factors')).body).toEqual({ sms: false, totp: false, recoveryCodesRemaining: 0, trustedDevices: 0, passkeys: 0 });
      expect(await totp.isEnrolled(userId)).toBe(false);
      expect(await totp.verify(userId, otp.generate())).toBe('not_enrolled');
      expect(await recovery.use(userId, remaining[0])).toBe(false);
      expect(await devices.isTrusted(userId, laptop.token)).toBe(false);
      expect((await api('GET', '/v1/users/sophie/devices')).body).toEqual([]);
      const user = await server.sesam.directory.users.findById(userId);
      expect(user).toMatchObject({ phone: '+32471112233', phoneVerifiedAt: null, preferredFactor: null });
      expect(user!.passwordHash).toBeTruthy(); // the password stays

      const events = await api('GET', '/v1/users/sophie/events?type=admin.second_factors_reset');
      expect(events.body).toHaveLength(1);
      expect(events.body[0]).toMatchObject({
        userId,
        clientId: server.sesam.adminCredentials.clientId,
        details: { totp: true, recoveryCodes: 10, trustedDevices: 1, sms: true },
      });

      // Again: nothing left to remove, still fine.
      expect((await api('DELETE', '/v1/users/sophie/second-factors')).status).toBe(204);
      const unknown = await api('DELETE', '/v1/users/nobody/second-factors');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toBe('not_found');
    });

    it('requires the admin token', async () => {
      for (const [method, path] of [
        ['GET', '/v1/users/sophie/second-factors'],
        ['DELETE', '/v1/users/sophie/second-factors'],
        ['GET', '/v1/users/sophie/devices'],
        ['DELETE', `/v1/users/sophie/devices/${laptop.id}`],
        ['POST', '/v1/users/sophie/recovery-codes'],
      ]) {
        const res = await api(method, path, undefined, { token: null });
        expect(res.status).toBe(401);
      }
    });
  });

  describe('errors', () => {
    it('answers a malformed, oversized or non-JSON body with a JSON 4xx, never a 500', async () => {
      const malformed = await api('POST', '/v1/tenants', undefined, { raw: '{"id": "x", ' });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toMatch(/application\/json/);
      expect(malformed.body.error).toBe('invalid_request');
      expect(malformed.body.error_description).toMatch(/^body: /);

      const scalar = await api('POST', '/v1/tenants', undefined, { raw: '"just a string"' });
      expect(scalar.status).toBe(400);
      expect(scalar.body.error).toBe('invalid_request');

      const array = await api('PATCH', '/v1/tenants/beta/policy', []);
      expect(array.status).toBe(400);

      const big = await api('POST', '/v1/tenants', { id: 'big', name: 'x'.repeat(300 * 1024) });
      expect(big.status).toBe(413);
      expect(big.body.error).toBe('invalid_request');

      const form = await api('POST', '/v1/tenants', undefined, { raw: 'id=x&name=y', contentType: 'application/x-www-form-urlencoded' });
      expect(form.status).toBe(415);
      expect(form.body.error).toBe('invalid_request');
    });

    it('answers unknown admin paths with a JSON 404 and wrong methods with 405', async () => {
      const missing = await api('GET', '/v1/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe('not_found');
      const wrong = await api('DELETE', '/v1/keys');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toContain('GET');
      expect(wrong.body.error).toBe('method_not_allowed');
    });
  });

  describe('OpenAPI', () => {
    it('serves an OpenAPI 3.1 document without authentication, with the client_credentials scheme', async () => {
      const res = await fetch(`${server.url}/admin/openapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as any;
      expect(doc.openapi).toBe('3.1.0');
      for (const p of [
        '/admin/v1/tenants',
        '/admin/v1/tenants/{id}/policy',
        '/admin/v1/users/{id}/unlock',
        '/admin/v1/users/{id}/reset-password',
        '/admin/v1/users/{id}/second-factors',
        '/admin/v1/users/{id}/devices/{deviceId}',
        '/admin/v1/clients/{id}',
        '/admin/v1/keys/rotate',
        '/admin/v1/events',
      ]) {
        expect(doc.paths).toHaveProperty([p]);
      }
      expect(doc.paths['/admin/v1/keys/rotate'].post).toBeDefined();
      expect(doc.components.schemas.TenantInput.required).toEqual(expect.arrayContaining(['id', 'name']));
      const scheme = Object.values(doc.components.securitySchemes)[0] as any;
      expect(scheme.type).toBe('oauth2');
      expect(scheme.flows.clientCredentials.tokenUrl).toBe(`${server.issuer}/token`);
      expect(scheme.flows.clientCredentials.scopes).toHaveProperty('admin');
      // Every $ref resolves.
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
      expect(refs.length).toBeGreaterThan(10);
      for (const [, kind, name] of refs) expect(doc.components[kind]).toHaveProperty([name]);
    });

    it('describes exactly the routes the router serves', async () => {
      const doc = (await (await fetch(`${server.url}/admin/openapi.json`)).json()) as any;
      const router = adminRouter({ issuer: server.issuer } as never);
      const served = new Set<string>();
      for (const layer of router.stack) {
        const path = String(layer.path);
        if (path.includes('*')) continue; // the JSON 404/405 catch-all
        for (const method of layer.methods) if (method !== 'HEAD') served.add(`${method.toLowerCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
      }
      const documented = new Set<string>();
      for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
        for (const method of Object.keys(item)) if (method !== 'parameters') documented.add(`${method} ${path}`);
      }
      expect(served.size).toBeGreaterThan(20);
      expect([...served].sort()).toEqual([...documented].sort());
    });
  });
});
