/**
 * Every page of the account portal, in each of the four languages, on a phone-sized screen:
 * axe-core finds no violation (WCAG 2.1 A/AA and best practices) and nothing is wider than the
 * screen. The pages are found by following the portal's own links from /account, so a new page
 * is checked as soon as something links to it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchBrowser } from '../helpers/browser.js';
import { axeViolations, describeViolations, portalSignIn } from '../helpers/portal.js';

const PASSWORD = 'a sentence that is long enough';
const SKIP = /^\/account\/(login|logout|callback)\b/;

async function portalLinks(page: Page): Promise<string[]> {
  const hrefs = await page.$$eval('a[href]', (links) => links.map((a) => a.getAttribute('href') ?? ''));
  return hrefs.filter((h) => h.startsWith('/account') && !SKIP.test(h) && !h.includes('lang=')).map((h) => h.split('#')[0]);
}

describe('account portal accessibility', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'optional', passwordReset: 'self-service' } }],
        users: [{ login: 'anna', email: 'anna@example.be', phone: '+32470123456', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] }],
      },
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it.each(['fr-BE', 'nl-BE', 'de-BE', 'en-GB'])('every portal page is clean and fits a phone (%s)', async (locale) => {
    const context = await browser.newContext({ locale, viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await portalSignIn(page, server.issuer, 'anna', PASSWORD);
    const seen = new Set<string>();
    const queue = ['/account'];
    const problems: string[] = [];
    while (queue.length > 0 && seen.size < 40) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await page.goto(`${server.issuer}${path}`);
      expect(res?.status()).toBeLessThan(500);
      if (!new URL(page.url()).pathname.startsWith('/account')) continue; // e.g. sent to prove it again
      const violations = describeViolations(await axeViolations(page));
      if (violations) problems.push(`${path}:\n${violations}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) problems.push(`${path}: ${overflow}px wider than the screen`);
      for (const link of await portalLinks(page)) if (!seen.has(link)) queue.push(link);
    }
    expect(problems.join('\n\n')).toBe('');
    // The sections are all there (a page that vanished from the navigation would go unchecked).
    for (const section of ['/account', '/account/security', '/account/sessions', '/account/apps', '/account/activity']) expect(seen).toContain(section);
    await context.close();
  });

  it('the signed-out page and a failed sign-in page are clean too', async () => {
    const context = await browser.newContext({ locale: 'fr-BE' });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/account/signed-out`);
    expect(describeViolations(await axeViolations(page))).toBe('');
    const res = await page.goto(`${server.issuer}/account/callback?state=unknown&code=x`);
    expect(res?.status()).toBe(400);
    expect(await page.textContent('[role="alert"]')).toContain('expiré');
    expect(describeViolations(await axeViolations(page))).toBe('');
    await context.close();
  });
});
