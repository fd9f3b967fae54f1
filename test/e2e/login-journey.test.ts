/**
 * Issue 3 end to end (headless Chromium + openid-client, PostgreSQL + Redis): the tenant
 * picker, `organization`, select_account, lockout at the threshold and under a parallel burst,
 * admin unlock and the forced password change, stay signed in, the four languages.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminToken, startTestServer, type TestServer } from '../helpers/server.js';
import { JourneyClient } from '../helpers/journey-client.js';
import {
  alertText,
  authorizationRequest,
  startCallbackServer,
  submit,
  type CallbackServer,
  exchangeCode,
  fillIdentifier,
  fillPassword,
  launchBrowser,
  relyingParty,
  type RelyingParty,
} from '../helpers/browser.js';

const SECRET = 'portal-secret-0123456789abcdef-0123456789';
const PASSWORD = 'a sentence that is long enough';
const importFile = (REDIRECT: string) => ({
  tenants: [
    { id: 'acme', name: 'Fiduciaire Acme', policy: { contact: 'Acme, 02 547 54 93', lockout: { threshold: 3, mode: 'permanent' } } },
    { id: 'beta', name: 'Cabinet Beta', policy: { contact: 'Beta, 02 111 22 33', locale: 'nl' } },
    { id: 'gamma', name: 'Gamma Services' },
  ],
  users: [
    { login: 'marie', email: 'marie@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['acme', 'beta'] },
    { login: 'jan', email: 'jan@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
    { login: 'burst', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
    { login: 'outsider', password: PASSWORD, mustChangePassword: false, tenants: ['gamma'] },
    { login: 'newbie', password: 'initial-from-employer-1', tenants: ['acme'] },
  ],
  clients: [{ client_id: 'portal', client_secret: SECRET, redirect_uris: [REDIRECT], first_party: true, tenants: ['acme', 'beta'] }],
});

describe('login journey', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  let app: CallbackServer;

  beforeAll(async () => {
    app = await startCallbackServer();
    server = await startTestServer({ backend: 'postgres', redis: true, import: importFile(app.redirectUri) });
    browser = await launchBrowser();
    rp = await relyingParty(server.issuer, 'portal', SECRET, app.redirectUri);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await app?.close();
  });

  async function open(context: BrowserContext, extra: Record<string, string> = {}) {
    const caught = () => app.next();
    const page = await context.newPage();
    const req = await authorizationRequest(rp, extra);
    await page.goto(req.url.href);
    return { page, req, caught };
  }

  async function signIn(page: Page, login: string, password = PASSWORD, remember = false) {
    await fillIdentifier(page, login);
    await fillPassword(page, password, { remember });
  }

  it('shows a picker of the tenants by name, and the choice reaches the tokens', async () => {
    const context = await browser.newContext({ locale: 'fr-BE' });
    const { page, req, caught } = await open(context);
    await signIn(page, 'marie');
    const choices = page.locator('form button[name="tenant"]');
    expect(await choices.allTextContents()).toEqual(['Cabinet Beta', 'Fiduciaire Acme']);
    await submit(page, 'button:has-text("Cabinet Beta")');
    const tokens = await exchangeCode(rp, await caught(), req);
    expect(tokens.claims()).toMatchObject({ org_id: 'beta', org_name: 'Cabinet Beta' });

    // The choice is remembered for the session: a new request signs in silently, same tenant.
    const again = await authorizationRequest(rp);
    await page.goto(again.url.href);
    const silent = await exchangeCode(rp, await caught(), again);
    expect(silent.claims()!.org_id).toBe('beta');

    // select_account lets the user switch tenant.
    const switching = await authorizationRequest(rp, { prompt: 'select_account' });
    await page.goto(switching.url.href);
    await submit(page, 'button:has-text("Fiduciaire Acme")');
    const switched = await exchangeCode(rp, await caught(), switching);
    expect(switched.claims()).toMatchObject({ org_id: 'acme', sub: tokens.claims()!.sub });
    await context.close();
  });

  it('skips the picker when the organization parameter names one of the tenants', async () => {
    const context = await browser.newContext();
    const { page, req, caught } = await open(context, { organization: 'acme' });
    await signIn(page, 'marie@example.be');
    const tokens = await exchangeCode(rp, await caught(), req);
    expect(tokens.claims()!.org_id).toBe('acme');
    await context.close();
  });

  it('survives the back button and a reload: a stale step answers with the current one', async () => {
    const context = await browser.newContext({ locale: 'en' });
    const { page, req, caught } = await open(context, { organization: 'acme' });
    await fillIdentifier(page, 'marie');
    await page.reload(); // the password page again, not an error
    expect(await page.locator('input[autocomplete="current-password"]').count()).toBe(1);
    await page.goBack(); // the identifier page from history; submitting it lands on the current step
    await page.goForward();
    const form = await page.evaluate(() => location.pathname);
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const stale = await context.request.post(`${server.url}${form}/identifier`, { form: { identifier: 'someone-else', csrf }, maxRedirects: 0 });
    expect(stale.status()).toBe(303);
    expect(stale.headers()['location']).toBe(form);
    await page.reload();
    expect(await page.locator('.who').nth(1).textContent()).toBe('marie');
    await fillPassword(page, PASSWORD);
    const tokens = await exchangeCode(rp, await caught(), req);
    expect(tokens.claims()!.preferred_username).toBe('marie');
    await context.close();
  });

  it('tells a user with no tenant this app serves, plainly', async () => {
    const context = await browser.newContext({ locale: 'en' });
    const { page } = await open(context);
    await signIn(page, 'outsider');
    expect(await page.title()).toContain('No access');
    expect(await alertText(page)).toContain('not linked to any organisation');
    await context.close();
  });

  it('locks at exactly the threshold with the same answer as a wrong password; admin unlock leads to a forced change', async () => {
    const context = await browser.newContext({ locale: 'en' });
    // organization=acme: the pages speak of Acme's policy and contact, for everyone alike.
    const { page, req, caught } = await open(context, { organization: 'acme' });
    await fillIdentifier(page, 'jan');
    const answers: { status: number; alert: string }[] = [];
    for (const pw of ['wrong one', 'wrong two', 'wrong three', PASSWORD]) {
      const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), fillPassword(page, pw)]);
      answers.push({ status: response.status(), alert: await alertText(page) });
    }
    // three wrong, then the right one refused: all four answers alike
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([400]));
    expect(new Set(answers.map((a) => a.alert)).size).toBe(1);
    const body = await page.locator('body').textContent();
    expect(body).toContain('After 3 wrong passwords');
    expect(body).toContain('Acme, 02 547 54 93');

    // An unknown identifier gets the same words and status.
    const other = await open(context, { organization: 'acme' });
    await fillIdentifier(other.page, 'no-such-person');
    const [unknownResponse] = await Promise.all([other.page.waitForResponse((r) => r.request().method() === 'POST'), fillPassword(other.page, 'whatever it is')]);
    expect(unknownResponse.status()).toBe(answers[0].status);
    expect(await alertText(other.page)).toBe(answers[0].alert);

    // The admin unlocks with a new initial password: the next sign-in must choose a new one.
    const token = await adminToken(server);
    const reset = await fetch(`${server.url}/admin/v1/users/jan/reset-password`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'temporary-from-admin-7' }),
    });
    expect(reset.status).toBe(200);
    await fillPassword(page, 'temporary-from-admin-7');
    expect(await page.title()).toContain('Choose a new password');
    await page.fill('input[name="password"]', 'password1234');
    await page.fill('input[name="confirm"]', 'password1234');
    await submit(page, 'button[type="submit"]');
    expect(await alertText(page)).toContain('most used passwords');
    await page.fill('input[name="password"]', 'jan@example.be');
    await page.fill('input[name="confirm"]', 'jan@example.be');
    await submit(page, 'button[type="submit"]');
    expect(await alertText(page)).toContain('cannot be your login');
    await page.fill('input[name="password"]', 'my own long passphrase');
    await page.fill('input[name="confirm"]', 'my own long passphrase');
    await submit(page, 'button[type="submit"]');
    const tokens = await exchangeCode(rp, await caught(), req);
    expect(tokens.claims()!.org_id).toBe('acme');
    const types = (await server.sesam.events.list({ limit: 200 })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['account.locked', 'login.locked', 'admin.password_reset', 'account.password_changed', 'login.success']));
    await context.close();
  });

  it('a parallel burst of wrong passwords over HTTP cannot get past the threshold', async () => {
    const attempt = async (password: string) => {
      const client = new JourneyClient(server.url, rp);
      return (await client.signIn('burst', password)).status;
    };
    const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(`wrong guess ${i}`)));
    expect(statuses.every((s) => s === 400)).toBe(true);
    const user = await server.sesam.directory.requireUser('burst');
    expect(user.locked).toBe(true);
    const wrong = await server.sesam.events.list({ userId: user.id, type: 'login.wrong_password' });
    expect(wrong.length).toBe(3);
    // and now even the right password is refused
    expect(await attempt(PASSWORD)).toBe(400);
  });

  it('stay signed in: unchecked, the session cookie ends with the browser; checked, it lasts the configured days', async () => {
    for (const remember of [false, true]) {
      const context = await browser.newContext();
      const { page, req, caught } = await open(context, { organization: 'acme' });
      await signIn(page, 'marie', PASSWORD, remember);
      await exchangeCode(rp, await caught(), req);
      const session = (await context.cookies(server.url)).find((c) => c.name === '_session');
      expect(session).toBeDefined();
      if (remember) {
        const days = (session!.expires * 1000 - Date.now()) / 86400000;
        expect(days).toBeGreaterThan(29);
        expect(days).toBeLessThanOrEqual(30.01);
      } else {
        expect(session!.expires).toBe(-1);
      }
      expect(session!.httpOnly).toBe(true);
      await context.close();
    }
  });

  it('renders the pages in French, Dutch, German and English, with a switcher and strict headers', async () => {
    const expectations: [Record<string, string>, string | undefined, string, string][] = [
      [{}, 'fr-BE,fr;q=0.9', 'fr', 'Identifiant'],
      [{ ui_locales: 'nl-BE' }, 'fr', 'nl', 'Gebruikersnaam'],
      [{}, 'de-DE,de;q=0.9', 'de', 'Benutzername'],
      [{}, 'en-GB', 'en', 'Login or e-mail address'],
      // none of ours from the browser or the app: the tenant's own (organization=beta speaks Dutch)
      [{ organization: 'beta' }, 'es-ES,es;q=0.9', 'nl', 'Gebruikersnaam'],
    ];
    for (const [params, acceptLanguage, lang, label] of expectations) {
      const context = await browser.newContext({ extraHTTPHeaders: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
      const page = await context.newPage();
      const req = await authorizationRequest(rp, params);
      const response = await page.goto(req.url.href);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      expect(await page.locator('label[for="identifier"]').textContent()).toContain(label);
      const headers = response!.headers();
      expect(headers['content-security-policy']).toMatch(/script-src 'nonce-[^']+'/);
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['cache-control']).toBe('no-store');
      if (lang === 'fr') {
        await submit(page, 'nav.lang a[lang="nl"]');
        expect(await page.getAttribute('html', 'lang')).toBe('nl');
        await fillIdentifier(page, 'marie');
        expect(await page.getAttribute('html', 'lang')).toBe('nl'); // the choice holds for the journey
      }
      await context.close();
    }
  });
});
