/**
 * Dynamic client registration on real PostgreSQL and Redis: with
 * DYNAMIC_REGISTRATION=initial-access-token an app registers itself (RFC 7591) with an initial
 * access token an operator minted, and manages its registration (RFC 7592); off by default. A
 * dynamically registered client never gets the `admin` scope, client_credentials, first-party
 * standing or tenants its token did not name, whatever it asks and however it asks.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { call, clientCredentials } from '../helpers/http-call.js';
import { initialAccessTokenId } from '../../src/oidc/registration.js';

describe('dynamic client registration, off by default (PostgreSQL + Redis)', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', redis: true });
    token = await adminToken(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('has no registration endpoint, and mints no initial access token (501 not_implemented)', async () => {
    const discovery = await call(`${server.url}/.well-known/openid-configuration`, 'GET');
    expect(discovery.body).not.toHaveProperty('registration_endpoint');
    const reg = await call(`${server.url}/reg`, 'POST', { body: { redirect_uris: ['https://app.example/cb'] } });
    expect(reg.status).toBe(404);

    const minted = await call(`${server.url}/admin/v1/initial-access-tokens`, 'POST', { token, body: {} });
    expect(minted.status).toBe(501);
    expect(minted.body.error).toBe('not_implemented');
    expect(minted.body.error_description).toContain('DYNAMIC_REGISTRATION=initial-access-token');
    expect((await call(`${server.url}/admin/v1/initial-access-tokens/abc`, 'GET', { token })).status).toBe(501);
    expect((await call(`${server.url}/admin/v1/initial-access-tokens/abc`, 'DELETE', { token })).status).toBe(501);
    expect(await server.sesam.db('events').where({ type: 'admin.initial_access_token_created' })).toHaveLength(0);
  });
});

describe('dynamic client registration with initial access tokens (PostgreSQL + Redis)', () => {
  let server: TestServer;
  let token: string;
  const api = (method: string, path: string, body?: unknown, bearer: string = token) => call(`${server.url}/admin/v1${path}`, method, { token: bearer, body });
  const register = (iat: string | undefined, metadata: Record<string, unknown>) => call(`${server.url}/reg`, 'POST', { token: iat, body: metadata });
  const app = { redirect_uris: ['https://partner.example/cb'], client_name: 'Partner app' };
  const mint = async (body: Record<string, unknown> = {}) => {
    const res = await api('POST', '/initial-access-tokens', body);
    expect(res.status).toBe(201);
    return res.body as { id: string; token: string; expiresAt: string; maxClients: number; used: number; tenants: string[] | null; registrationEndpoint: string };
  };

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', redis: true, env: { DYNAMIC_REGISTRATION: 'initial-access-token' } });
    token = await adminToken(server);
    for (const id of ['acme', 'beta']) expect((await api('POST', '/tenants', { id, name: id.toUpperCase() })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('mints an initial access token shown once, with its terms, and refuses bad terms', async () => {
    const minted = await api('POST', '/initial-access-tokens', { expiresIn: 3600, maxClients: 2, tenants: ['acme', 'acme'] });
    expect(minted.status).toBe(201);
    expect(minted.body).toMatchObject({ maxClients: 2, used: 0, tenants: ['acme'], registrationEndpoint: `${server.issuer}/reg` });
    expect(minted.body.id).toBe(initialAccessTokenId(minted.body.token));
    expect(minted.headers.get('location')).toBe(`/admin/v1/initial-access-tokens/${minted.body.id}`);
    const expiresIn = (Date.parse(minted.body.expiresAt) - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(3500);
    expect(expiresIn).toBeLessThanOrEqual(3600);

    const got = await api('GET', `/initial-access-tokens/${minted.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ id: minted.body.id, expiresAt: minted.body.expiresAt, maxClients: 2, used: 0, tenants: ['acme'] });

    // Defaults: a day, one client, every tenant.
    const defaults = await api('POST', '/initial-access-tokens');
    expect(defaults.status).toBe(201);
    expect(defaults.body).toMatchObject({ maxClients: 1, used: 0, tenants: null });
    expect((Date.parse(defaults.body.expiresAt) - Date.now()) / 1000).toBeGreaterThan(86000);

    const ghost = await api('POST', '/initial-access-tokens', { tenants: ['ghost'] });
    expect(ghost.status).toBe(404);
    expect(ghost.body.error_description).toContain('ghost');
    for (const bad of [{ expiresIn: 10 }, { expiresIn: 31 * 24 * 3600 }, { maxClients: 0 }, { tenants: [] }, { policies: ['x'] }]) {
      const res = await api('POST', '/initial-access-tokens', bad);
      expect({ bad, status: res.status, error: res.body.error }).toEqual({ bad, status: 400, error: 'invalid_request' });
    }
    expect((await api('GET', '/initial-access-tokens/unknown')).status).toBe(404);

    // The audit trail names the token by its id, never by its value.
    const audit = await server.sesam.db('events').where({ type: 'admin.initial_access_token_created' }).orderBy('id');
    expect(audit[0]).toMatchObject({ actor_type: 'operator', target_type: 'initial_token', target_id: minted.body.id });
    const dump = JSON.stringify(await server.sesam.db('events').select('*'));
    expect(dump).not.toContain(minted.body.token);
    expect(dump).not.toContain(defaults.body.token);
  });

  it('registers a client with a token (RFC 7591): stored in PostgreSQL, listed by the admin API, never first-party, serving the token’s tenants', async () => {
    const discovery = await call(`${server.url}/.well-known/openid-configuration`, 'GET');
    expect(discovery.body.registration_endpoint).toBe(`${server.issuer}/reg`);
    const iat = await mint({ tenants: ['acme'] });

    // It asks for first-party standing and another tenant: Sesam decides those, not the client.
    const res = await register(iat.token, { ...app, first_party: true, tenants: ['beta'] });
    expect(res.status).toBe(201);
    const { client_id: clientId, client_secret: secret, registration_access_token: rat, registration_client_uri: uri } = res.body;
    expect(typeof secret).toBe('string');
    expect(typeof rat).toBe('string');
    expect(uri).toBe(`${server.issuer}/reg/${clientId}`);
    expect(res.body.scope.split(' ')).not.toContain('admin');

    const stored = await server.sesam.directory.clients.find(clientId);
    expect(stored).toMatchObject({ firstParty: false, tenants: ['acme'], notice: null });
    expect(stored!.metadata).toMatchObject({ client_name: 'Partner app', redirect_uris: app.redirect_uris, token_endpoint_auth_method: 'client_secret_basic' });
    expect((await server.sesam.db('clients').where({ client_id: clientId }).first()).metadata).not.toHaveProperty('client_secret');
    const listed = (await api('GET', '/clients')).body.find((c: { client_id: string }) => c.client_id === clientId);
    expect(listed).toMatchObject({ client_id: clientId, first_party: false, tenants: ['acme'], client_name: 'Partner app' });
    expect(listed).not.toHaveProperty('client_secret');
    // What the engine derives is not stored: what GET shows, PUT takes back (and the secret stays).
    const replaced = await api('PUT', `/clients/${clientId}`, { ...listed, tenants: ['acme', 'beta'] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ ...listed, tenants: ['acme', 'beta'] });
    expect((await server.sesam.directory.clients.find(clientId))!.metadata.client_secret).toBe(secret);

    expect((await api('GET', `/initial-access-tokens/${iat.id}`)).body.used).toBe(1);
    // One client per token by default.
    const again = await register(iat.token, app);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_token');
    expect(again.body.error_description).toBeDefined();

    // The registration is in the event log, without a secret or a token.
    const events = await server.sesam.db('events').where({ type: 'client.registered', client_id: clientId });
    expect(events).toHaveLength(1);
    expect(events[0].details).toEqual({ initialAccessToken: iat.id, tenants: ['acme'] });
    const dump = JSON.stringify(await server.sesam.db('events').select('*'));
    for (const value of [secret, rat, iat.token]) expect(dump).not.toContain(value);
  });

  it('refuses a registration without a token, with a token that is not an initial access token, or with a revoked one', async () => {
    const clients = async () => (await server.sesam.directory.clients.list()).length;
    const before = await clients();
    expect((await register(undefined, app)).status).toBe(401);
    expect((await register('made-up-token-value-0123456789abcdefghijk', app)).status).toBe(401);
    // The operator's own admin access token is no initial access token.
    const admin = await register(token, app);
    expect(admin.status).toBe(401);
    expect(admin.body.error).toBe('invalid_token');

    const iat = await mint({ maxClients: 5 });
    expect((await api('DELETE', `/initial-access-tokens/${iat.id}`)).status).toBe(204);
    const revoked = await register(iat.token, app);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toBe('invalid_token');
    expect((await api('DELETE', `/initial-access-tokens/${iat.id}`)).status).toBe(404);
    expect((await api('GET', `/initial-access-tokens/${iat.id}`)).status).toBe(404);
    const audit = await server.sesam.db('events').where({ type: 'admin.initial_access_token_revoked' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'operator', target_type: 'initial_token', target_id: iat.id });

    // A tenant the token names that has gone since: no client for it.
    expect((await api('POST', '/tenants', { id: 'gone', name: 'Gone' })).status).toBe(201);
    const forGone = await mint({ tenants: ['gone'] });
    expect((await api('DELETE', '/tenants/gone')).status).toBe(204);
    const orphan = await register(forGone.token, app);
    expect(orphan.status).toBe(401);
    expect(orphan.body.error).toBe('invalid_token');
    expect(await clients()).toBe(before);
  });

  describe('attack: a registered client tries to give itself operator powers', () => {
    it('cannot register with the admin scope, client_credentials, another auth method, or URLs Sesam would fetch; a refusal does not use the token up', async () => {
      const iat = await mint({ maxClients: 1 });
      const attempts: [Record<string, unknown>, RegExp][] = [
        [{ scope: 'openid admin' }, /scope admin/],
        [{ scope: 'admin' }, /scope admin/],
        [{ grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }, /client_credentials/],
        [{ grant_types: ['authorization_code', 'client_credentials'] }, /client_credentials/],
        [{ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } }, /private_key_jwt/],
        [{ jwks_uri: 'http://127.0.0.1:6379/' }, /jwks_uri/],
        [{ sector_identifier_uri: 'http://169.254.169.254/latest' }, /sector_identifier_uri/],
        [{ backchannel_logout_uri: 'http://10.0.0.1/logout' }, /backchannel_logout_uri/],
      ];
      for (const [extra, message] of attempts) {
        const res = await register(iat.token, { ...app, ...extra });
        expect({ extra, status: res.status, error: res.body.error }).toEqual({ extra, status: 400, error: 'invalid_client_metadata' });
        expect(res.body.error_description).toMatch(message);
      }
      // The engine's own refusal (a redirect URI with a fragment) does not use it up either.
      expect((await register(iat.token, { redirect_uris: ['https://partner.example/cb#x'] })).status).toBe(400);
      expect((await api('GET', `/initial-access-tokens/${iat.id}`)).body.used).toBe(0);
      expect((await register(iat.token, app)).status).toBe(201);
    });

    it('gets no admin token, and cannot reach the admin API with any token it holds', async () => {
      const iat = await mint();
      const res = await register(iat.token, app);
      expect(res.status).toBe(201);
      const { client_id: clientId, client_secret: secret, registration_access_token: rat } = res.body;
      for (const scope of ['admin', undefined]) {
        const grant = await clientCredentials(server, clientId, secret, scope);
        expect(grant.status).toBe(400);
        expect(grant.body).toEqual({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
      }
      const withRat = await api('GET', '/clients', undefined, rat);
      expect(withRat.status).toBe(401);
      const withIat = await api('GET', '/clients', undefined, iat.token);
      expect(withIat.status).toBe(401);
    });

    it('cannot raise its scope or grants by updating its registration (RFC 7592)', async () => {
      const iat = await mint({ tenants: ['beta'] });
      const res = await register(iat.token, app);
      const { client_id: clientId, registration_access_token: rat, registration_client_uri: uri } = res.body;
      for (const extra of [{ scope: 'openid admin' }, { grant_types: ['client_credentials'] }, { backchannel_logout_uri: 'http://10.0.0.1/' }]) {
        const update = await call(uri, 'PUT', { token: rat, body: { client_id: clientId, ...app, ...extra } });
        expect({ extra, status: update.status, error: update.body.error }).toEqual({ extra, status: 400, error: 'invalid_client_metadata' });
      }
      const stored = await server.sesam.directory.clients.find(clientId);
      expect(stored).toMatchObject({ firstParty: false, tenants: ['beta'] });
      expect(String(stored!.metadata.scope).split(' ')).not.toContain('admin');
      expect(stored!.metadata.grant_types).toEqual(['authorization_code', 'refresh_token']);
    });

    it('is refused by the client store even when a token gets past the policy (minted without it)', async () => {
      const provider = server.sesam.host.current;
      const bare = await new provider.InitialAccessToken({ expiresIn: 60 }).save();
      const admin = await register(bare, { ...app, scope: 'openid admin' });
      expect(admin.status).toBe(400);
      expect(admin.body.error).toBe('invalid_client_metadata');
      // A plain registration too: the store keeps only what Sesam's policy let through.
      const plain = await register(bare, app);
      expect(plain.status).toBe(401);
      expect(plain.body.error).toBe('invalid_token');
      const clientStore = (provider.Client as unknown as { adapter: { upsert(id: string, payload: object): Promise<void> } }).adapter;
      await expect(clientStore.upsert('sneaky', { client_id: 'sneaky', redirect_uris: ['https://x.example/cb'] })).rejects.toThrow();
      expect(await server.sesam.directory.clients.find('sneaky')).toBeUndefined();
    });
  });

  it('lets a client read, update and delete its registration with its registration access token (RFC 7592), rotating the token on update', async () => {
    const iat = await mint({ tenants: ['acme'] });
    const res = await register(iat.token, app);
    const { client_id: clientId, client_secret: secret, registration_access_token: rat, registration_client_uri: uri } = res.body;

    const read = await call(uri, 'GET', { token: rat });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ client_id: clientId, client_secret: secret, redirect_uris: app.redirect_uris });
    expect((await call(uri, 'GET', { token: 'wrong-token-0123456789abcdefghijklmnopq' })).status).toBe(401);
    // The token of one client manages no other (and the engine destroys a token so misused).
    const other = await register((await mint()).token, app);
    expect((await call(uri, 'GET', { token: other.body.registration_access_token })).status).toBe(401);
    expect((await call(other.body.registration_client_uri, 'GET', { token: other.body.registration_access_token })).status).toBe(401);

    // Tenants and first-party standing are not the client's to change.
    const update = { client_id: clientId, client_name: 'Partner app v2', redirect_uris: ['https://partner.example/cb2'], first_party: true, tenants: ['beta'] };
    const updated = await call(uri, 'PUT', { token: rat, body: update });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ client_name: 'Partner app v2', redirect_uris: ['https://partner.example/cb2'], client_secret: secret });
    const rotated: string = updated.body.registration_access_token;
    expect(rotated).not.toBe(rat);
    expect((await call(uri, 'GET', { token: rat })).status).toBe(401);
    const shown = await api('GET', `/clients/${clientId}`);
    expect(shown.body).toMatchObject({ client_name: 'Partner app v2', redirect_uris: ['https://partner.example/cb2'], first_party: false, tenants: ['acme'] });
    expect(await server.sesam.db('events').where({ type: 'client.registration_updated', client_id: clientId })).toHaveLength(1);

    // An operator rotating its secret: the registration shows the new one, the old one is refused.
    const newSecret = (await api('POST', `/clients/${clientId}/rotate-secret`)).body.client_secret;
    expect((await call(uri, 'GET', { token: rotated })).body.client_secret).toBe(newSecret);

    expect((await call(uri, 'DELETE', { token: rotated })).status).toBe(204);
    expect((await api('GET', `/clients/${clientId}`)).status).toBe(404);
    expect(await server.sesam.directory.clients.find(clientId)).toBeUndefined();
    expect((await call(uri, 'GET', { token: rotated })).status).toBe(401);
    expect(await server.sesam.db('events').where({ type: 'client.registration_deleted', client_id: clientId })).toHaveLength(1);
  });

  it('keeps a registered client and its registration access token across a restart', async () => {
    const iat = await mint();
    const res = await register(iat.token, app);
    expect(res.status).toBe(201);
    const { client_id: clientId, registration_access_token: rat } = res.body;
    const prefix = server.env.REDIS_KEY_PREFIX;
    await server.stop({ keepData: true });
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      env: { DYNAMIC_REGISTRATION: 'initial-access-token' },
      reuse: { dataDir: server.dataDir, databaseUrl: server.databaseUrl, redisKeyPrefix: prefix },
    });
    token = await adminToken(server);
    expect((await api('GET', `/clients/${clientId}`)).body).toMatchObject({ client_id: clientId, first_party: false, tenants: null });
    const read = await call(`${server.url}/reg/${clientId}`, 'GET', { token: rat });
    expect(read.status).toBe(200);
    expect(read.body.client_id).toBe(clientId);
  });
});
