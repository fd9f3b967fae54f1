/**
 * Issue 2 end to end: openid-client (the app) and headless Chromium (the user) against a real
 * Sesam on PostgreSQL + Redis: code + PKCE through the real login page, refresh, userinfo,
 * introspection, revocation, client_credentials; a restart keeps keys, clients and refresh
 * tokens; bad requests get an error page, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizationRequest, exchangeCode, fillIdentifier, fillPassword, launchBrowser, oidc, relyingParty, startCallbackServer, submit, type CallbackServer } from '../helpers/browser.js';

const SECRET = 'jobtracker-secret-0123456789abcdef-xyz';
const importFile = (REDIRECT: string) => ({
  tenants: [{ id: 'acme', name: 'Acme Titres-Services' }],
  users: [{ login: 'marie', email: 'marie@example.be', password: 'correct horse battery staple', mustChangePassword: false, tenants: ['acme'] }],
  clients: [
    { client_id: 'jobtracker', client_secret: SECRET, redirect_uris: [REDIRECT], post_logout_redirect_uris: [REDIRECT.replace('/cb', '/bye')], first_party: true },
    {
      client_id: 'thirdparty',
      client_secret: 'thirdparty-secret-0123456789abcdef-xyz',
      client_name: 'Agenda Plus',
      redirect_uris: [REDIRECT],
      backchannel_logout_uri: REDIRECT.replace('/cb', '/backchannel'),
      backchannel_logout_session_required: true,
    },
    { client_id: 'reporting', client_secret: 'reporting-secret-0123456789abcdef-xyz', grant_types: ['client_credentials'], redirect_uris: [], scope: 'openid' },
  ],
});

describe('foundation: OIDC end to end on PostgreSQL + Redis', () => {
  let server: TestServer;
  let browser: Browser;
  let app: CallbackServer;
  let REDIRECT: string;

  beforeAll(async () => {
    app = await startCallbackServer();
    REDIRECT = app.redirectUri;
    server = await startTestServer({ backend: 'postgres', redis: true, import: importFile(REDIRECT) });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await app?.close();
  });

  it('signs in through the real pages with code + PKCE, then refresh, userinfo, introspection, revocation; keeps all across a restart', async () => {
    const rp = await relyingParty(server.issuer, 'jobtracker', SECRET, REDIRECT);
    const context = await browser.newContext();
    const page = await context.newPage();
    const req = await authorizationRequest(rp);
    await page.goto(req.url.href);
    // identifier first, then the password
    expect(await page.locator('input[autocomplete="current-password"]').count()).toBe(0);
    await fillIdentifier(page, 'marie');
    await fillPassword(page, 'correct horse battery staple');
    const callback = await app.next();
    expect(callback.searchParams.get('code')).toBeTruthy();

    const tokens = await exchangeCode(rp, callback, req);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(server.issuer);
    expect(claims.aud).toBe('jobtracker');
    expect(claims.org_id).toBe('acme');
    expect(claims.org_name).toBe('Acme Titres-Services');
    expect(claims.acr).toBe('urn:sesam:acr:1fa');
    expect(claims.amr).toEqual(['pwd']);
    expect(typeof claims.auth_time).toBe('number');
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    expect(tokens.refresh_token).toBeTruthy();

    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
    expect(userinfo.email).toBe('marie@example.be');
    expect(userinfo.preferred_username).toBe('marie');
    expect(userinfo.org_id).toBe('acme');

    const introspected = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(introspected.active).toBe(true);
    expect(introspected.sub).toBe(claims.sub);

    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()!.org_id).toBe('acme');

    // Restart on the same database: same keys, same client, the refresh token still works.
    const kid = decodeProtectedHeader(tokens.id_token!).kid;
    const refreshToken = refreshed.refresh_token ?? tokens.refresh_token!;
    await server.sesam.close();
    const restarted = await startTestServer({ reuse: { dataDir: server.dataDir, databaseUrl: server.databaseUrl, redisKeyPrefix: server.env.REDIS_KEY_PREFIX }, redis: true, env: { PORT: server.env.PORT, ISSUER: server.issuer } });
    try {
      const rp2 = await relyingParty(restarted.issuer, 'jobtracker', SECRET, REDIRECT);
      const jwks = (await (await fetch(`${restarted.url}/jwks`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toContain(kid);
      const again = await oidc.refreshTokenGrant(rp2.config, refreshToken).catch((e) => {
        throw new Error(JSON.stringify(e.cause ?? e));
      });
      expect(again.claims()!.sub).toBe(claims.sub);
      expect(decodeProtectedHeader(again.id_token!).kid).toBe(kid);
      // Revoking an access token ends it (and, in oidc-provider 9, the grant's other tokens).
      expect((await oidc.tokenIntrospection(rp2.config, again.access_token)).active).toBe(true);
      await oidc.tokenRevocation(rp2.config, again.access_token);
      expect((await oidc.tokenIntrospection(rp2.config, again.access_token)).active).toBe(false);
      await expect(oidc.refreshTokenGrant(rp2.config, again.refresh_token ?? refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    } finally {
      await restarted.sesam.close(); // the database is dropped by server.stop() in afterAll
    }
    await context.close();
  });

  it('asks consent for a third-party app (deny ends at the app with access_denied), and logs out to the exact registered URI', async () => {
    const fresh = await startTestServer({ backend: 'postgres', redis: true, import: importFile(REDIRECT) });
    const third = await relyingParty(fresh.issuer, 'thirdparty', 'thirdparty-secret-0123456789abcdef-xyz', REDIRECT);
    const context = await browser.newContext({ locale: 'en' });
    const page = await context.newPage();
    const denied = await authorizationRequest(third);
    await page.goto(denied.url.href);
    await fillIdentifier(page, 'marie');
    await fillPassword(page, 'correct horse battery staple');
    expect(await page.locator('h1').textContent()).toBe('Allow access');
    expect(await page.locator('body').textContent()).toContain('Agenda Plus');
    await submit(page, 'button[value="deny"]');
    const refused = await app.next();
    expect(refused.searchParams.get('error')).toBe('access_denied');

    const allowed = await authorizationRequest(third);
    await page.goto(allowed.url.href); // a refusal signed nobody in: sign in again, then allow
    await fillIdentifier(page, 'marie');
    await fillPassword(page, 'correct horse battery staple');
    await submit(page, 'button[value="allow"]');
    const tokens = await exchangeCode(third, await app.next(), allowed);
    expect(tokens.claims()!.aud).toBe('thirdparty');

    // RP-initiated logout: an unregistered post-logout URI is refused, the registered one is used.
    const jobtracker = await relyingParty(fresh.issuer, 'jobtracker', SECRET, REDIRECT);
    const bad = oidc.buildEndSessionUrl(jobtracker.config, { post_logout_redirect_uri: 'http://evil.example/bye' });
    const badPage = await page.goto(bad.href);
    expect(badPage!.status()).toBe(400);
    const bye = REDIRECT.replace('/cb', '/bye');
    await page.goto(oidc.buildEndSessionUrl(jobtracker.config, { post_logout_redirect_uri: bye, state: 'st' }).href);
    expect(await page.locator('h1').textContent()).toBe('Sign out');
    await Promise.all([page.waitForURL((u) => u.href.startsWith(bye)), page.click('button[value="yes"]')]);
    expect(new URL(page.url()).searchParams.get('state')).toBe('st');
    // Back-channel logout: the app signed in during the session is told, with a signed logout token.
    const notice = await app.nextPost();
    expect(notice.path).toBe('/backchannel');
    const { payload } = await jwtVerify(notice.form.get('logout_token')!, createRemoteJWKSet(new URL(`${fresh.issuer}/jwks`)), {
      issuer: fresh.issuer,
      audience: 'thirdparty',
    });
    expect(payload.sub).toBe(tokens.claims()!.sub);
    expect(payload.sid).toBe(tokens.claims()!.sid);
    expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
    // signed out: a new authorization asks for the identifier again
    await page.goto((await authorizationRequest(jobtracker)).url.href);
    expect(await page.locator('input[autocomplete~="username"]').count()).toBeGreaterThan(0);
    await context.close();
    await fresh.stop();
  });

  it('issues client_credentials tokens and refuses the admin scope to an ordinary client', async () => {
    const fresh = await startTestServer({ backend: 'postgres', redis: true, import: importFile(REDIRECT) });
    try {
      const rp = await relyingParty(fresh.issuer, 'reporting', 'reporting-secret-0123456789abcdef-xyz', REDIRECT);
      const cc = await oidc.clientCredentialsGrant(rp.config, { scope: 'openid' });
      expect(cc.access_token).toBeTruthy();
      expect(cc.token_type.toLowerCase()).toBe('bearer');
      await expect(oidc.clientCredentialsGrant(rp.config, { scope: 'admin' })).rejects.toMatchObject({ error: 'invalid_scope' });
      // no implicit flow, no password grant
      const implicit = await fetch(`${fresh.url}/auth?client_id=jobtracker&response_type=id_token&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=openid&nonce=n`, { redirect: 'manual' });
      expect([302, 303, 400]).toContain(implicit.status);
      if (implicit.status !== 400) expect(implicit.headers.get('location')).toMatch(/error=unsupported_response_type/);
      const pw = await fetch(`${fresh.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`jobtracker:${SECRET}`).toString('base64')}` },
        body: 'grant_type=password&username=marie&password=x',
      });
      expect(pw.status).toBe(400);
      expect(((await pw.json()) as { error: string }).error).toBe('unsupported_grant_type');
      // PKCE is required even for a confidential client
      const noPkce = await fetch(`${fresh.url}/auth?client_id=jobtracker&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=openid`, { redirect: 'manual' });
      expect(noPkce.headers.get('location')).toMatch(/error=invalid_request/);
    } finally {
      await fresh.stop();
    }
  });

  it('answers an unknown client or redirect URI with an OIDC error page, never a 500', async () => {
    const fresh = await startTestServer({ backend: 'embedded', import: importFile(REDIRECT) });
    try {
      const unknown = await fetch(`${fresh.url}/auth?client_id=nobody&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=openid`, { headers: { 'accept-language': 'nl' } });
      expect(unknown.status).toBe(400);
      const body = await unknown.text();
      expect(body).toContain('role="alert"');
      expect(body).toContain('invalid_client');
      expect(body).toContain('lang="nl"');
      expect(unknown.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

      const badRedirect = await fetch(`${fresh.url}/auth?client_id=jobtracker&response_type=code&redirect_uri=${encodeURIComponent('http://evil.example/cb')}&scope=openid&code_challenge=abc&code_challenge_method=S256`);
      expect(badRedirect.status).toBe(400);
      expect(await badRedirect.text()).toContain('redirect_uri');

      const stale = await fetch(`${fresh.url}/interaction/does-not-exist`);
      expect(stale.status).toBe(400);
      expect(await stale.text()).toContain('role="alert"');
    } finally {
      await fresh.stop();
    }
  });
});
