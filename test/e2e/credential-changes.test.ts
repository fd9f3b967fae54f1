/**
 * Credential changes end the account's sessions and tokens, end to end in headless Chromium with
 * openid-client as the app (PostgreSQL + Redis): after an admin reset the app's refresh token is
 * refused and the old browser must sign in again (with the initial password, then its own); a
 * user's own forced password change on one device kills the refresh token of another (seed 001:
 * an app keeps working "until the password changes").
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext } from 'playwright-core';
import { adminToken, startTestServer, type TestServer } from '../helpers/server.js';
import {
  authorizationRequest,
  exchangeCode,
  fillIdentifier,
  fillPassword,
  launchBrowser,
  oidc,
  relyingParty,
  startCallbackServer,
  submit,
  type CallbackServer,
  type RelyingParty,
} from '../helpers/browser.js';

const SECRET = 'phone-app-secret-0123456789abcdef-0123456';
const PASSWORD = 'a sentence that is long enough';

describe('credential changes, end to end', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  let app: CallbackServer;
  let token: string;

  beforeAll(async () => {
    app = await startCallbackServer();
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'off' } }],
        users: [
          { login: 'anna', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
          { login: 'ben', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
        ],
        clients: [{ client_id: 'jobtracker', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true }],
      },
    });
    browser = await launchBrowser();
    rp = await relyingParty(server.issuer, 'jobtracker', SECRET, app.redirectUri);
    token = await adminToken(server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await app?.close();
  });

  const admin = (method: string, path: string, body: unknown) =>
    fetch(`${server.url}/admin/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** The app on a device: offline access (its refresh token outlives the browser session), as a phone app has. */
  async function signIn(context: BrowserContext, login: string, password: string) {
    const page = await context.newPage();
    const req = await authorizationRequest(rp, { scope: 'openid offline_access', prompt: 'consent' });
    await page.goto(req.url.href);
    await fillIdentifier(page, login);
    await fillPassword(page, password, { remember: true });
    return { page, req };
  }

  async function refreshes(refreshToken: string): Promise<string> {
    try {
      await oidc.refreshTokenGrant(rp.config, refreshToken);
      return 'ok';
    } catch (e) {
      return (e as { error?: string }).error ?? String(e);
    }
  }

  it("admin reset: the app's refresh token is refused and the old browser signs in again, with the initial password", async () => {
    const context = await browser.newContext({ locale: 'en' });
    const { req } = await signIn(context, 'anna', PASSWORD);
    const tokens = await exchangeCode(rp, await app.next(), req);
    expect(tokens.refresh_token).toBeTruthy();
    expect(await refreshes(tokens.refresh_token!)).toBe('ok');

    expect((await admin('POST', '/users/anna/reset-password', { password: 'initial from the office' })).status).toBe(200);

    expect(await refreshes(tokens.refresh_token!)).toBe('invalid_grant');
    // The old browser: asked who it is, not handed a "choose a new password" page.
    const page = await context.newPage();
    await page.goto((await authorizationRequest(rp)).url.href);
    expect(await page.locator('input[autocomplete~="username"]:not([hidden])').count()).toBe(1);
    expect(await page.locator('input[autocomplete="new-password"]').count()).toBe(0);
    // The old password no longer works; the initial one leads to the forced change.
    await fillIdentifier(page, 'anna');
    await fillPassword(page, PASSWORD);
    expect(await page.locator('[role="alert"]').count()).toBe(1);
    await fillPassword(page, 'initial from the office');
    expect(await page.locator('input[autocomplete="new-password"]').count()).toBe(2);
    await page.fill('#new', 'anna chose this sentence');
    await page.fill('#confirm', 'anna chose this sentence');
    await submit(page);
    expect((await app.next()).searchParams.get('code')).toBeTruthy();
    await context.close();
  });

  it("a user's own forced password change on the laptop kills the phone app's refresh token", async () => {
    const phone = await browser.newContext({ locale: 'en' });
    const onPhone = await signIn(phone, 'ben', PASSWORD);
    const phoneTokens = await exchangeCode(rp, await app.next(), onPhone.req);
    expect(await refreshes(phoneTokens.refresh_token!)).toBe('ok');

    // The office asks for a new password at the next sign-in; Ben signs in on his laptop.
    expect((await admin('PATCH', '/users/ben', { mustChangePassword: true })).status).toBe(200);
    const laptop = await browser.newContext({ locale: 'en' });
    const onLaptop = await signIn(laptop, 'ben', PASSWORD);
    await onLaptop.page.fill('#new', 'ben chose this sentence');
    await onLaptop.page.fill('#confirm', 'ben chose this sentence');
    await submit(onLaptop.page);
    const laptopTokens = await exchangeCode(rp, await app.next(), onLaptop.req);

    expect(await refreshes(phoneTokens.refresh_token!)).toBe('invalid_grant');
    expect(await refreshes(laptopTokens.refresh_token!)).toBe('ok');
    // The phone's browser session ended too; the laptop's goes on without a password.
    const again = await phone.newPage();
    await again.goto((await authorizationRequest(rp)).url.href);
    expect(await again.locator('input[autocomplete~="username"]:not([hidden])').count()).toBe(1);
    const stillIn = await laptop.newPage();
    const req = await authorizationRequest(rp);
    await stillIn.goto(req.url.href);
    expect((await exchangeCode(rp, await app.next(), req)).claims()!.preferred_username).toBe('ben');
    const user = await server.sesam.directory.requireUser('ben');
    const ended = await server.sesam.events.list({ userId: user.id, type: 'account.sessions_ended' });
    expect(ended[0]?.details).toMatchObject({ reason: 'password_changed' });
    await phone.close();
    await laptop.close();
  });
});
