/**
 * The tenant admin console under /account/admin, end to end in headless Chromium (PostgreSQL +
 * Redis), issue 11: a tenant admin signs in to the portal, creates a user who must change the
 * initial password at the first sign-in, unlocks a member locked by wrong passwords, makes
 * two-step verification compulsory and sees the member asked to set it up at the next sign-in.
 * The attacks: a plain member gets no console, an admin cannot reach another tenant's member or
 * tenant, a cross-site or token-less POST changes nothing, an old sign-in must be proven again.
 * Every console page is axe-core clean.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fillIdentifier, fillPassword, launchBrowser, submit } from '../helpers/browser.js';
import { ageSignIn, axeViolations, describeViolations, portalSignIn } from '../helpers/portal.js';

const PASSWORD = 'a sentence that is long enough';
const INITIAL = 'an initial password for newbie';

describe('tenant admin console', () => {
  let server: TestServer;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;

  const axeClean = async (p: Page) => expect(describeViolations(await axeViolations(p))).toBe('');
  const member = (login: string) => server.sesam.directory.requireUser(login);

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [
          { id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'off', contact: 'Acme, 02 123 45 67' } },
          { id: 'beta', name: 'Beta Bureau', policy: { mfa: 'off' } },
        ],
        users: [
          { login: 'anna', email: 'anna@example.be', name: 'Anna Admin', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'acme', role: 'admin' }] },
          { login: 'bob', email: 'bob@example.be', name: 'Bob Member', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'acme', role: 'member' }] },
          { login: 'carl', email: 'carl@example.be', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'beta', role: 'member' }] },
          { login: 'bert', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'beta', role: 'admin' }] },
        ],
      },
    });
    browser = await launchBrowser();
    admin = await browser.newContext({ locale: 'en-GB' });
    page = await admin.newPage();
    await portalSignIn(page, server.issuer, 'anna', PASSWORD);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the Administration link to an admin and opens the tenant straight away', async () => {
    await page.goto(`${server.issuer}/account`);
    const link = page.locator('nav.sections a[href="/account/admin"]');
    expect(await link.count()).toBe(1);
    await Promise.all([page.waitForURL((u) => u.pathname === '/account/admin/acme/members'), link.click()]);
    const text = await page.textContent('main');
    expect(text).toContain('Acme Titres-Services');
    expect(text).toContain('bob');
    expect(text).not.toContain('carl');
    await axeClean(page);

    await page.goto(`${server.issuer}/account/admin/acme/members?q=bob`);
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('bob');
    await axeClean(page);

    // On a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${server.issuer}/account/admin/acme/policy`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.goto(`${server.issuer}/account/admin/acme/members/${(await member('bob')).id}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await axeClean(page);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('creates a user who must change the initial password at the first sign-in', async () => {
    await page.goto(`${server.issuer}/account/admin/acme/members`);
    await page.fill('#new-login', 'newbie');
    await page.fill('#new-email', 'newbie@example.be');
    await page.fill('#new-name', 'New Bie');
    await page.fill('#new-password', INITIAL);
    await submit(page, 'form[action$="/members/create"] button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe(`/account/admin/acme/members/${(await member('newbie')).id}`);
    expect(await page.textContent('[role="status"]')).toContain('User newbie created');
    expect(await page.textContent('main')).toContain('must change password');
    await axeClean(page);
    const events = await server.sesam.events.list({ userId: (await member('newbie')).id, type: 'admin.user_created' });
    expect(events).toHaveLength(1);

    const other = await browser.newContext({ locale: 'en-GB' });
    const newbie = await other.newPage();
    await newbie.goto(`${server.issuer}/account`);
    await fillIdentifier(newbie, 'newbie');
    await fillPassword(newbie, INITIAL);
    expect(await newbie.locator('form[action$="/change-password"]').count()).toBe(1);
    await other.close();
  });

  it('says so when an existing login only gains the membership', async () => {
    await page.goto(`${server.issuer}/account/admin/acme/members`);
    await page.fill('#new-login', 'carl');
    await page.fill('#new-password', 'whatever is typed is not used');
    await submit(page, 'form[action$="/members/create"] button[type="submit"]');
    expect(await page.textContent('[role="status"]')).toContain('carl already had an account');
    const carl = await member('carl');
    expect(carl.mustChangePassword).toBe(false);
    // carl is now shared with beta: acme may not reset the password of an account it does not own alone.
    await page.fill('#reset-password', 'another long initial password');
    await submit(page, 'form[action$="/reset-password"] button[type="submit"]');
    expect(await page.textContent('[role="alert"]')).toContain('also belongs to another organisation');
    expect((await member('carl')).passwordHash).toBe(carl.passwordHash);
    await axeClean(page);
    // Back to the start: carl leaves acme.
    await submit(page, 'form[action$="/remove"] button[type="submit"]');
    expect(await page.textContent('[role="status"]')).toContain('carl was removed');
  });

  it('unlocks a member locked by three wrong passwords', async () => {
    const other = await browser.newContext({ locale: 'en-GB' });
    const bobPage = await other.newPage();
    await bobPage.goto(`${server.issuer}/account`);
    await fillIdentifier(bobPage, 'bob');
    for (let i = 0; i < 3; i++) await fillPassword(bobPage, `wrong password number ${i}`);
    expect((await member('bob')).locked).toBe(true);

    const bob = await member('bob');
    await page.goto(`${server.issuer}/account/admin/acme/members/${bob.id}`);
    expect(await page.textContent('main')).toContain('locked');
    await axeClean(page);

    // A POST without the session's token (a forged form) changes nothing.
    const forged = await admin.request.post(`${server.issuer}/account/admin/acme/members/${bob.id}/unlock`, { form: { csrf: 'forged' }, headers: { origin: server.issuer }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await member('bob')).locked).toBe(true);

    await submit(page, 'form[action$="/unlock"] button[type="submit"]');
    expect(await page.textContent('[role="status"]')).toContain('bob is unlocked');
    expect((await member('bob')).locked).toBe(false);
    expect(await server.sesam.events.list({ userId: bob.id, type: 'account.unlocked' })).not.toHaveLength(0);

    const again = await other.newPage();
    await portalSignIn(again, server.issuer, 'bob', PASSWORD);
    expect(new URL(again.url()).pathname).toBe('/account');
    await other.close();
  });

  it('makes two-step verification compulsory: the member is asked to set it up at the next sign-in', async () => {
    await page.goto(`${server.issuer}/account/admin/acme/policy`);
    await axeClean(page);
    await page.check('input[name="mfa"][value="required"]');
    await page.fill('#threshold', '5');
    await page.fill('#notice_fr', 'Attention aux arnaques !');
    await submit(page, 'form[action$="/policy/save"] button[type="submit"]');
    expect(await page.textContent('[role="status"]')).toContain('security policy was saved');
    const acme = await server.sesam.directory.tenants.find('acme');
    expect(acme?.policy).toMatchObject({ mfa: 'required', lockout: { threshold: 5 }, notice: { fr: 'Attention aux arnaques !' }, contact: 'Acme, 02 123 45 67' });
    expect(await page.locator('input[name="mfa"][value="required"]').isChecked()).toBe(true);

    // Bad input: a clear message, nothing saved.
    await page.fill('#threshold', '0');
    await page.evaluate(() => document.querySelector('form[action$="/policy/save"]')?.setAttribute('novalidate', ''));
    await submit(page, 'form[action$="/policy/save"] button[type="submit"]');
    expect(await page.textContent('[role="alert"]')).toContain('Please check the form');
    expect((await server.sesam.directory.tenants.find('acme'))?.policy.lockout.threshold).toBe(5);

    const other = await browser.newContext({ locale: 'en-GB' });
    const bobPage = await other.newPage();
    await bobPage.goto(`${server.issuer}/account`);
    await fillIdentifier(bobPage, 'bob');
    await fillPassword(bobPage, PASSWORD);
    expect(await bobPage.locator('form[action$="/enroll-second-factor"]').count()).toBeGreaterThan(0);
    await other.close();
  });

  it('shows the tenant events, paged', async () => {
    await page.goto(`${server.issuer}/account/admin/acme/events`);
    const text = await page.textContent('main');
    expect(text).toContain('User created');
    expect(text).toContain('Account unlocked');
    expect(text).toContain('Security policy changed');
    expect(text).toContain('Wrong password');
    await axeClean(page);
  });

  it('an admin of one tenant cannot reach another tenant or its members', async () => {
    const carl = await member('carl');
    const res = await page.goto(`${server.issuer}/account/admin/acme/members/${carl.id}`);
    expect(res?.status()).toBe(404);
    expect(await page.textContent('[role="alert"]')).toContain('not found in this organisation');
    await axeClean(page);
    const byLogin = await page.goto(`${server.issuer}/account/admin/acme/members/bert`);
    expect(byLogin?.status()).toBe(404);
    const other = await page.goto(`${server.issuer}/account/admin/beta/members`);
    expect(other?.status()).toBe(403);
    await axeClean(page);
    // Acting on beta's member through acme's path changes nothing.
    const csrf = await page.goto(`${server.issuer}/account/admin/acme/members`).then(() => page.getAttribute('input[name="csrf"]', 'value'));
    await admin.request.post(`${server.issuer}/account/admin/acme/members/${carl.id}/disable`, { form: { csrf: csrf! }, headers: { origin: server.issuer }, maxRedirects: 0 });
    expect((await member('carl')).disabled).toBe(false);
  });

  it('a plain member gets no console and no link', async () => {
    const other = await browser.newContext({ locale: 'fr-BE' });
    const carlPage = await other.newPage();
    await portalSignIn(carlPage, server.issuer, 'carl', PASSWORD);
    await carlPage.goto(`${server.issuer}/account`);
    expect(await carlPage.locator('a[href="/account/admin"]').count()).toBe(0);
    const res = await carlPage.goto(`${server.issuer}/account/admin`);
    expect(res?.status()).toBe(403);
    expect(await carlPage.textContent('[role="alert"]')).toContain('Seul un administrateur');
    await axeClean(carlPage);
    expect((await carlPage.goto(`${server.issuer}/account/admin/beta/members`))?.status()).toBe(403);
    await other.close();
  });

  it('an old sign-in must be proven again before any change', async () => {
    const bob = await member('bob');
    await ageSignIn(server.sesam, admin, 10 * 60);
    await page.goto(`${server.issuer}/account/admin/acme/members/${bob.id}`);
    expect(await page.locator('form[action$="/disable"]').count()).toBe(0);
    expect(await page.locator(`a[href^="/account/login?"]`).count()).toBe(1);
    await axeClean(page);
    const csrf = await page.getAttribute('input[name="csrf"]', 'value');
    const res = await admin.request.post(`${server.issuer}/account/admin/acme/members/${bob.id}/disable`, { form: { csrf: csrf! }, headers: { origin: server.issuer }, maxRedirects: 0 });
    expect(res.status()).toBe(303);
    expect(res.headers().location).toMatch(/^\/account\/login\?/);
    expect((await member('bob')).disabled).toBe(false);
  });
});
