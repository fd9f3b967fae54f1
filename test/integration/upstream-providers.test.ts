/**
 * Upstream identity providers (issue 12) as operators configure them, on real PostgreSQL + Redis:
 * the admin API's CRUD with the google, itsme and generic presets; the refusals that name the
 * field (an http issuer off loopback, a missing secret, a bad or public key, an unknown tenant or
 * client); secrets sealed at rest and never in an answer nor an event; the operator's routes
 * refused to a tenant admin and to no token; which buttons a sign-in shows; the identities linked
 * to an account (listed, unlinked by the operator, the repository's conflicts); the tenant's
 * `signUpProviders`; and the import file's `providers`, idempotent, on the embedded database too.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { relyingParty } from '../helpers/browser.js';
import { JourneyClient } from '../helpers/journey-client.js';
import { Cipher } from '../../src/secrets/cipher.js';
import { loadMasterKey } from '../../src/secrets/master-key.js';
import { UpstreamProvidersRepository } from '../../src/repositories/upstream-providers-repository.js';
import { FederatedIdentitiesRepository, FederatedIdentityConflict } from '../../src/repositories/federated-identities-repository.js';
import { UpstreamProviders } from '../../src/domain/upstream-providers.js';
import { EventLog } from '../../src/domain/events.js';
import { importFileSchema } from '../../src/domain/schemas.js';
import { createPostgresDatabase, tmpDir } from '../helpers/stores.js';

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

const PASSWORD = 'Upstream-providers-pass-1';
const GOOGLE_SECRET = `google-secret-${crypto.randomBytes(16).toString('hex')}`;
const GOOGLE_SECRET_2 = `google-secret-${crypto.randomBytes(16).toString('hex')}`;
const GENERIC_SECRET = `generic-secret-${crypto.randomBytes(16).toString('hex')}`;

async function privateJwk(alg: 'RS256' | 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return exportJWK(privateKey);
}

describe('upstream providers (PostgreSQL + Redis)', () => {
  let server: TestServer;
  let token: string;
  let cipher: Cipher;
  let rsaKey: JWK;
  let ecKey: JWK;
  let otherRsaKey: JWK;
  let otherEcKey: JWK;

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'acme', name: 'Acme' }, { id: 'beta', name: 'Beta' }],
        users: [
          { login: 'anna', email: 'anna@acme.example', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'acme', role: 'admin' }] },
          { login: 'marie', email: 'marie@acme.example', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
          { login: 'jan', password: PASSWORD, mustChangePassword: false, tenants: ['beta'] },
        ],
        clients: [
          { client_id: 'app-acme', redirect_uris: ['https://acme.example/cb'], tenants: ['acme'] },
          { client_id: 'app-beta', redirect_uris: ['https://beta.example/cb'], tenants: ['beta'] },
          { client_id: 'app-all', redirect_uris: ['https://all.example/cb'] },
        ],
      },
    });
    token = await adminToken(server);
    cipher = new Cipher(loadMasterKey(server.sesam.settings.encryptionKey, server.sesam.settings.dataDir));
    rsaKey = await privateJwk('RS256');
    ecKey = await privateJwk('ES256');
    otherRsaKey = await privateJwk('RS256');
    otherEcKey = await privateJwk('ES256');
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function api(method: string, path: string, body?: unknown, bearer: string | null = token): Promise<Answer> {
    const headers: Record<string, string> = { 'user-agent': 'UpstreamProvidersTest/1.0' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  const repo = () => new UpstreamProvidersRepository(server.sesam.db, cipher);
  const identities = () => new FederatedIdentitiesRepository(server.sesam.db);
  const service = () => new UpstreamProviders(server.sesam.db, { cipher, events: new EventLog(server.sesam.events, server.sesam.logger) });
  const userId = async (login: string) => (await server.sesam.directory.requireUser(login)).id;

  describe('the admin API', () => {
    it('configures Google from its preset: 201 with Location, the secret sealed at rest and never shown', async () => {
      const res = await api('PUT', '/providers/google', { preset: 'google', clientId: 'google-client.apps.example', clientSecret: GOOGLE_SECRET });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe('/admin/v1/providers/google');
      expect(res.body).toMatchObject({
        id: 'google',
        kind: 'oidc',
        preset: 'google',
        issuer: 'https://accounts.google.com',
        clientId: 'google-client.apps.example',
        tokenEndpointAuthMethod: 'client_secret_basic',
        requestObject: false,
        scopes: ['openid', 'email', 'profile'],
        subjectClaim: 'sub',
        trustedForTwoFactors: false,
        icon: 'google',
        label: { fr: 'Google', nl: 'Google', de: 'Google', en: 'Google' },
        tenants: null,
        clients: null,
        authoritativeDomains: [],
        enabled: true,
        hasClientSecret: true,
        hasPrivateKey: false,
        privateKey: null,
      });
      expect(res.body).not.toHaveProperty('clientSecret');
      expect(JSON.stringify(res.body)).not.toContain(GOOGLE_SECRET);

      const got = await api('GET', '/providers/google');
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
      const list = await api('GET', '/providers');
      expect(list.body.map((p: { id: string }) => p.id)).toEqual(['google']);
      expect(JSON.stringify(list.body)).not.toContain(GOOGLE_SECRET);

      // At rest: sealed, bound to the provider and its purpose; the settings hold no secret.
      const row = await server.sesam.db('upstream_providers').where({ id: 'google' }).first();
      expect(JSON.stringify(row.config)).not.toContain(GOOGLE_SECRET);
      expect(row.client_secret_sealed).toMatch(/^v1\./);
      expect(row.client_secret_sealed).not.toContain(GOOGLE_SECRET);
      expect(row.private_key_sealed).toBeNull();
      expect(cipher.decrypt(row.client_secret_sealed, 'upstream-provider:google:client-secret')).toBe(GOOGLE_SECRET);
      expect(() => cipher.decrypt(row.client_secret_sealed, 'upstream-provider:other:client-secret')).toThrow();
      // What the journey reads: the secret in clear, in memory.
      expect((await service().find('google'))?.clientSecret).toBe(GOOGLE_SECRET);
    });

    it('replaces a provider: given fields override the preset, a secret not given again is kept, a new one replaces it', async () => {
      const res = await api('PUT', '/providers/google', {
        id: 'google',
        preset: 'google',
        clientId: 'google-client.apps.example',
        label: { en: 'Sign in with Google' },
        tenants: ['acme'],
        clients: ['app-acme', 'app-all'],
        authoritativeDomains: ['acme.example'],
        trustedForTwoFactors: true,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('location')).toBeNull();
      expect(res.body).toMatchObject({ label: { en: 'Sign in with Google' }, tenants: ['acme'], clients: ['app-acme', 'app-all'], authoritativeDomains: ['acme.example'], trustedForTwoFactors: true, hasClientSecret: true });
      expect((await repo().find('google'))?.clientSecret).toBe(GOOGLE_SECRET);

      expect((await api('PUT', '/providers/google', { preset: 'google', clientId: 'google-client.apps.example', clientSecret: GOOGLE_SECRET_2 })).status).toBe(200);
      const replaced = await repo().find('google');
      expect(replaced?.clientSecret).toBe(GOOGLE_SECRET_2);
      // A replacement is whole: what was not given again is the preset's again.
      expect(replaced).toMatchObject({ label: { en: 'Google' }, tenants: null, clients: null, authoritativeDomains: [], trustedForTwoFactors: false });
      expect(replaced!.updatedAt.getTime()).toBeGreaterThan(replaced!.createdAt.getTime());
    });

    it('configures itsme from its preset with a private RSA key: private_key_jwt, signed request objects, substantial, trusted; only the kid and kty shown', async () => {
      const res = await api('PUT', '/providers/itsme', {
        preset: 'itsme',
        issuer: 'https://idp.e2e.itsme.services/v2',
        clientId: 'ITSME-PARTNER',
        privateKeyJwk: rsaKey,
        scopes: ['openid', 'profile', 'email', 'service:SESAMTEST'],
      });
      expect(res.status).toBe(201);
      const kid = await calculateJwkThumbprint(rsaKey);
      expect(res.body).toMatchObject({
        preset: 'itsme',
        issuer: 'https://idp.e2e.itsme.services/v2',
        tokenEndpointAuthMethod: 'private_key_jwt',
        requestObject: true,
        scopes: ['openid', 'profile', 'email', 'service:SESAMTEST'],
        acrValues: 'http://itsme.net/loa/substantial',
        trustedForTwoFactors: true,
        icon: 'itsme',
        label: { en: 'itsme' },
        hasClientSecret: false,
        hasPrivateKey: true,
        privateKey: { kid, kty: 'RSA' },
      });
      const text = JSON.stringify(res.body);
      for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) expect(text).not.toContain(String(rsaKey[part]));
      const stored = await repo().find('itsme');
      expect(stored?.privateKeyJwk).toEqual({ ...rsaKey, alg: 'RS256', kid });
      const row = await server.sesam.db('upstream_providers').where({ id: 'itsme' }).first();
      expect(JSON.stringify(row)).not.toContain(String(rsaKey.d));

      // Without the production issuer given, the preset's; the key kept; an acr for advanced.
      const again = await api('PUT', '/providers/itsme', { preset: 'itsme', clientId: 'ITSME-PARTNER', acrValues: 'http://itsme.net/loa/advanced', scopes: ['openid', 'service:SESAMTEST'] });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ issuer: 'https://idp.prd.itsme.services/v2', acrValues: 'http://itsme.net/loa/advanced', privateKey: { kid } });
      // "" sends no acr_values.
      const none = await api('PUT', '/providers/itsme', { preset: 'itsme', clientId: 'ITSME-PARTNER', acrValues: '', scopes: ['openid', 'service:SESAMTEST'] });
      expect(none.body).not.toHaveProperty('acrValues');
    });

    it('configures a generic provider with an EC key (its own kid kept), and on loopback over http', async () => {
      const ec = { ...ecKey, kid: 'ec-key-1' };
      const res = await api('PUT', '/providers/corp', { issuer: 'https://login.corp.example/realms/x', clientId: 'sesam', tokenEndpointAuthMethod: 'private_key_jwt', privateKeyJwk: ec });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ preset: 'generic', icon: 'none', label: { fr: 'corp', nl: 'corp', de: 'corp', en: 'corp' }, requestObject: false, privateKey: { kid: 'ec-key-1', kty: 'EC' } });
      expect((await repo().find('corp'))?.privateKeyJwk).toMatchObject({ alg: 'ES256', kid: 'ec-key-1' });
      for (const [i, issuer] of ['http://127.0.0.1:4011', 'http://localhost:4011/oidc', 'http://[::1]:4011'].entries()) {
        const loop = await api('PUT', '/providers/loop', { issuer, clientId: 'sesam', clientSecret: GENERIC_SECRET, tokenEndpointAuthMethod: 'client_secret_post' });
        expect([issuer, loop.status, loop.body.issuer]).toEqual([issuer, i === 0 ? 201 : 200, issuer]);
      }
    });

    it('refuses what cannot work, naming the field, and keeps nothing of it', async () => {
      const cases: [string, unknown, number, RegExp][] = [
        ['generic without issuer', { clientId: 'x', clientSecret: 's' }, 400, /^issuer: required for a generic provider$/],
        ['http issuer off loopback', { issuer: 'http://idp.example.com', clientId: 'x', clientSecret: 's' }, 400, /^issuer: must be an https URL \(http only on loopback/],
        ['http issuer on a lookalike host', { issuer: 'http://127.0.0.1.example.com', clientId: 'x', clientSecret: 's' }, 400, /^issuer: must be an https URL/],
        ['issuer with a query', { issuer: 'https://idp.example.com/?a=b', clientId: 'x', clientSecret: 's' }, 400, /^issuer: must have no query/],
        ['missing client secret', { issuer: 'https://idp.example.com', clientId: 'x' }, 400, /^clientSecret: required with tokenEndpointAuthMethod client_secret_basic$/],
        ['google without its secret', { preset: 'google', clientId: 'x' }, 400, /^clientSecret: required/],
        ['itsme without a key', { preset: 'itsme', clientId: 'x' }, 400, /^privateKeyJwk: required with tokenEndpointAuthMethod private_key_jwt/],
        ['request objects without a key', { issuer: 'https://idp.example.com', clientId: 'x', clientSecret: 's', requestObject: true }, 400, /^privateKeyJwk: required with requestObject/],
        ['a secret it would not use', { preset: 'itsme', clientId: 'x', clientSecret: 's', privateKeyJwk: rsaKey }, 400, /^clientSecret: not used with tokenEndpointAuthMethod private_key_jwt$/],
        ['a key it would not use', { issuer: 'https://idp.example.com', clientId: 'x', clientSecret: 's', privateKeyJwk: rsaKey }, 400, /^privateKeyJwk: used only with/],
        ['a public key', { preset: 'itsme', clientId: 'x', privateKeyJwk: { kty: rsaKey.kty, n: rsaKey.n, e: rsaKey.e } }, 400, /^privateKeyJwk: a public key/],
        ['a broken key', { preset: 'itsme', clientId: 'x', privateKeyJwk: { kty: 'RSA', n: rsaKey.n, e: rsaKey.e, d: 'AAAA' } }, 400, /^privateKeyJwk: not a valid RSA private key/],
        ['private parts of another key', { preset: 'itsme', clientId: 'x', privateKeyJwk: { ...rsaKey, n: otherRsaKey.n } }, 400, /^privateKeyJwk: (its private part does not match|not a valid)/],
        ['an EC key whose d is another', { preset: 'itsme', clientId: 'x', privateKeyJwk: { ...ecKey, d: otherEcKey.d } }, 400, /^privateKeyJwk: (its private part does not match|not a valid)/],
        ['a symmetric key', { preset: 'itsme', clientId: 'x', privateKeyJwk: { kty: 'oct', k: 'c2VjcmV0' } }, 400, /^privateKeyJwk: kty must be RSA or EC$/],
        ['a key for another algorithm', { preset: 'itsme', clientId: 'x', privateKeyJwk: { ...ecKey, alg: 'RS256' } }, 400, /^privateKeyJwk: alg RS256 does not suit a P-256 key$/],
        ['an encryption key', { preset: 'itsme', clientId: 'x', privateKeyJwk: { ...rsaKey, use: 'enc' } }, 400, /^privateKeyJwk: use must be sig$/],
        ['no openid scope', { preset: 'google', clientId: 'x', clientSecret: 's', scopes: ['email'] }, 400, /^scopes: must include openid$/],
        ['an unknown tenant', { preset: 'google', clientId: 'x', clientSecret: 's', tenants: ['acme', 'ghost'] }, 404, /^tenants\.1: tenant ghost does not exist$/],
        ['an unknown client', { preset: 'google', clientId: 'x', clientSecret: 's', clients: ['nope'] }, 404, /^clients\.0: client nope does not exist$/],
        ['an unknown preset', { preset: 'facebook', clientId: 'x', clientSecret: 's' }, 400, /^preset: /],
        ['an unknown field', { preset: 'google', clientId: 'x', clientSecret: 's', colour: 'red' }, 400, /colour/],
        ['an id that is not the path', { id: 'other', preset: 'google', clientId: 'x', clientSecret: 's' }, 400, /^id: does not match the path \(refused\)$/],
        ['a label in no language', { preset: 'google', clientId: 'x', clientSecret: 's', label: {} }, 400, /^label: give the text in at least one language/],
      ];
      for (const [what, body, status, message] of cases) {
        const res = await api('PUT', '/providers/refused', body);
        expect({ what, status: res.status, error: res.body.error_description }).toEqual({ what, status, error: expect.stringMatching(message) });
      }
      // A weak RSA key: 1024 bits.
      const weak = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
      const res = await api('PUT', '/providers/refused', { preset: 'itsme', clientId: 'x', privateKeyJwk: weak });
      expect(res.body.error_description).toBe('privateKeyJwk: an RSA key must have 2048 bits at least');
      // An id that is no provider id.
      expect((await api('PUT', '/providers/Bad_Id', { preset: 'google', clientId: 'x', clientSecret: 's' })).body.error_description).toMatch(/^id: lowercase letters/);

      expect((await api('GET', '/providers/refused')).status).toBe(404);
      expect(await repo().find('refused')).toBeUndefined();
    });

    it('deletes a provider (204, then 404); the identities linked through it go with it', async () => {
      expect((await api('PUT', '/providers/doomed', { issuer: 'https://doomed.example', clientId: 'x', clientSecret: GENERIC_SECRET })).status).toBe(201);
      await identities().link({ providerId: 'doomed', subject: 'doomed-sub', userId: await userId('jan') });
      expect((await api('DELETE', '/providers/doomed')).status).toBe(204);
      expect(await identities().find('doomed', 'doomed-sub')).toBeUndefined();
      expect(await server.sesam.directory.users.findByIdentifier('jan')).toBeDefined();
      const again = await api('DELETE', '/providers/doomed');
      expect(again).toMatchObject({ status: 404, body: { error: 'not_found', error_description: 'provider doomed does not exist' } });
      expect((await api('GET', '/providers/doomed')).status).toBe(404);
    });

    it('records who configured what, and never a secret', async () => {
      const events = await server.sesam.db('events').where('type', 'like', 'admin.provider_%').orderBy('id');
      expect(events.map((e) => `${e.type} ${e.target_id}`)).toEqual(
        expect.arrayContaining(['admin.provider_created google', 'admin.provider_updated google', 'admin.provider_created itsme', 'admin.provider_deleted doomed']),
      );
      for (const e of events) {
        expect(e).toMatchObject({ actor_type: 'operator', client_id: server.sesam.adminCredentials.clientId, target_type: 'provider', user_agent: 'UpstreamProvidersTest/1.0' });
      }
      expect(events.find((e) => e.type === 'admin.provider_created' && e.target_id === 'google').details).toMatchObject({ provider: 'google', preset: 'google', clientSecretGiven: true, privateKeyGiven: false });
      expect(events.find((e) => e.type === 'admin.provider_deleted').details).toEqual({ provider: 'doomed', identities: 1 });
      const dump = JSON.stringify(await server.sesam.db('events').select('*'));
      for (const secret of [GOOGLE_SECRET, GOOGLE_SECRET_2, GENERIC_SECRET, rsaKey.d, rsaKey.p, ecKey.d]) expect(dump).not.toContain(String(secret));
    });

    it('is the operator’s only: no token is 401, a tenant admin’s token is 403', async () => {
      const rp = await relyingParty(server.issuer, 'sesam-cli', undefined, 'http://127.0.0.1:49152/callback');
      const journey = new JourneyClient(server.issuer, rp);
      const page = await journey.signIn('anna', PASSWORD, { scope: 'openid tenant-admin' });
      if (!journey.callback && /action="[^"]*\/consent"/.test(page.html)) await journey.post('consent', { decision: 'allow' });
      expect(journey.callback?.searchParams.get('code')).toBeTruthy();
      const anna = (await journey.tokens()).access_token;
      // The token works where a tenant admin may act...
      expect((await api('GET', '/tenants/acme', undefined, anna)).status).toBe(200);
      // ...and nowhere here.
      const calls: [string, string, unknown?][] = [
        ['GET', '/providers'],
        ['GET', '/providers/google'],
        ['PUT', '/providers/evil', { issuer: 'https://evil.example', clientId: 'x', clientSecret: 's', authoritativeDomains: ['acme.example'] }],
        ['DELETE', '/providers/google'],
        ['GET', '/users/marie/identities'],
        ['DELETE', '/users/marie/identities/google'],
      ];
      for (const [method, path, body] of calls) {
        const forbidden = await api(method, path, body, anna);
        expect([method, path, forbidden.status, forbidden.body.error]).toEqual([method, path, 403, 'insufficient_scope']);
        const anonymous = await api(method, path, body, null);
        expect([method, path, anonymous.status]).toEqual([method, path, 401]);
      }
      expect(await repo().find('evil')).toBeUndefined();
      expect(await repo().find('google')).toBeDefined();
    });
  });

  describe('the buttons a sign-in shows', () => {
    beforeAll(async () => {
      const put = async (id: string, extra: object) =>
        expect((await api('PUT', `/providers/${id}`, { issuer: `https://${id}.example`, clientId: 'x', clientSecret: GENERIC_SECRET, ...extra })).status).toBeLessThan(300);
      await put('everywhere', {});
      await put('acme-only', { tenants: ['acme'] });
      await put('app-acme-only', { clients: ['app-acme'] });
      await put('switched-off', { enabled: false });
    });

    const shown = async (tenantId: string | null | undefined, clientId: string) =>
      (await service().shownFor({ tenantId, clientId })).map((p) => p.id).filter((id) => ['everywhere', 'acme-only', 'app-acme-only', 'switched-off'].includes(id));

    it('follows the tenant when known, else the tenants the client app serves; never a disabled one', async () => {
      expect(await shown('acme', 'app-acme')).toEqual(['acme-only', 'app-acme-only', 'everywhere']);
      expect(await shown('beta', 'app-all')).toEqual(['everywhere']);
      expect(await shown('acme', 'app-all')).toEqual(['acme-only', 'everywhere']);
      // Tenant not yet known: a provider limited to tenants shows when the app serves one of them.
      expect(await shown(null, 'app-acme')).toEqual(['acme-only', 'app-acme-only', 'everywhere']);
      expect(await shown(null, 'app-beta')).toEqual(['everywhere']);
      expect(await shown(undefined, 'app-all')).toEqual(['acme-only', 'everywhere']);
      expect(await shown(null, 'no-such-app')).toEqual(['everywhere']);
    });

    it('gives no secret to the page', async () => {
      const providers = await service().shownFor({ clientId: 'app-acme', tenantId: 'acme' });
      expect(providers.length).toBeGreaterThan(2);
      for (const p of providers) {
        expect(p).not.toHaveProperty('clientSecret');
        expect(p).not.toHaveProperty('privateKeyJwk');
      }
      expect(JSON.stringify(providers)).not.toContain(GENERIC_SECRET);
    });
  });

  describe('linked identities', () => {
    it('lists a user’s identities and unlinks one: 204, their sessions end, then 404', async () => {
      const marie = await userId('marie');
      await identities().link({ providerId: 'google', subject: '1057', userId: marie, email: 'marie@gmail.example' });
      await identities().link({ providerId: 'itsme', subject: 'itsme-marie', userId: marie });
      const listed = await api('GET', '/users/marie@acme.example/identities');
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual([
        { providerId: 'google', subject: '1057', userId: marie, email: 'marie@gmail.example', createdAt: expect.any(String), lastUsedAt: null },
        { providerId: 'itsme', subject: 'itsme-marie', userId: marie, email: null, createdAt: expect.any(String), lastUsedAt: null },
      ]);
      expect((await api('GET', '/users/nobody/identities')).status).toBe(404);
      expect((await api('GET', '/users/jan/identities')).body).toEqual([]);

      const before = Number((await server.sesam.db('events').max('id as max').first())?.max ?? 0);
      expect((await api('DELETE', '/users/marie/identities/google')).status).toBe(204);
      expect((await api('GET', '/users/marie/identities')).body.map((i: { providerId: string }) => i.providerId)).toEqual(['itsme']);
      const events = await server.sesam.db('events').where('id', '>', before).orderBy('id');
      expect(events.map((e) => e.type)).toEqual(['admin.identity_unlinked', 'account.sessions_ended']);
      expect(events[0]).toMatchObject({ user_id: marie, actor_type: 'operator', target_type: 'user', target_id: marie, details: { provider: 'google', subject: '1057' } });
      expect(events[1].details).toMatchObject({ reason: 'identity_unlinked' });

      const again = await api('DELETE', '/users/marie/identities/google');
      expect(again).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect((await api('DELETE', '/users/nobody/identities/google')).status).toBe(404);
      // Another user's link at that provider is untouched by marie's.
      expect((await api('DELETE', '/users/jan/identities/itsme')).status).toBe(404);
      expect(await identities().find('itsme', 'itsme-marie')).toBeDefined();
    });

    it('the repository links once, refuses conflicts clearly (without aborting a transaction), touches and counts', async () => {
      const [marie, jan] = [await userId('marie'), await userId('jan')];
      const linked = await identities().link({ providerId: 'corp', subject: 'corp-marie', userId: marie, email: 'm@corp.example' });
      expect(linked).toMatchObject({ providerId: 'corp', subject: 'corp-marie', userId: marie, email: 'm@corp.example', lastUsedAt: null });
      // The very same link again: no change.
      expect(await identities().link({ providerId: 'corp', subject: 'corp-marie', userId: marie })).toEqual(linked);

      const conflict = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
      const taken = await conflict(identities().link({ providerId: 'corp', subject: 'corp-marie', userId: jan }));
      expect(taken).toBeInstanceOf(FederatedIdentityConflict);
      expect(taken).toMatchObject({ reason: 'subject_linked', existing: { userId: marie }, message: 'this corp identity is already linked to another account' });
      const second = await conflict(identities().link({ providerId: 'corp', subject: 'corp-marie-2', userId: marie }));
      expect(second).toMatchObject({ reason: 'account_linked', existing: { subject: 'corp-marie' } });

      // Inside a transaction, a refused link leaves it usable.
      await server.sesam.db.transaction(async (trx) => {
        await expect(identities().with(trx).link({ providerId: 'corp', subject: 'corp-marie', userId: jan })).rejects.toBeInstanceOf(FederatedIdentityConflict);
        await identities().with(trx).link({ providerId: 'corp', subject: 'corp-jan', userId: jan });
      });
      expect(await identities().find('corp', 'corp-jan')).toMatchObject({ userId: jan });

      const touched = await identities().touch('corp', 'corp-marie', 'marie@corp.example');
      expect(touched?.lastUsedAt).toBeInstanceOf(Date);
      expect(touched?.email).toBe('marie@corp.example');
      expect((await identities().touch('corp', 'corp-marie', null))?.email).toBe('marie@corp.example');
      expect(await identities().touch('corp', 'nobody', null)).toBeUndefined();

      expect(await identities().countByUser(marie)).toBe(2);
      expect((await identities().listByUser(marie)).map((i) => i.providerId)).toEqual(['itsme', 'corp']);
      expect(await identities().findForUser(marie, 'corp')).toMatchObject({ subject: 'corp-marie' });
      expect(await identities().unlink(marie, 'corp')).toBe(true);
      expect(await identities().unlink(marie, 'corp')).toBe(false);
      expect(await identities().countByUser('not-a-uuid')).toBe(0);

      // An account deleted takes its links along.
      expect((await api('DELETE', '/users/jan')).status).toBe(204);
      expect(await identities().find('corp', 'corp-jan')).toBeUndefined();
    });
  });

  describe("a tenant's signUpProviders", () => {
    it('defaults to none, takes provider ids, and refuses what is not one', async () => {
      expect((await api('GET', '/tenants/beta')).body.policy.signUpProviders).toEqual([]);
      const patched = await api('PATCH', '/tenants/beta/policy', { signUpProviders: ['google', 'itsme'] });
      expect(patched.status).toBe(200);
      expect(patched.body.policy.signUpProviders).toEqual(['google', 'itsme']);
      expect((await server.sesam.directory.tenants.find('beta'))?.policy.signUpProviders).toEqual(['google', 'itsme']);
      const bad = await api('PATCH', '/tenants/beta/policy', { signUpProviders: ['Not A Provider'] });
      expect(bad.status).toBe(400);
      expect(bad.body.error_description).toMatch(/^policy\.signUpProviders\.0: /);
    });
  });
});

describe.each(['embedded', 'postgres'] as const)('providers in the import file (%s)', (backend) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it('creates them with their secrets sealed; applying the file again changes nothing; a provider listed without its secret keeps it', async () => {
    const key = await privateJwk('RS256');
    const secret = `imported-secret-${crypto.randomBytes(12).toString('hex')}`;
    const file = {
      tenants: [{ id: 'acme', name: 'Acme', policy: { signUpProviders: ['google'] } }],
      clients: [{ client_id: 'portal', redirect_uris: ['https://portal.example/cb'], tenants: ['acme'] }],
      providers: [
        { id: 'google', preset: 'google', clientId: 'g.apps.example', clientSecret: secret, tenants: ['acme'], clients: ['portal'], authoritativeDomains: ['acme.example'] },
        { id: 'itsme', preset: 'itsme', clientId: 'ITSME', privateKeyJwk: key, scopes: ['openid', 'profile', 'email', 'service:ACME'] },
      ],
    };
    const first = await startTestServer({ backend, import: file });
    cleanup.push(() => first.stop());
    const master = new Cipher(loadMasterKey(first.sesam.settings.encryptionKey, first.sesam.settings.dataDir));
    const providers = () => new UpstreamProvidersRepository(first.sesam.db, master);
    expect(await providers().find('google')).toMatchObject({ clientSecret: secret, tenants: ['acme'], clients: ['portal'], authoritativeDomains: ['acme.example'], issuer: 'https://accounts.google.com' });
    expect((await providers().find('itsme'))?.privateKeyJwk).toMatchObject({ d: key.d, kid: await calculateJwkThumbprint(key) });
    expect((await first.sesam.directory.tenants.find('acme'))?.policy.signUpProviders).toEqual(['google']);
    const rows = await first.sesam.db('upstream_providers').orderBy('id');
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(JSON.stringify(rows)).not.toContain(String(key.d));

    const snapshot = async () => ({
      rows: await first.sesam.db('upstream_providers').select('id', 'updated_at').orderBy('id'),
      events: Number((await first.sesam.db('events').where('type', 'like', 'admin.provider_%').count('* as n').first())?.n),
    });
    const before = await snapshot();
    expect(before.events).toBe(2);
    expect(await first.sesam.directory.applyImport(importFileSchema.parse(file))).toMatchObject({ providers: 0 });
    // Listed without secrets: kept.
    const withoutSecrets = { ...file, providers: file.providers.map(({ clientSecret: _s, privateKeyJwk: _k, ...p }) => p) };
    expect(await first.sesam.directory.applyImport(importFileSchema.parse(withoutSecrets))).toMatchObject({ providers: 0 });
    expect(await snapshot()).toEqual(before);
    expect((await providers().find('google'))?.clientSecret).toBe(secret);

    // A change is applied, once.
    const changed = { ...file, providers: [{ ...file.providers[0], trustedForTwoFactors: true }, file.providers[1]] };
    expect(await first.sesam.directory.applyImport(importFileSchema.parse(changed))).toMatchObject({ providers: 1 });
    expect(await first.sesam.directory.applyImport(importFileSchema.parse(changed))).toMatchObject({ providers: 0 });
    expect((await providers().find('google'))?.trustedForTwoFactors).toBe(true);

    // A bad provider rolls the whole file back, naming the entry.
    const bad = importFileSchema.parse({ tenants: [{ id: 'gamma', name: 'Gamma' }], providers: [{ id: 'broken', issuer: 'http://idp.example.com', clientId: 'x', clientSecret: 's' }] });
    await expect(first.sesam.directory.applyImport(bad)).rejects.toThrow(/^providers\[0\] \(broken\): issuer: must be an https URL/);
    expect(await first.sesam.directory.tenants.find('gamma')).toBeUndefined();
    expect(await providers().find('broken')).toBeUndefined();
  });

  if (backend === 'postgres') {
    it('stops the start on a provider naming an unknown tenant, saying which entry, and applies nothing', async () => {
      const pg = await createPostgresDatabase();
      cleanup.push(() => pg.drop());
      const dataDir = tmpDir();
      cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
      const bad = { tenants: [{ id: 'acme', name: 'Acme' }], providers: [{ id: 'google', preset: 'google', clientId: 'x', clientSecret: 's', tenants: ['acme', 'ghost'] }] };
      await expect(startTestServer({ backend, reuse: { dataDir, databaseUrl: pg.url }, import: bad })).rejects.toThrow(
        /SESAM_IMPORT .*providers\[0\] \(google\): tenants\.1: tenant ghost does not exist; nothing was applied$/,
      );
      expect(await pg.db('tenants').select('id')).toEqual([]);
      expect(await pg.db('upstream_providers').select('id')).toEqual([]);
    });
  }
});
