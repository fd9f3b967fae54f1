/**
 * Setting up an authenticator app in the sign-in, on a phone (headless Chromium with a phone's
 * screen, PostgreSQL): a QR code on the same screen cannot be scanned, so the page also has an
 * `otpauth://` link that opens the app in one tap, and the key to type in by hand. The link's key
 * is the one shown and the one being set up: a code computed from the link alone activates it.
 * axe-core finds no violation on the page.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { TOTP, URI } from 'otpauth';
import { adminToken, startTestServer, type TestServer } from '../helpers/server.js';
import { authorizationRequest, fillIdentifier, fillPassword, launchBrowser, relyingParty, submit } from '../helpers/browser.js';
import { axeViolations, describeViolations } from '../helpers/portal.js';
import { groupedSecret } from '../../interactions/views/totp-setup.js';

const PASSWORD = 'a sentence that is long enough';
const SECRET = 'totp-app-secret-0123456789abcdef-01234567';
const REDIRECT = 'http://localhost:4997/cb';

describe('authenticator app set-up on a phone', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      import: {
        tenants: [{ id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'required', methods: ['totp'] } }],
        users: [{ login: 'anna', email: 'anna@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] }],
        clients: [{ client_id: 'jobtracker', client_secret: SECRET, redirect_uris: [REDIRECT], tenants: ['acme'], first_party: true }],
      },
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('offers an otpauth:// link with the key shown, which activates the app', async () => {
    const context = await browser.newContext({ locale: 'nl-BE', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const rp = await relyingParty(server.issuer, 'jobtracker', SECRET, REDIRECT);
    const req = await authorizationRequest(rp, { scope: 'openid' });
    await page.goto(req.url.href);
    await fillIdentifier(page, 'anna');
    await fillPassword(page, PASSWORD);

    const link = page.locator('a#totp-link');
    expect(await link.textContent()).toBe('Op deze telefoon? Open de authenticator-app');
    const href = (await link.getAttribute('href'))!;
    const totp = URI.parse(href);
    expect(totp).toBeInstanceOf(TOTP);
    expect(href).toMatch(/^otpauth:\/\/totp\/Sesam:anna%40example\.be\?/);
    expect(totp).toMatchObject({ issuer: 'Sesam', label: 'anna@example.be', algorithm: 'SHA1', digits: 6, period: 30 });
    // The key for typing in by hand is the link's, in groups of four.
    const secret = (totp as TOTP).secret.base32;
    expect(await page.textContent('#totp-secret')).toBe(groupedSecret(secret));
    expect(await page.getAttribute('img[alt]', 'src')).toMatch(/^data:image\/png;base64,/);
    expect(describeViolations(await axeViolations(page))).toBe('');

    // A code from the app the link opened activates the factor.
    await page.fill('input[autocomplete="one-time-code"]', (totp as TOTP).generate());
    await submit(page, 'button[value="code"]');
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    const status = await (await fetch(`${server.url}/admin/v1/users/anna/second-factors`, { headers: { authorization: `Bearer ${await adminToken(server)}` } })).json();
    expect(status).toMatchObject({ totp: true });
    await context.close();
  });
});
