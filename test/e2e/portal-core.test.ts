/**
 * The account portal's own sign-in, end to end in headless Chromium (PostgreSQL + Redis): the
 * portal is an app of Sesam (code + PKCE through openid-client); without a session it sends the
 * browser to sign in and back to the page asked for; its session dies with the engine's session
 * (an admin reset signs the portal out too); a change that needs a recent sign-in asks for the
 * password again (max_age) once the sign-in is older than five minutes; sign-out ends both.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { adminToken, startTestServer, type TestServer } from '../helpers/server.js';
import { fillPassword, launchBrowser, submit } from '../helpers/browser.js';
import { ageSignIn, axeViolations, describeViolations, portalSignIn } from '../helpers/portal.js';

const PASSWORD = 'a sentence that is long enough';

describe('account portal sign-in', () => {
  let server: TestServer;
  let browser: Browser;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'off' } }],
        users: [
          { login: 'anna', email: 'anna@example.be', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'acme', role: 'admin' }] },
          { login: 'loner', password: PASSWORD, mustChangePassword: false },
        ],
      },
    });
    browser = await launchBrowser();
    token = await adminToken(server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in through the journey and shows who you are and your tenants', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'anna', PASSWORD, '/account?from=test');
    // Back where the user was going (the page may not exist yet: the path is what counts).
    expect(new URL(page.url()).search).toBe('?from=test');
    await page.goto(`${server.issuer}/account`);
    const text = await page.textContent('main');
    expect(text).toContain('anna');
    expect(text).toContain('Acme Titres-Services');
    expect(text).toContain('administrator');
    expect(describeViolations(await axeViolations(page))).toBe('');
    await context.close();
  });

  it('lets a user of no tenant in at once (the first-run path)', async () => {
    const context = await browser.newContext({ locale: 'fr-BE' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'loner', PASSWORD);
    expect(await page.textContent('main')).toContain("Vous n'appartenez à aucune organisation");
    await context.close();
  });

  it('the language switcher holds for the session and changes nothing of the account on a GET', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'loner', PASSWORD);
    await page.goto(`${server.issuer}/account?lang=nl`);
    expect(await page.getAttribute('html', 'lang')).toBe('nl');
    await page.goto(`${server.issuer}/account`);
    expect(await page.getAttribute('html', 'lang')).toBe('nl');
    expect((await server.sesam.db('users').where({ login: 'loner' }).first()).locale).toBeNull();
    await context.close();
  });

  it('never redirects a sign-in outside the portal', async () => {
    const res = await fetch(`${server.issuer}/account/login?return=//evil.example/x`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const res2 = await fetch(`${server.issuer}/account/login?return=https://evil.example/`, { redirect: 'manual' });
    const auth = new URL(res2.headers.get('location')!);
    expect(auth.pathname).toBe('/auth');
    // The return path is kept server-side with the state: only the state travels.
    expect(auth.searchParams.get('state')).toBeTruthy();
  });

  it('a replayed callback (state already used) signs nobody in', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    let callback = '';
    page.on('request', (r) => {
      if (r.url().includes('/account/callback')) callback = r.url();
    });
    await portalSignIn(page, server.issuer, 'anna', PASSWORD);
    expect(callback).toContain('code=');
    const other = await browser.newContext();
    const thief = await other.newPage();
    const res = await thief.goto(callback);
    expect(res!.status()).toBe(400);
    expect(await thief.textContent('[role="alert"]')).toMatch(/expired or was already used/);
    await thief.goto(`${server.issuer}/account`);
    expect(new URL(thief.url()).pathname).not.toBe('/account');
    await other.close();
    await context.close();
  });

  it('dies with the engine session: an admin password reset signs the portal out', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'anna', PASSWORD);
    const reset = await fetch(`${server.issuer}/admin/v1/users/anna/reset-password`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: 'an initial password from the office' }) });
    expect(reset.status).toBeLessThan(300);
    await page.goto(`${server.issuer}/account`);
    // Sent to sign in again: the identifier page of a journey.
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    await context.close();
  });

  it('asks for the password again (max_age) when the sign-in is older than five minutes', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'loner', PASSWORD);
    await ageSignIn(server.sesam, context, 420);
    const res = await page.goto(`${server.issuer}/account/login?return=/account&max_age=300`);
    expect(res!.ok()).toBe(true);
    // The journey asks the password of the same account again (identifier known from login_hint).
    await page.waitForSelector('input[autocomplete="current-password"], input[autocomplete~="username"]');
    if (await page.$('input[autocomplete~="username"]:not([hidden])')) {
      expect(await page.inputValue('input[autocomplete~="username"]:not([hidden])')).toBe('loner');
      await submit(page);
    }
    await fillPassword(page, PASSWORD);
    await page.waitForURL((url) => url.pathname === '/account');
    const after = await server.sesam.kv.get<{ authTime: number }>(`portal:session:${(await context.cookies()).find((c) => c.name === 'sesam.portal')!.value}`);
    expect(Date.now() / 1000 - after!.authTime).toBeLessThan(60);
    await context.close();
  });

  it('signs out of the portal and of the engine session', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'loner', PASSWORD);
    await submit(page, 'header button[type="submit"]');
    // The engine asks to confirm the sign-out.
    await submit(page, 'button[type="submit"][autofocus], form button[type="submit"]');
    await page.waitForURL((url) => url.pathname === '/account/signed-out');
    await page.goto(`${server.issuer}/account`);
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    await context.close();
  });
});
