/**
 * Passkeys end to end (seed 004), in headless Chromium with the DevTools virtual authenticator
 * (a platform authenticator with resident keys and user verification) and openid-client as the
 * app, on PostgreSQL + Redis: the offer after a password sign-in, then identifier → passkey with
 * no password page; "skip" remembered; autofill and the usernameless button; a cloned credential refused; the
 * password when the authenticator is gone or the ceremony fails; a tenant that requires
 * phishing-resistant sign-in.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
import { JourneyClient } from '../helpers/journey-client.js';
import { authorizationRequest, exchangeCode, launchBrowser, relyingParty, startCallbackServer, submit, type CallbackServer, type RelyingParty } from '../helpers/browser.js';

const SECRET = 'portal-secret-0123456789abcdef-0123456789';
const PASSWORD = 'a sentence that is long enough';

interface Device {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  /** Titles of every page the journey showed on this device since the last reset. */
  seen: string[];
}

describe('passkeys', () => {
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
      host: 'localhost', // a WebAuthn RP ID must be a domain name
      env: { SMS_OUTBOX: outbox },
      import: {
        tenants: [
          { id: 'mutual', name: 'Mutualité', policy: { mfa: 'off' } },
          { id: 'strict', name: 'Cabinet Strict', policy: { mfa: 'required', methods: ['passkey'], contact: 'IT 02 123 45 67' } },
          { id: 'seed000', name: 'Titres-Services', policy: { mfa: 'off', lockout: { threshold: 3, mode: 'permanent', trustedDevices: 'strict' } } },
        ],
        users: [
          { login: 'member', password: PASSWORD, mustChangePassword: false, tenants: ['mutual'] },
          { login: 'skipper', password: PASSWORD, mustChangePassword: false, tenants: ['mutual'] },
          { login: 'roamer', password: PASSWORD, mustChangePassword: false, tenants: ['mutual'] },
          { login: 'fumbler', password: PASSWORD, mustChangePassword: false, tenants: ['mutual'] },
          { login: 'lockme', password: PASSWORD, mustChangePassword: false, tenants: ['mutual'] },
          { login: 'strictowner', password: PASSWORD, mustChangePassword: false, tenants: ['seed000'] },
          { login: 'cloned', password: PASSWORD, mustChangePassword: false, tenants: ['mutual'] },
          { login: 'careful', password: PASSWORD, mustChangePassword: false, phone: '0470 12 34 56', tenants: ['strict'] },
        ],
        clients: [{ client_id: 'portal', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true }],
      },
    });
    await server.sesam.db('users').where({ login: 'careful' }).update({ phone_verified_at: new Date() });
    browser = await launchBrowser();
    rp = await relyingParty(server.issuer, 'portal', SECRET, app.redirectUri);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await app?.close();
  });

  /**
   * A browser with a platform authenticator. `discoverable`: it keeps resident keys, which the
   * browser then also offers on the identifier field (conditional mediation) — and the virtual
   * authenticator picks it there by itself, so identifier-first is tested with a non-resident one.
   */
  async function device(options: { discoverable?: boolean } = {}): Promise<Device> {
    const context = await browser.newContext({ locale: 'en' });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: options.discoverable ?? false, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const d: Device = { context, page, cdp, authenticatorId, seen: [] };
    page.on('load', () => void page.locator('h1').first().textContent().then((t) => d.seen.push(t ?? ''), () => undefined));
    return d;
  }

  const credentials = async (d: Device) => (await d.cdp.send('WebAuthn.getCredentials', { authenticatorId: d.authenticatorId })).credentials;

  /** Starts a sign-in at the app; returns the request to exchange its code. */
  async function start(d: Device, extra: Record<string, string> = {}) {
    d.seen = [];
    const req = await authorizationRequest(rp, extra);
    await d.page.goto(req.url.href);
    return req;
  }

  /** Submits a form once the page's script has said what the browser can do. */
  async function typeIdentifier(d: Device, login: string, capability = 'platform') {
    await d.page.waitForSelector(`input[name="webauthn"][value="${capability}"]`, { state: 'attached' });
    await d.page.fill('#identifier', login);
    await submit(d.page, 'form[action$="/identifier"] button[type="submit"]');
  }
  async function typePassword(d: Device, capability: 'platform' | 'any' = 'platform') {
    await d.page.waitForSelector(capability === 'any' ? 'input[name="webauthn"]:not([value=""])' : 'input[name="webauthn"][value="platform"]', { state: 'attached' });
    await d.page.fill('input[autocomplete="current-password"]', PASSWORD);
    await submit(d.page, 'form[action$="/password"] button[type="submit"]');
  }

  /** A password sign-in that accepts the offer: the device now holds a passkey of `login`. Returns the tokens' claims. */
  async function createPasskey(d: Device, login: string) {
    const req = await start(d);
    await typeIdentifier(d, login);
    await typePassword(d);
    await Promise.all([d.page.waitForURL((u) => u.href.startsWith(app.redirectUri)), d.page.click('button[data-passkey="register"]')]);
    return (await exchangeCode(rp, await app.next(), req)).claims()!;
  }

  it('offers a passkey after a password sign-in, then signs in with it after the identifier, no password page seen', async () => {
    const d = await device();
    let req = await start(d);
    await typeIdentifier(d, 'member');
    await typePassword(d);
    expect(await d.page.locator('h1').textContent()).toBe('Sign in faster with a passkey');
    expect(await d.page.locator('button[value="skip"]').textContent()).toBe('Skip this step and log in with my password');
    await Promise.all([d.page.waitForURL((u) => u.href.startsWith(app.redirectUri)), d.page.click('button[data-passkey="register"]')]);
    const first = (await exchangeCode(rp, await app.next(), req)).claims()!;
    expect(first.amr).toEqual(['pwd']); // creating a key proves nothing about who holds the account
    expect(await credentials(d)).toHaveLength(1);

    // The next sign-in: the identifier, then the passkey at once.
    req = await start(d, { prompt: 'login' });
    await typeIdentifier(d, 'member');
    await d.page.waitForURL((u) => u.href.startsWith(app.redirectUri));
    const claims = (await exchangeCode(rp, await app.next(), req)).claims()!;
    expect(claims.sub).toBe(first.sub);
    expect(claims.amr).toEqual(expect.arrayContaining(['user', 'mfa']));
    expect((claims.amr as string[]).some((v) => v === 'hwk' || v === 'swk')).toBe(true);
    expect(claims.acr).toBe('urn:sesam:acr:phr');
    expect(d.seen).not.toContain('Enter your password');

    // The account's passkeys, as the admin API shows them.
    const user = await server.sesam.directory.requireUser('member');
    const [stored] = await server.sesam.db('passkeys').where({ user_id: user.id });
    expect(Number(stored.counter)).toBeGreaterThan(0);
    expect(stored.last_used_at).not.toBeNull();

    // The authenticator is gone (another browser, a corporate machine): the password still works.
    await d.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: d.authenticatorId });
    req = await start(d, { prompt: 'login' });
    await typeIdentifier(d, 'member', 'available'); // WebAuthn, but no authenticator on this device now
    expect(await d.page.locator('h1').textContent()).toBe('Sign in with your passkey');
    await submit(d.page, 'button[value="password"]');
    await typePassword(d, 'any');
    expect((await exchangeCode(rp, await app.next(), req)).claims()!.amr).toEqual(['pwd']);
    await d.context.close();
  });

  it('a discoverable passkey signs in from the identifier field (autofill) or the button, no identifier typed', async () => {
    const d = await device({ discoverable: true });
    const first = await createPasskey(d, 'roamer');
    expect((await credentials(d))[0].isResidentCredential).toBe(true);

    // Autofill (conditional mediation) on the identifier field: the browser offers the passkey
    // as the page loads; the virtual authenticator accepts it at once.
    let req = await start(d, { prompt: 'login' });
    await d.page.waitForURL((u) => u.href.startsWith(app.redirectUri));
    let claims = (await exchangeCode(rp, await app.next(), req)).claims()!;
    expect(claims.sub).toBe(first.sub);
    expect(claims.acr).toBe('urn:sesam:acr:phr');
    expect(d.seen).not.toContain('Enter your password');

    // The "sign in with a passkey" button (autofill held back, as when the user ignores it).
    let held = false;
    await d.page.route('**/interaction/*/identifier', (route) => {
      if (!held && route.request().method() === 'POST' && /"options"/.test(route.request().postData() ?? '')) {
        held = true;
        return route.abort();
      }
      return route.continue();
    });
    req = await start(d, { prompt: 'login' });
    await d.page.waitForSelector('input[name="webauthn"][value="platform"]', { state: 'attached' });
    await Promise.all([d.page.waitForURL((u) => u.href.startsWith(app.redirectUri)), d.page.click('.passkey-way button[data-passkey="authenticate"]')]);
    claims = (await exchangeCode(rp, await app.next(), req)).claims()!;
    expect(held).toBe(true);
    expect(claims.sub).toBe(first.sub);
    await d.context.close();
  });

  it('remembers "skip" on this device, and offers again on another', async () => {
    const d = await device();
    let req = await start(d);
    await typeIdentifier(d, 'skipper');
    await typePassword(d);
    await submit(d.page, 'button[value="skip"]');
    await exchangeCode(rp, await app.next(), req);
    req = await start(d, { prompt: 'login' });
    await typeIdentifier(d, 'skipper');
    await typePassword(d);
    await exchangeCode(rp, await app.next(), req); // straight to the app: no offer
    expect(d.seen).not.toContain('Sign in faster with a passkey');
    await d.context.close();

    const other = await device();
    await start(other);
    await typeIdentifier(other, 'skipper');
    await typePassword(other);
    expect(await other.page.locator('h1').textContent()).toBe('Sign in faster with a passkey');
    await other.context.close();
  });

  it('refuses a cloned credential (its counter goes back), flags it, and says so plainly', async () => {
    const d = await device();
    await createPasskey(d, 'cloned');
    // Two sign-ins advance the counter.
    for (let i = 0; i < 2; i++) {
      const req = await start(d, { prompt: 'login' });
      await typeIdentifier(d, 'cloned');
      await d.page.waitForURL((u) => u.href.startsWith(app.redirectUri));
      await exchangeCode(rp, await app.next(), req);
    }
    const [original] = await credentials(d);
    expect(original.signCount).toBeGreaterThanOrEqual(2);

    // A copy of the key, with the counter it had at the copy.
    const copy = await device();
    await copy.cdp.send('WebAuthn.addCredential', { authenticatorId: copy.authenticatorId, credential: { ...original, signCount: 1 } });
    await start(copy, { prompt: 'login' });
    await typeIdentifier(copy, 'cloned');
    await copy.page.waitForSelector('#passkey-error[role="alert"]:not([hidden])');
    expect(await copy.page.locator('[role="alert"]').textContent()).toMatch(/looks copied/);
    // The other ways in stay on the page.
    expect(await copy.page.locator('button[value="password"]').count()).toBe(1);
    const user = await server.sesam.directory.requireUser('cloned');
    const [row] = await server.sesam.db('passkeys').where({ user_id: user.id });
    expect(row.flagged_at).not.toBeNull();
    expect((await server.sesam.events.list({ userId: user.id, type: 'passkey.clone_suspected' })).length).toBe(1);
    // A flagged key is refused everywhere; the identifier goes to the password now.
    await start(d, { prompt: 'login' });
    await typeIdentifier(d, 'cloned');
    expect(await d.page.locator('input[autocomplete="current-password"]').count()).toBe(1);
    await d.context.close();
    await copy.context.close();
  });

  it('a ceremony that fails returns to a page offering the other ways in, with a plain message', async () => {
    const d = await device();
    await createPasskey(d, 'fumbler');
    // The fingerprint is not recognised: the browser gives up, the page says so and stays.
    await d.cdp.send('WebAuthn.setUserVerified', { authenticatorId: d.authenticatorId, isUserVerified: false });
    const req = await start(d, { prompt: 'login' });
    await typeIdentifier(d, 'fumbler');
    await d.page.waitForSelector('#passkey-error[role="alert"]:not([hidden])');
    expect(await d.page.locator('[role="alert"]').textContent()).toMatch(/not used|could not be checked/);
    expect(await d.page.locator('h1').textContent()).toBe('Sign in with your passkey');
    // The password is one click away (then, on a device that can hold one, the offer: skipped here).
    await submit(d.page, 'button[value="password"]');
    await typePassword(d, 'any');
    if (!d.page.url().startsWith(app.redirectUri)) await submit(d.page, 'button[value="skip"]');
    expect((await exchangeCode(rp, await app.next(), req)).claims()!.amr).toEqual(['pwd']);
    await d.context.close();
  });

  it('a password lock others can trigger does not stop the owner\'s passkey; a strict tenant\'s lock does', async () => {
    for (const [login, strict] of [
      ['lockme', false],
      ['strictowner', true],
    ] as const) {
      const d = await device();
      await createPasskey(d, login);
      // Someone else guesses the password three times: the account is locked.
      for (let i = 0; i < 3; i++) await new JourneyClient(server.url, rp).signIn(login, `wrong guess ${i}`);
      const user = await server.sesam.directory.requireUser(login);
      expect(user.locked).toBe(true);
      const req = await start(d, { prompt: 'login' });
      await typeIdentifier(d, login);
      if (!strict) {
        await d.page.waitForURL((u) => u.href.startsWith(app.redirectUri));
        expect((await exchangeCode(rp, await app.next(), req)).claims()!.acr).toBe('urn:sesam:acr:phr');
        expect((await server.sesam.events.list({ userId: user.id, type: 'login.locked_passkey' })).length).toBe(1);
      } else {
        await d.page.waitForSelector('#passkey-error[role="alert"]:not([hidden])');
        expect(await d.page.locator('[role="alert"]').textContent()).toMatch(/locked/);
        expect(d.page.url().startsWith(app.redirectUri)).toBe(false);
      }
      await d.context.close();
    }
  });

  it('a tenant requiring phishing-resistant sign-in: the phone once, then a passkey is created and used before any token', async () => {
    const d = await device();
    const req = await start(d);
    await typeIdentifier(d, 'careful');
    await typePassword(d);
    // Prove the factor the user has first (never a passkey on the strength of a password alone).
    await submit(d.page, 'button[value="send"]');
    const lines = fs.readFileSync(outbox, 'utf8').trim().split('\n');
    const code = /\b(\d{6})\b/.exec(JSON.parse(lines[lines.length - 1]).text)![1];
    await d.page.fill('input[autocomplete="one-time-code"]', code);
    await submit(d.page, 'button[value="verify"]');
    // Then create the passkey, then sign in with it.
    await d.page.click('button[data-passkey="register"]');
    await d.page.waitForURL((u) => u.href.startsWith(app.redirectUri), { timeout: 30_000 });
    const claims = (await exchangeCode(rp, await app.next(), req)).claims()!;
    expect(claims.acr).toBe('urn:sesam:acr:phr');
    expect(claims.amr).toEqual(expect.arrayContaining(['user', 'mfa']));
    expect(d.seen).toContain('Sign in with your passkey');
    await d.context.close();
  }, 60_000);
});
