/**
 * Apps on phones (seed 001, RFC 8252), with openid-client as the native app (public client, PKCE)
 * and the journey driven over HTTP (PostgreSQL + Redis): a loopback redirect on a port chosen at
 * run time, a private-use URI scheme redirect caught without following it, refresh tokens that
 * rotate at each use, a replayed one refused and the whole grant killed with it; the refresh
 * token outlives the browser session, and dies when the password changes (even from the very
 * browser the app signed in through), on an admin password reset and on an admin second-factor
 * reset.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminToken, freePort, startTestServer, type TestServer } from '../helpers/server.js';
import { oidc, relyingParty, type RelyingParty } from '../helpers/browser.js';
import { JourneyClient, alertOf } from '../helpers/journey-client.js';
import { TTL } from '../../src/oidc/configuration.js';

const PASSWORD = 'a sentence that is long enough';
const NEW_PASSWORD = 'another sentence, just as long';
const APP = 'be.example.app';
const SCHEME_REDIRECT = 'be.example.app:/callback';
const LOOPBACK = 'http://127.0.0.1/callback';
const WEB_SECRET = 'web-app-secret-0123456789abcdef-0123456789';
/** How a phone app asks for a refresh token that outlives the browser session (OIDC Core §11). */
const OFFLINE = { scope: 'openid offline_access', prompt: 'consent' };

describe('native apps', () => {
  let server: TestServer;
  let token: string;
  let loopbackUri: string;

  beforeAll(async () => {
    loopbackUri = `http://127.0.0.1:${await freePort()}/callback`;
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'off' } }],
        users: ['anna', 'ben', 'carl', 'dora', 'emil', 'fien'].map((login) => ({ login, password: PASSWORD, mustChangePassword: false, tenants: ['acme'] })),
        clients: [
          { client_id: APP, client_name: 'Acme on the phone', application_type: 'native', redirect_uris: [SCHEME_REDIRECT, LOOPBACK], first_party: true, tenants: ['acme'] },
          { client_id: 'webapp', client_secret: WEB_SECRET, redirect_uris: ['http://localhost:4999/cb'], first_party: true },
        ],
      },
    });
    token = await adminToken(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const app = (redirectUri: string): Promise<RelyingParty> => relyingParty(server.issuer, APP, undefined, redirectUri);

  /** The app's sign-in through the browser (a cookie jar): the tokens, and the journey's client for more. */
  async function signIn(login: string, options: { redirectUri?: string; extra?: Record<string, string>; remember?: boolean } = {}) {
    const rp = await app(options.redirectUri ?? loopbackUri);
    const browser = new JourneyClient(server.url, rp);
    await browser.start(options.extra ?? OFFLINE);
    await browser.post('identifier', { identifier: login });
    await browser.post('password', { password: PASSWORD, ...(options.remember ? { remember: 'on' } : {}) });
    expect(browser.callback?.searchParams.get('code')).toBeTruthy();
    const tokens = await browser.tokens();
    return { rp, browser, tokens };
  }

  async function refreshes(rp: RelyingParty, refreshToken: string): Promise<string> {
    try {
      await oidc.refreshTokenGrant(rp.config, refreshToken);
      return 'ok';
    } catch (e) {
      return (e as { error?: string }).error ?? String(e);
    }
  }

  describe('registration', () => {
    it('takes a native app with a private-use scheme and a loopback redirect, and shows it as native', async () => {
      const res = await admin('POST', '/clients', { client_id: 'be.other.app', application_type: 'native', redirect_uris: ['be.other.app:/cb', 'http://[::1]/cb'] });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ application_type: 'native', token_endpoint_auth_method: 'none' });
      expect(body.client_secret).toBeUndefined();
    });

    it('refuses a private-use scheme for a web app, and a plain-http redirect off the loopback for a native one', async () => {
      const web = await admin('POST', '/clients', { client_id: 'be.web.app', redirect_uris: ['be.web.app:/cb'] });
      expect(web.status).toBe(400);
      expect(((await web.json()) as { error_description: string }).error_description).toMatch(/redirect_uris/);
      const http = await admin('POST', '/clients', { client_id: 'be.bad.app', application_type: 'native', redirect_uris: ['http://app.example/cb'] });
      expect(http.status).toBe(400);
      expect(((await http.json()) as { error_description: string }).error_description).toMatch(/loopback/);
      const odd = await admin('POST', '/clients', { client_id: 'be.odd.app', application_type: 'phone', redirect_uris: ['be.odd.app:/cb'] });
      expect(odd.status).toBe(400);
    });
  });

  describe('signing in', () => {
    it('comes back on a loopback redirect at a port chosen at run time, with an offline refresh token of the chosen tenant', async () => {
      const { browser, tokens } = await signIn('anna');
      expect(browser.callback!.origin).toBe(new URL(loopbackUri).origin);
      expect(browser.callback!.pathname).toBe('/callback');
      expect(tokens.refresh_token).toBeTruthy();
      expect(tokens.scope?.split(' ')).toContain('offline_access');
      expect(tokens.claims()).toMatchObject({ org_id: 'acme', aud: APP });
    });

    it('refuses a loopback redirect with another path than the registered one, whatever the port', async () => {
      const rp = await app(loopbackUri.replace('/callback', '/elsewhere'));
      const browser = new JourneyClient(server.url, rp);
      const page = await browser.start(OFFLINE);
      expect(page.status).toBe(400);
      expect(browser.callback).toBeUndefined();
    });

    it('comes back on a private-use URI scheme redirect, caught without following it', async () => {
      const { browser, tokens } = await signIn('ben', { redirectUri: SCHEME_REDIRECT });
      expect(browser.callback!.protocol).toBe('be.example.app:');
      expect(`${browser.callback!.protocol}${browser.callback!.pathname}`).toBe(SCHEME_REDIRECT);
      expect(tokens.refresh_token).toBeTruthy();
    });

    it('never hands a code to a native app on the browser session alone: the user confirms (RFC 8252 §8.6)', async () => {
      const { browser } = await signIn('anna', { remember: true });
      // Another app claiming the same scheme starts a sign-in: the browser is signed in, yet the user is asked.
      const again = await browser.start(OFFLINE);
      expect(browser.callback).toBeUndefined();
      expect(again.html).toContain('value="allow"');
      expect(again.html).toContain('Acme on the phone');
      await browser.post('consent', { decision: 'allow' });
      expect(browser.callback?.searchParams.get('code')).toBeTruthy();
      // A web app of the same browser still signs in silently.
      const web = Object.assign(new JourneyClient(server.url, await relyingParty(server.issuer, 'webapp', WEB_SECRET, 'http://localhost:4999/cb')), { jar: browser.jar });
      await web.start({ scope: 'openid' });
      expect(web.callback?.searchParams.get('code')).toBeTruthy();
    });

    it('without offline_access, the refresh token ends with the browser session (as for a web app)', async () => {
      const { rp, browser, tokens } = await signIn('carl', { extra: { scope: 'openid' } });
      expect(tokens.refresh_token).toBeTruthy();
      await logout(browser);
      expect(await refreshes(rp, tokens.refresh_token!)).toBe('invalid_grant');
    });
  });

  describe('refresh tokens', () => {
    it('rotate at each use; a replayed old one is refused and kills the whole grant', async () => {
      const { rp, tokens } = await signIn('dora');
      const first = tokens.refresh_token!;
      const second = await oidc.refreshTokenGrant(rp.config, first);
      expect(second.refresh_token).toBeTruthy();
      expect(second.refresh_token).not.toBe(first);
      expect(second.claims()).toMatchObject({ org_id: 'acme' });
      const third = await oidc.refreshTokenGrant(rp.config, second.refresh_token!);
      expect(third.refresh_token).not.toBe(second.refresh_token);

      // A thief replays the first one: refused, and the app's current token dies with the grant.
      expect(await refreshes(rp, first)).toBe('invalid_grant');
      expect(await refreshes(rp, third.refresh_token!)).toBe('invalid_grant');
      const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${third.access_token}` } });
      expect(userinfo.status).toBe(401);
    });

    it('last 90 days from each use, within a grant of a year', async () => {
      const { rp, tokens } = await signIn('emil');
      const rotated = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
      const provider = server.sesam.host.current;
      const stored = await provider.RefreshToken.find(rotated.refresh_token!);
      expect(stored!.exp! - stored!.iat).toBe(TTL.OfflineRefreshToken);
      const grant = await provider.Grant.find(stored!.grantId!);
      expect(grant!.exp! - grant!.iat!).toBe(TTL.OfflineGrant);
    });

    it('outlive the end of the browser session (the user signs out in the browser)', async () => {
      const { rp, browser, tokens } = await signIn('fien');
      await logout(browser);
      // The browser is signed out: a new authorization asks for the identifier again.
      const again = await browser.start(OFFLINE);
      expect(again.html).toContain('name="identifier"');
      const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
      expect(refreshed.access_token).toBeTruthy();
    });
  });

  describe('end when the account changes', () => {
    it('when the user changes the password, even in the very browser the app signed in through', async () => {
      await admin('POST', '/users', { login: 'gus', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] });
      const { rp, browser, tokens } = await signIn('gus', { remember: true });
      // An admin asks for a new password; the user signs in to another app in the same browser and changes it there.
      expect((await admin('PATCH', '/users/gus', { mustChangePassword: true })).status).toBe(200);
      const web = await relyingParty(server.issuer, 'webapp', WEB_SECRET, 'http://localhost:4999/cb');
      const same = Object.assign(new JourneyClient(server.url, web), { jar: browser.jar });
      await same.start({ scope: 'openid', prompt: 'login' });
      await same.post('identifier', { identifier: 'gus' });
      const change = await same.post('password', { password: PASSWORD });
      expect(change.html).toContain('autocomplete="new-password"');
      await same.post('change-password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
      expect(same.callback?.searchParams.get('code')).toBeTruthy();
      await same.tokens();

      expect(await refreshes(rp, tokens.refresh_token!)).toBe('invalid_grant');
    });

    it('when an admin resets the password', async () => {
      await admin('POST', '/users', { login: 'hana', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] });
      const { rp, tokens } = await signIn('hana');
      const rotated = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
      expect((await admin('POST', '/users/hana/reset-password', { password: 'an initial password from the office' })).status).toBe(200);
      expect(await refreshes(rp, rotated.refresh_token!)).toBe('invalid_grant');
    });

    it("when an admin resets the account's second factors (a lost phone)", async () => {
      await admin('POST', '/users', { login: 'ines', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] });
      const { rp, tokens } = await signIn('ines', { redirectUri: SCHEME_REDIRECT });
      expect((await admin('DELETE', '/users/ines/second-factors')).status).toBe(204);
      expect(await refreshes(rp, tokens.refresh_token!)).toBe('invalid_grant');
    });
  });

  /** RP-initiated logout in the browser: the engine's page, then "yes". */
  async function logout(browser: JourneyClient): Promise<void> {
    const page = await browser.fetch(`${server.url}/session/end?client_id=${encodeURIComponent(APP)}`);
    expect(page.status).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.html)?.[1];
    expect(xsrf).toBeTruthy();
    const done = await browser.fetch(`${server.url}/session/end/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
    });
    expect([200, 303]).toContain(done.status);
    expect(alertOf(done)).toBe('');
  }
});
