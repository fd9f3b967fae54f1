/**
 * The tenant admin console under /account/admin, end to end in headless Chromium (PostgreSQL +
 * Redis), issue 11: a tenant admin signs in to the portal, creates a user who must change the
 * initial password at the first sign-in, unlocks a member locked by wrong passwords, makes
 * two-step verification compulsory and sees the member asked to set it up at the next sign-in;
 * changes the mobile number of a member who lost their phone (seed 000), which the member proves
 * with an SMS code at the next sign-in before it is a second factor. The attacks: a plain member gets no console, an admin cannot reach another tenant's member or
 * tenant, a cross-site or token-less POST changes nothing, an old sign-in must be proven again.
 * Every console page is axe-core clean.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
import { fillIdentifier, fillPassword, launchBrowser, submit } from '../helpers/browser.js';
import { ageSignIn, axeViolations, describeViolations, portalSignIn } from '../helpers/portal.js';

const PASSWORD = 'a sentence that is long enough';
const INITIAL = 'an initial password for newbie';

describe('tenant admin console', () => {
  let server: TestServer;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let outbox: string;

  const axeClean = async (p: Page) => expect(describeViolations(await axeViolations(p))).toBe('');
  const member = (login: string) => server.sesam.directory.requireUser(login);

  const lastSms = (): { to: string; text: string } => JSON.parse(fs.readFileSync(outbox, 'utf8').trim().split('\n').at(-1)!);

  beforeAll(async () => {
    outbox = path.join(tmpDir(), 'sms.jsonl');
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      env: { SMS_OUTBOX: outbox },
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
          { login: 'dora', name: 'Dora Worker', phone: '+32470111111', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'acme', role: 'member' }] },
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
    // Nor its mobile number: the account's, and its other tenant's second factor.
    await page.fill('#member-phone', '0470 99 88 77');
    await submit(page, 'form[action$="/phone"] button[type="submit"]');
    expect(await page.textContent('[role="alert"]')).toContain('also belongs to another organisation');
    expect((await member('carl')).phone).toBeNull();
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

  it('changes the mobile number of a member who lost their phone (seed 000): not proven, the old factor ends', async () => {
    const dora = await member('dora');
    // The lost phone was dora's proven second factor; dora is signed in elsewhere.
    await server.sesam.directory.users.update(dora.id, { phoneVerifiedAt: new Date(), preferredFactor: 'sms' });
    const doraContext = await browser.newContext({ locale: 'en-GB' });
    const doraPage = await doraContext.newPage();
    await portalSignIn(doraPage, server.issuer, 'dora', PASSWORD);

    await page.goto(`${server.issuer}/account/admin/acme/members/${dora.id}`);
    expect(await page.textContent('dl.facts')).toContain('+32 470 11 11 11');
    const input = page.locator('#member-phone');
    expect(await input.getAttribute('type')).toBe('tel');
    expect(await input.getAttribute('inputmode')).toBe('tel');
    expect(await page.locator('label[for="member-phone"]').textContent()).toBe('New mobile number');
    await axeClean(page);

    // A cross-site POST and a token-less one change nothing.
    const csrf = await page.getAttribute('form[action$="/phone"] input[name="csrf"]', 'value');
    const action = `${server.issuer}/account/admin/acme/members/${dora.id}/phone`;
    const crossSite = await admin.request.post(action, { form: { csrf: csrf!, phone: '0470 66 66 66' }, headers: { origin: 'https://evil.example' }, maxRedirects: 0 });
    expect(crossSite.status()).toBe(403);
    const forged = await admin.request.post(action, { form: { csrf: 'forged', phone: '0470 66 66 66' }, headers: { origin: server.issuer }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await member('dora')).phone).toBe('+32470111111');

    await page.fill('#member-phone', '0470 22 33 44');
    await submit(page, 'form[action$="/phone"] button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe(`/account/admin/acme/members/${dora.id}`);
    expect(await page.textContent('[role="status"]')).toContain('The mobile number of dora is now +32 470 22 33 44');
    expect(await page.textContent('dl.facts')).toMatch(/\+32 470 22 33 44\s*not confirmed yet/);
    expect(await member('dora')).toMatchObject({ phone: '+32470223344', phoneVerifiedAt: null, preferredFactor: null });
    const [changed] = await server.sesam.events.list({ userId: dora.id, type: 'admin.phone_changed' });
    expect(changed).toMatchObject({ actorUserId: (await member('anna')).id, tenantId: 'acme', details: { wasFactor: true } });
    await axeClean(page);

    // The old number was a factor: dora is signed out everywhere.
    await doraPage.goto(`${server.issuer}/account`);
    expect(new URL(doraPage.url()).pathname).not.toBe('/account');
    expect(await doraPage.locator('input[autocomplete~="username"]:not([hidden])').count()).toBe(1);
    await doraContext.close();
  });

  it("says what is wrong with a number in the page's language, and removes a number", async () => {
    const frContext = await browser.newContext({ locale: 'fr-BE' });
    const fr = await frContext.newPage();
    await portalSignIn(fr, server.issuer, 'anna', PASSWORD);
    const bob = await member('bob');
    await fr.goto(`${server.issuer}/account/admin/acme/members/${bob.id}`);
    expect(await fr.getAttribute('html', 'lang')).toBe('fr');
    for (const wrong of ['02 547 54 93', '+33 6 12 34 56 78', 'perdu']) {
      await fr.fill('#member-phone', wrong);
      await submit(fr, 'form[action$="/phone"] button[type="submit"]');
      expect(new URL(fr.url()).pathname).toBe(`/account/admin/acme/members/${bob.id}`);
      expect(await fr.textContent('[role="alert"]')).toContain('Ce n’est pas un numéro de GSM belge');
    }
    expect((await member('bob')).phone).toBeNull();
    await axeClean(fr);

    await fr.fill('#member-phone', '+32 470 55 66 77');
    await submit(fr, 'form[action$="/phone"] button[type="submit"]');
    expect(await fr.textContent('[role="status"]')).toContain('Le numéro de GSM de bob est maintenant le +32 470 55 66 77');
    expect((await member('bob')).phone).toBe('+32470556677');
    await fr.fill('#member-phone', '0470556677');
    await submit(fr, 'form[action$="/phone"] button[type="submit"]');
    expect(await fr.textContent('[role="alert"]')).toContain('bob a déjà le numéro +32 470 55 66 77');
    await submit(fr, 'form[action$="/remove-phone"] button[type="submit"]');
    expect(await fr.textContent('[role="status"]')).toContain('Le numéro de GSM de bob a été retiré');
    expect((await member('bob')).phone).toBeNull();
    expect(await fr.locator('form[action$="/remove-phone"]').count()).toBe(0);
    await frContext.close();
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

  it('the number the admin gave is a second factor only once the member proves it with an SMS code', async () => {
    const other = await browser.newContext({ locale: 'en-GB' });
    const doraPage = await other.newPage();
    await doraPage.goto(`${server.issuer}/account`);
    await fillIdentifier(doraPage, 'dora');
    await fillPassword(doraPage, PASSWORD);
    // Two-step verification is compulsory and dora has no proven factor: set one up, the number offered.
    const sms = doraPage.locator('button[name="choose"][value="sms"]');
    if (await sms.count()) await submit(doraPage, 'button[name="choose"][value="sms"]');
    expect(await doraPage.inputValue('input[autocomplete="tel"]')).toBe('+32470223344');
    await submit(doraPage, 'button[value="phone"]');
    const sent = lastSms();
    expect(sent.to).toBe('+32470223344');
    expect((await member('dora')).phoneVerifiedAt).toBeNull();
    await doraPage.fill('input[autocomplete="one-time-code"]', /\b(\d{6})\b/.exec(sent.text)![1]);
    await submit(doraPage, 'button[value="code"]');
    expect(await member('dora')).toMatchObject({ phone: '+32470223344', phoneVerifiedAt: expect.any(Date) });
    await other.close();
  });

  it('shows the tenant events, paged', async () => {
    await page.goto(`${server.issuer}/account/admin/acme/events`);
    const text = await page.textContent('main');
    expect(text).toContain('User created');
    expect(text).toContain('Account unlocked');
    expect(text).toContain('Security policy changed');
    expect(text).toContain('Wrong password');
    expect(text).toContain('Mobile number changed');
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
