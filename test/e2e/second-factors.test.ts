/**
 * Issue 4 end to end (headless Chromium + openid-client, PostgreSQL + Redis, SMS read from the
 * SMS_OUTBOX file): SMS at the first connection to an employer, the trusted device spared, a new
 * device asked again, Belgian mobiles only, expiry and the try limit; TOTP enrolment when the
 * office requires it (codes by the independent otpauth library), a replayed code refused, a
 * recovery code; acr_values forcing the second factor; amr and acr in the ID token.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import { adminToken, startTestServer, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
import {
  alertText,
  authorizationRequest,
  exchangeCode,
  fillIdentifier,
  fillPassword,
  launchBrowser,
  relyingParty,
  startCallbackServer,
  submit,
  type CallbackServer,
  type RelyingParty,
} from '../helpers/browser.js';

const SECRET = 'app-secret-0123456789abcdef-0123456789ab';
const PASSWORD = 'a sentence that is long enough';

describe('second factors', () => {
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
      env: { SMS_OUTBOX: outbox, SMS_RESEND_SECONDS: '10' },
      import: {
        tenants: [
          { id: 'jobs', name: 'Titres-Services Bruxelles', policy: { mfa: 'required', methods: ['sms'], trustedDeviceDays: 30, contact: 'votre employeur' } },
          { id: 'office', name: 'Kantoor Gent', policy: { mfa: 'required', methods: ['totp'], trustedDeviceDays: 0 } },
        ],
        users: [
          { login: 'worker', password: PASSWORD, mustChangePassword: false, tenants: ['jobs'] },
          { login: 'counter', password: PASSWORD, mustChangePassword: false, tenants: ['jobs'] },
          { login: 'clerk', email: 'clerk@kantoor.be', password: PASSWORD, mustChangePassword: false, tenants: ['office'] },
        ],
        clients: [{ client_id: 'app', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true }],
      },
    });
    browser = await launchBrowser();
    rp = await relyingParty(server.issuer, 'app', SECRET, app.redirectUri);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await app?.close();
  });

  const lastSms = (): { to: string; text: string } => {
    const lines = fs.readFileSync(outbox, 'utf8').trim().split('\n');
    return JSON.parse(lines[lines.length - 1]);
  };
  const smsCount = () => (fs.existsSync(outbox) ? fs.readFileSync(outbox, 'utf8').trim().split('\n').filter(Boolean).length : 0);
  const codeOf = (sms: { text: string }) => /\b(\d{6})\b/.exec(sms.text)![1];

  async function login(context: BrowserContext, user: string, extra: Record<string, string> = {}) {
    const page = await context.newPage();
    const req = await authorizationRequest(rp, extra);
    await page.goto(req.url.href);
    await fillIdentifier(page, user);
    await fillPassword(page, PASSWORD);
    return { page, req };
  }
  /** The SMS goes only when asked (a POST), never on a page load. */
  const sendSms = async (page: Page) => {
    await submit(page, 'button[value="send"]');
  };
  const submitCode = async (page: Page, code: string) => {
    await page.fill('input[autocomplete="one-time-code"]', code);
    await submit(page, 'form button[type="submit"]:first-of-type');
  };

  it('SMS at the first connection to the employer, Belgian mobiles only, then the trusted device is spared and a new one asked', async () => {
    const context = await browser.newContext({ locale: 'fr-BE' });
    const { page, req } = await login(context, 'worker');
    // required, nothing enrolled: enrolment inside the journey
    expect(await page.locator('input[autocomplete="tel"]').count()).toBe(1);
    for (const wrong of ['+33 6 12 34 56 78', '02 547 54 93', '123']) {
      await page.fill('input[autocomplete="tel"]', wrong);
      await submit(page, 'button[value="phone"]');
      expect(await alertText(page)).toContain('belge');
    }
    const before = smsCount();
    await page.fill('input[autocomplete="tel"]', '0470 12 34 56');
    await submit(page, 'button[value="phone"]');
    expect(smsCount()).toBe(before + 1);
    const sms = lastSms();
    expect(sms.to).toBe('+32470123456');
    // the countdown: a deadline readable without JavaScript, and a live timer
    expect(await page.locator('#deadline').textContent()).toMatch(/\d{2}:\d{2}/);
    const first = await page.locator('#countdown').textContent();
    await page.waitForTimeout(1200);
    expect(await page.locator('#countdown').textContent()).not.toBe(first);
    // "didn't get it? check your number" goes back to the number
    expect(await page.locator('button[value="change-number"]').count()).toBe(1);
    await submitCode(page, codeOf(sms));
    // first enrolment: the recovery codes, once
    expect(await page.locator('ul.codes li').count()).toBe(10);
    await submit(page, 'form button[type="submit"]');
    const tokens = await exchangeCode(rp, await app.next(), req);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'sms', 'mfa']));
    expect(claims.acr).toBe('urn:sesam:acr:2fa');
    expect(claims.org_id).toBe('jobs');

    // The same device next time (a fresh login): no code asked.
    const again = await login(context, 'worker', { prompt: 'login' });
    const quiet = await exchangeCode(rp, await app.next(), again.req);
    expect(quiet.claims()!.amr).toEqual(['pwd']);
    expect(quiet.claims()!.acr).toBe('urn:sesam:acr:1fa');

    // ... unless the app asks for two factors.
    const forced = await login(context, 'worker', { prompt: 'login', acr_values: 'urn:sesam:acr:2fa' });
    await sendSms(forced.page);
    expect(await forced.page.locator('input[autocomplete="one-time-code"]').count()).toBe(1);
    await submitCode(forced.page, codeOf(lastSms()));
    expect((await exchangeCode(rp, await app.next(), forced.req)).claims()!.acr).toBe('urn:sesam:acr:2fa');

    // A new device is asked again; arriving sends nothing, the button sends the code.
    const other = await browser.newContext({ locale: 'fr-BE' });
    const count = smsCount();
    const fresh = await login(other, 'worker');
    expect(smsCount()).toBe(count);
    expect(await fresh.page.textContent('body')).toContain('+32 4•• •• •• 56');
    await fresh.page.reload(); // a reload sends nothing
    expect(smsCount()).toBe(count);
    await sendSms(fresh.page);
    expect(smsCount()).toBe(count + 1);
    await fresh.page.reload(); // nor after a code went
    expect(smsCount()).toBe(count + 1);
    await submitCode(fresh.page, codeOf(lastSms()));
    expect((await exchangeCode(rp, await app.next(), fresh.req)).claims()!.amr).toContain('sms');

    // Someone locks the account with wrong passwords; the owner's trusted browser still gets in.
    const intruder = await (await browser.newContext()).newPage();
    await intruder.goto((await authorizationRequest(rp)).url.href);
    await fillIdentifier(intruder, 'worker');
    for (const guess of ['guess one', 'guess two', 'guess three']) await fillPassword(intruder, guess);
    await fillPassword(intruder, PASSWORD);
    expect(await alertText(intruder)).toBeTruthy(); // locked: the right password is refused there
    const owner = await login(context, 'worker', { prompt: 'login' });
    expect((await exchangeCode(rp, await app.next(), owner.req)).claims()!.sub).toBe(claims.sub);
    await intruder.context().close();
    await context.close();
    await other.close();
  });

  it('an SMS code expires, allows five tries, and a new code does not reset the count', async () => {
    // counter enrols first
    const setup = await browser.newContext({ locale: 'en' });
    const s = await login(setup, 'counter');
    await s.page.fill('input[autocomplete="tel"]', '+32 471 98 76 54');
    await submit(s.page, 'button[value="phone"]');
    await submitCode(s.page, codeOf(lastSms()));
    await submit(s.page, 'form button[type="submit"]');
    await exchangeCode(rp, await app.next(), s.req);
    await setup.close();

    const context = await browser.newContext({ locale: 'en' });
    const { page } = await login(context, 'counter');
    await sendSms(page);
    const right = codeOf(lastSms());
    // expiry: age the live code in the journey store, then the right code is refused as expired
    const uid = new URL(page.url()).pathname.split('/')[2];
    const journey = (await server.sesam.kv.get<Record<string, any>>(`journey:${uid}`))!;
    const live = journey.challenges.sms;
    const age = async (sms: Record<string, unknown>) => {
      const now = (await server.sesam.kv.get<Record<string, any>>(`journey:${uid}`))!;
      await server.sesam.kv.set(`journey:${uid}`, { ...now, challenges: { ...now.challenges, sms: { ...live, ...sms } } }, 600);
    };
    await age({ expiresAt: Date.now() - 1000 });
    await submitCode(page, right);
    expect(await alertText(page)).toContain('expired');
    // a new code (after the cooldown), then five wrong tries
    await age({ expiresAt: Date.now() - 1000, sentAt: 0 });
    await page.reload();
    await sendSms(page);
    const fresh = codeOf(lastSms());
    const wrong = fresh === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) {
      await submitCode(page, wrong);
      expect(await alertText(page)).toContain('not right');
    }
    await submitCode(page, wrong);
    expect(await alertText(page)).toContain('Too many');
    // another new code does not give new tries
    const current = (await server.sesam.kv.get<Record<string, any>>(`journey:${uid}`))!;
    await age({ ...current.challenges.sms, sentAt: 0 });
    await sendSms(page);
    await submitCode(page, codeOf(lastSms()));
    expect(await alertText(page)).toContain('Too many');
    await context.close();
  });

  it('TOTP enrolment when the office requires it, a replayed code refused, a recovery code accepted once', async () => {
    const context = await browser.newContext({ locale: 'nl-BE' });
    const { page, req } = await login(context, 'clerk');
    const qr = await page.getAttribute('img[src^="data:image/png"]', 'src');
    expect(qr).toBeTruthy();
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s/g, '');
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    await submitCode(page, totp.generate());
    const codes = (await page.locator('ul.codes code').allTextContents()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    await submit(page, 'form button[type="submit"]');
    const tokens = await exchangeCode(rp, await app.next(), req);
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));

    // Next sign-in (trustedDeviceDays 0: always asked). The code just used at enrolment is refused.
    const next = await login(context, 'clerk', { prompt: 'login' });
    expect(await next.page.locator('input[autocomplete="one-time-code"]').count()).toBe(1);
    let accepted = totp.generate();
    await submitCode(next.page, accepted);
    const firstTry = await alertText(next.page).catch(() => '');
    if (firstTry) {
      // the enrolment used this time step: a replay; wait for the next step
      expect(firstTry).toContain('al gebruikt');
      await next.page.waitForTimeout(30_000 - (Date.now() % 30_000) + 200);
      accepted = totp.generate();
      await submitCode(next.page, accepted);
    }
    await exchangeCode(rp, await app.next(), next.req);
    // The code just accepted once more, in another sign-in: refused as a replay (the very code, so
    // a time step that turned meanwhile cannot make it a fresh one).
    const replay = await login(context, 'clerk', { prompt: 'login' });
    await submitCode(replay.page, accepted);
    expect(await alertText(replay.page)).toContain('al gebruikt');

    // Another method: a recovery code, once.
    await submit(replay.page, 'button[name="switch"][value="recovery"]');
    await submitCode(replay.page, codes[0].toUpperCase());
    await exchangeCode(rp, await app.next(), replay.req);
    const reuse = await login(context, 'clerk', { prompt: 'login' });
    await submit(reuse.page, 'button[name="switch"][value="recovery"]');
    await submitCode(reuse.page, codes[0]);
    expect(await alertText(reuse.page)).toContain('klopt niet');

    // The office admin switches the lost app off: the next sign-in enrols again.
    const token = await adminToken(server);
    const reset = await fetch(`${server.url}/admin/v1/users/clerk/second-factors`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(reset.ok).toBe(true);
    const after = await login(context, 'clerk', { prompt: 'login' });
    expect(await after.page.locator('img[src^="data:image/png"]').count()).toBe(1);
    expect(await after.page.locator('button[name="switch"]').count()).toBe(0);
    await context.close();
  }, 150_000); // may wait for the next 30-second time step
});
