/**
 * The portal's Security area end to end in headless Chromium (PostgreSQL + Redis, SMS read from
 * the SMS_OUTBOX file, openid-client as another app): a password changed in the portal kills the
 * refresh token of an app on a phone while the portal stays signed in (seed 001); a phone number
 * that is a second factor is replaced only once a code sent to the new one is typed, and the old
 * one is told (seed 000); two-step verification cannot be switched off under a tenant requiring
 * it, and can when the user switched it on under an optional one (seed 002), after proving the
 * second factor again; a passkey is created in the portal (a virtual authenticator), renamed
 * after a passkey sign-in; axe-core finds nothing on any page of the area, on a phone's screen.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
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
import { axeViolations, describeViolations, portalSignIn } from '../helpers/portal.js';

const SECRET = 'phone-app-secret-0123456789abcdef-0123456';
const PASSWORD = 'a sentence that is long enough';
const PHONE_SCREEN = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true };

describe('portal security area, end to end', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  let app: CallbackServer;
  let outbox: string;

  beforeAll(async () => {
    app = await startCallbackServer();
    outbox = path.join(tmpDir(), 'sms.jsonl');
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      env: { SMS_OUTBOX: outbox, SMS_RESEND_SECONDS: '30' },
      import: {
        tenants: [
          { id: 'opt', name: 'Kantoor Gent', policy: { mfa: 'optional', methods: ['sms', 'totp'], offerPasskeys: false } },
          { id: 'jobs', name: 'Titres-Services Bruxelles', policy: { mfa: 'required', methods: ['sms'], trustedDeviceDays: 0, contact: 'votre employeur (02/547.54.93)' } },
        ],
        users: [
          { login: 'anna', password: PASSWORD, mustChangePassword: false, tenants: ['opt'] },
          { login: 'bert', password: PASSWORD, phone: '+32470111111', mustChangePassword: false, tenants: ['jobs'] },
          { login: 'clara', email: 'clara@kantoor.be', password: PASSWORD, mustChangePassword: false, tenants: ['opt'] },
          { login: 'dora', password: PASSWORD, mustChangePassword: false, tenants: ['opt'] },
          { login: 'emil', password: PASSWORD, mustChangePassword: false },
        ],
        clients: [{ client_id: 'jobtracker', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true }],
      },
    });
    await server.sesam.db('users').where({ login: 'bert' }).update({ phone_verified_at: new Date(), mfa_enabled_by: 'required' });
    browser = await launchBrowser();
    rp = await relyingParty(server.issuer, 'jobtracker', SECRET, app.redirectUri);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await app?.close();
  });

  const smsTo = (to: string) =>
    (fs.existsSync(outbox) ? fs.readFileSync(outbox, 'utf8').trim().split('\n').filter(Boolean) : [])
      .map((l) => JSON.parse(l) as { to: string; text: string })
      .filter((m) => m.to === to);
  const codeOf = (sms: { text: string } | undefined) => /\b(\d{6})\b/.exec(sms?.text ?? '')?.[1] ?? '';
  const totp = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  const dbUser = (login: string) => server.sesam.db('users').where({ login }).first();

  /** axe-core on the page as it is: nothing allowed. */
  async function clean(page: Page): Promise<void> {
    expect(describeViolations(await axeViolations(page))).toBe('');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
  }

  async function go(page: Page, path: string): Promise<void> {
    await page.goto(`${server.issuer}${path}`);
  }

  /** The code page of a sign-in by SMS: send, then type the code that arrived. */
  async function smsSignInStep(page: Page, phone: string): Promise<void> {
    if (await page.locator('button[value="send"]').count()) await submit(page, 'button[value="send"]');
    await page.fill('input[autocomplete="one-time-code"]', codeOf(smsTo(phone).at(-1)));
    await submit(page, 'button[value="verify"]');
  }

  it("a password changed in the portal ends the phone app's refresh token; the portal stays signed in", async () => {
    // The app on a phone, with offline access.
    const phone = await browser.newContext({ locale: 'en' });
    const onPhone = await phone.newPage();
    const req = await authorizationRequest(rp, { scope: 'openid offline_access', prompt: 'consent' });
    await onPhone.goto(req.url.href);
    await fillIdentifier(onPhone, 'anna');
    await fillPassword(onPhone, PASSWORD, { remember: true });
    const tokens = await exchangeCode(rp, await app.next(), req);
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    const phoneRefresh = refreshed.refresh_token ?? tokens.refresh_token!;

    const laptop = await browser.newContext({ locale: 'en-GB', ...PHONE_SCREEN });
    const page = await laptop.newPage();
    await portalSignIn(page, server.issuer, 'anna', PASSWORD, '/account/security');
    expect(new URL(page.url()).pathname).toBe('/account/security');
    await clean(page);
    await submit(page, 'a[href="/account/security/password"]');
    await clean(page);
    await page.fill('#current', PASSWORD);
    await page.fill('#new', 'anna chose a sentence of her own');
    await page.fill('#confirm', 'anna chose a sentence of her own');
    await submit(page, 'form[action="/account/security/password"] button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe('/account/security');
    expect(await page.locator('[role="status"]').textContent()).toContain('Your password was changed');

    const refused = await oidc.refreshTokenGrant(rp.config, phoneRefresh).then(
      () => 'ok',
      (e: { error?: string }) => e.error,
    );
    expect(refused).toBe('invalid_grant');
    await go(page, '/account/security/password');
    expect(new URL(page.url()).pathname).toBe('/account/security/password');
    await phone.close();
    await laptop.close();
  });

  it('replaces a phone number that is a second factor once the new one is proven by SMS, and tells the old one', async () => {
    const context = await browser.newContext({ locale: 'fr-BE', ...PHONE_SCREEN });
    const page = await context.newPage();
    await go(page, '/account/security/phone');
    await fillIdentifier(page, 'bert');
    await fillPassword(page, PASSWORD);
    await smsSignInStep(page, '+32470111111');
    await page.waitForURL((u) => u.pathname === '/account/security/phone');
    await clean(page);
    expect(await page.textContent('main')).toContain('utilisé pour les codes');

    await page.fill('#phone', '0470 22 22 22');
    await submit(page, 'form[action$="/phone/send"] button[type="submit"]');
    const sent = smsTo('+32470222222').at(-1);
    expect(codeOf(sent)).toMatch(/^\d{6}$/);
    expect(sent?.text).toContain('Votre code Sesam');
    // The code page: the time left, and "send again" counting down before it can be used.
    await page.waitForSelector('#countdown');
    expect(await page.locator('#resend').isDisabled()).toBe(true);
    expect(await page.locator('#resend-wait').textContent()).toMatch(/\d:\d\d/);
    await clean(page);

    await page.fill('input[autocomplete="one-time-code"]', codeOf(sent) === '000000' ? '111111' : '000000');
    await submit(page, 'form[action$="/phone/verify"] button[type="submit"]');
    expect(await page.locator('[role="alert"]').textContent()).toBeTruthy();
    expect((await dbUser('bert')).phone).toBe('+32470111111');

    await page.fill('input[autocomplete="one-time-code"]', codeOf(sent));
    await submit(page, 'form[action$="/phone/verify"] button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe('/account/security');
    expect(await page.locator('[role="status"]').textContent()).toContain('Votre numéro de GSM a été modifié');
    const after = await dbUser('bert');
    expect(after.phone).toBe('+32470222222');
    expect(after.phone_verified_at).not.toBeNull();
    expect(smsTo('+32470111111').at(-1)?.text).toMatch(/remplacé.*22/);
    await context.close();
  });

  it('under a tenant that requires it, two-step verification cannot be switched off', async () => {
    const context = await browser.newContext({ locale: 'fr-BE', ...PHONE_SCREEN });
    const page = await context.newPage();
    await go(page, '/account/security/two-step');
    await fillIdentifier(page, 'bert');
    await fillPassword(page, PASSWORD);
    await smsSignInStep(page, '+32470222222');
    await page.waitForURL((u) => u.pathname === '/account/security/two-step');
    const text = await page.textContent('main');
    expect(text).toContain('Titres-Services Bruxelles exige la vérification en deux étapes');
    expect(text).toContain('votre employeur (02/547.54.93)');
    expect(await page.locator('form[action$="/two-step/off"]').count()).toBe(0);
    await clean(page);
    // A hand-made POST with the page's own token is refused just the same.
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const answer = await page.evaluate(
      (token) => fetch('/account/security/two-step/off', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${token}` }).then((r) => r.url),
      csrf,
    );
    expect(new URL(answer).pathname).toBe('/account/security/two-step');
    expect((await dbUser('bert')).phone_verified_at).not.toBeNull();
    await context.close();
  });

  it('switched on by the user under an optional tenant, it is switched off after the second factor is proven again', async () => {
    const context = await browser.newContext({ locale: 'nl-BE', ...PHONE_SCREEN });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'clara', PASSWORD, '/account/security/two-step');
    await clean(page);
    await submit(page, 'form[action$="/authenticator/start"] button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe('/account/security/authenticator');
    await clean(page);
    // On a phone the QR code cannot be scanned: the otpauth:// link opens the app in one tap.
    const link = await page.locator('#totp-link').getAttribute('href');
    expect(link).toMatch(/^otpauth:\/\/totp\/Sesam:clara%40kantoor\.be\?/);
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s+/g, '');
    expect(new URL(link!).searchParams.get('secret')).toBe(secret);
    await page.fill('input[autocomplete="one-time-code"]', totp(secret).generate());
    await submit(page, 'form[action$="/authenticator/confirm"] button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe('/account/security/recovery-codes/show');
    expect(await page.locator('ul.codes li').count()).toBe(10);
    await clean(page);
    await page.reload();
    expect(new URL(page.url()).pathname).toBe('/account/security/recovery-codes');
    expect(await page.locator('ul.codes').count()).toBe(0);
    await clean(page);
    await go(page, '/account/security/authenticator');
    await clean(page);
    expect((await dbUser('clara')).mfa_enabled_by).toBe('user');

    // The sign-in proved the password only: switching off asks for the code first.
    await go(page, '/account/security/two-step');
    await clean(page);
    await submit(page, 'main a.button[href*="max_age=0"]');
    if (await page.locator('input[autocomplete~="username"]:not([hidden])').count()) await submit(page, 'form[action$="/identifier"] button[type="submit"]');
    await fillPassword(page, PASSWORD);
    await page.fill('input[autocomplete="one-time-code"]', totp(secret).generate({ timestamp: Date.now() + 30_000 }));
    await submit(page, 'button[value="verify"]');
    await page.waitForURL((u) => u.pathname === '/account/security/two-step');
    await clean(page);
    await submit(page, 'form[action$="/two-step/off"] button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe('/account/security');
    expect(await page.locator('[role="status"]').textContent()).toContain('Twee-factor-authenticatie staat uit');
    const after = await dbUser('clara');
    expect(after.mfa_enabled_by).toBeNull();
    expect(await server.sesam.db('totp_factors').where({ user_id: after.id }).first()).toBeUndefined();
    await context.close();
  });

  it('creates a passkey in the portal, then renames it after a passkey sign-in', async () => {
    const context: BrowserContext = await browser.newContext({ locale: 'de-BE' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'dora', PASSWORD, '/account/security/passkeys');
    // axe runs through a CDP session of its own, whose detach also stops the virtual
    // authenticator: check before adding it, and again once the ceremonies are over.
    await clean(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: false, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.click('button[data-passkey="register"]');
    await page.waitForSelector('main h3');
    expect(await page.locator('[role="status"]').textContent()).toContain('wurde erstellt');
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(1);
    expect(await page.textContent('main')).toMatch(/Nur auf diesem Gerät|Zwischen Ihren Geräten synchronisiert/);

    // A passkey now guards the account: changes ask for a sign-in with two factors, the passkey does it.
    expect(await page.locator('form[action$="/passkeys/rename"]').count()).toBe(0);
    await submit(page, 'main a.button[href*="max_age=0"]');
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    await page.waitForSelector('input[name="webauthn"][value="platform"]', { state: 'attached' });
    await Promise.all([page.waitForURL((u) => u.pathname === '/account/security/passkeys'), page.click('form[action$="/identifier"] button[type="submit"]')]);
    const id = await page.locator('form[action$="/passkeys/rename"] input[name="id"]').first().inputValue();
    await page.locator('form[action$="/passkeys/rename"] input[name="name"]').first().fill('Mein Laptop');
    await submit(page, 'form[action$="/passkeys/rename"] button[type="submit"]');
    expect(await page.locator('[role="status"]').textContent()).toContain('Mein Laptop');
    expect((await server.sesam.db('passkeys').where({ id }).first()).name).toBe('Mein Laptop');
    await cdp.detach();
    await clean(page);
    await context.close();
  });

  it('a user of no tenant who switches two-step verification on is asked for the code at the next sign-in', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'emil', PASSWORD, '/account/security/authenticator');
    await submit(page, 'form[action$="/authenticator/start"] button[type="submit"]');
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s+/g, '');
    await page.fill('input[autocomplete="one-time-code"]', totp(secret).generate());
    await submit(page, 'form[action$="/authenticator/confirm"] button[type="submit"]');
    expect((await dbUser('emil')).mfa_enabled_by).toBe('user');
    await context.close();

    // Another browser: the password alone no longer opens the account.
    const other = await browser.newContext({ locale: 'en-GB' });
    const next = await other.newPage();
    await next.goto(`${server.issuer}/account`);
    await fillIdentifier(next, 'emil');
    await fillPassword(next, PASSWORD);
    expect(new URL(next.url()).pathname).toMatch(/^\/interaction\//);
    await next.fill('input[autocomplete="one-time-code"]', totp(secret).generate({ timestamp: Date.now() + 30_000 }));
    await submit(next);
    await next.waitForURL((url) => url.pathname === '/account');
    await other.close();
  });
});
