/**
 * The portal's "Devices and sessions", "Applications" and "Recent sign-ins" in headless Chromium
 * (PostgreSQL + Redis): the attempts just made are listed (a wrong password, then the sign-in,
 * with this browser's name); signing out another browser from the portal signs that browser out;
 * removing an app's access kills its refresh token (openid-client); and axe-core finds nothing on
 * any page of these areas, on a desktop and on a phone-sized screen.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  alertText,
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
import { EventsRepository } from '../../src/repositories/events-repository.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';

const PASSWORD = 'a sentence that is long enough';
const SECRET = 'jobtracker-secret-0123456789abcdef-0123';
const PHONE = { width: 375, height: 740 };

describe('portal: devices and sessions, applications, recent sign-ins', () => {
  let server: TestServer;
  let browser: Browser;
  let app: CallbackServer;
  let rp: RelyingParty;

  beforeAll(async () => {
    app = await startCallbackServer();
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'off' } }],
        users: [
          { login: 'anna', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
          { login: 'carl', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
        ],
        clients: [
          { client_id: 'jobtracker', client_name: 'Job Tracker', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true, tenants: ['acme'] },
          { client_id: 'partner', client_name: 'Partner Planning', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: false },
        ],
      },
    });
    browser = await launchBrowser();
    rp = await relyingParty(server.issuer, 'jobtracker', SECRET, app.redirectUri);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await app?.close();
  });

  async function expectNoViolations(page: Page, what: string): Promise<void> {
    expect(`${what}: ${describeViolations(await axeViolations(page))}`).toBe(`${what}: `);
  }

  it('lists the attempts just made: a wrong password, then the sign-in, with this browser\'s name', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/account/activity`);
    await fillIdentifier(page, 'anna');
    await fillPassword(page, 'not my password');
    expect(await alertText(page)).not.toBe('');
    await fillPassword(page, PASSWORD);
    await page.waitForURL((url) => url.pathname === '/account/activity');

    const userAgent = await page.evaluate(() => navigator.userAgent);
    const major = /Chrome\/(\d+)/.exec(userAgent)![1];
    const items = await page.locator('main li').allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/^Signed in · /);
    expect(items[0]).toContain('Application: My account');
    expect(items[0]).toContain('method: password');
    expect(items[0]).toContain(`Chrome ${major} on Linux`);
    expect(items[1]).toMatch(/^Failed: wrong password · /);
    expect(items[1]).toContain(`Chrome ${major} on Linux`);
    // The time is Belgian, in words and in the machine-readable attribute.
    expect(await page.locator('main li time').first().getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await expectNoViolations(page, 'activity');
    await context.close();
  });

  it('signing out another browser from the portal signs that browser out', async () => {
    const laptop = await browser.newContext({ locale: 'en-GB' });
    const other = await browser.newContext({ locale: 'nl-BE' });
    const here = await laptop.newPage();
    const there = await other.newPage();
    await portalSignIn(there, server.issuer, 'carl', PASSWORD);
    await portalSignIn(here, server.issuer, 'carl', PASSWORD, '/account/sessions');
    expect(new URL(here.url()).pathname).toBe('/account/sessions');
    await expect(here.locator('main h3', { hasText: '(this device)' }).count()).resolves.toBe(1);
    const sessions = here.locator('main section').first().locator('li');
    expect(await sessions.count()).toBe(2);
    await expectNoViolations(here, 'sessions');

    // The other session's own button (this device has none).
    const button = here.locator('main li button', { hasText: /^Sign out$/ });
    expect(await button.count()).toBe(1);
    await submit(here, 'main li button');
    expect(await here.locator('[role="status"]').textContent()).toContain('The session was signed out');
    expect(await sessions.count()).toBe(1);
    await expectNoViolations(here, 'sessions after an action');

    // The other browser is out: the portal sends it to sign in again.
    await there.goto(`${server.issuer}/account`);
    expect(new URL(there.url()).pathname).toMatch(/^\/interaction\//);
    // This one is still in.
    await here.goto(`${server.issuer}/account/sessions`);
    expect(new URL(here.url()).pathname).toBe('/account/sessions');
    const carl = await server.sesam.directory.requireUser('carl');
    expect(await server.sesam.events.list({ userId: carl.id, type: 'session.ended_by_user' })).toHaveLength(1);
    await laptop.close();
    await other.close();
  });

  it("removing an app's access kills its refresh token; every page of these areas passes axe-core, on a phone too", async () => {
    const anna = await server.sesam.directory.requireUser('anna');
    // A phone app signed in with offline access (its own browser).
    const phone = await browser.newContext({ locale: 'fr-BE' });
    const phonePage = await phone.newPage();
    const req = await authorizationRequest(rp, { scope: 'openid offline_access profile', prompt: 'consent' });
    await phonePage.goto(req.url.href);
    await fillIdentifier(phonePage, 'anna');
    await fillPassword(phonePage, PASSWORD);
    const tokens = await exchangeCode(rp, await app.next(), req);
    await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    // A trusted device, and more sign-ins than one page holds.
    await new TrustedDevices(new DevicesRepository(server.sesam.db)).trust(anna.id, { userAgent: await phonePage.evaluate(() => navigator.userAgent), ip: '203.0.113.7', days: 30 });
    const events = new EventsRepository(server.sesam.db);
    for (let i = 0; i < 25; i++) await events.insert({ type: i % 5 ? 'login.success' : 'login.wrong_password', userId: anna.id, clientId: 'jobtracker', method: 'password+sms', ip: '198.51.100.9' });

    const context: BrowserContext = await browser.newContext({ locale: 'de-BE' });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'anna', PASSWORD, '/account/apps');
    expect(await page.locator('h1').textContent()).toBe('Ihre Anwendungen');
    expect(await page.locator('main').textContent()).toContain('Job Tracker');
    await expectNoViolations(page, 'apps');
    for (const path of ['/account/sessions', '/account/activity']) {
      await page.goto(`${server.issuer}${path}`);
      await expectNoViolations(page, path);
    }
    // The next page of sign-ins (the "older" link).
    await Promise.all([page.waitForURL(/before=/), page.click('a[rel="next"]')]);
    expect(await page.locator('main li').count()).toBeGreaterThan(0);
    await expectNoViolations(page, 'activity, older');

    await page.goto(`${server.issuer}/account/apps`);
    await submit(page, 'main li button');
    expect(await page.locator('[role="status"]').textContent()).toContain('Job Tracker');
    await expectNoViolations(page, 'apps after removing');
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    await page.setViewportSize(PHONE);
    for (const path of ['/account/sessions', '/account/apps', '/account/activity']) {
      await page.goto(`${server.issuer}${path}`);
      await expectNoViolations(page, `${path} on a phone`);
      // Nothing wider than the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    }
    await phone.close();
    await context.close();
  });
});
