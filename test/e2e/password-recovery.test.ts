/**
 * "Forgot password?" end to end (issue 10, seed 003) in headless Chromium, with openid-client as
 * the apps, PostgreSQL + Redis, mails read from MAIL_OUTBOX and SMS from SMS_OUTBOX: the link from
 * the mail, the second factor asked before the new password, the sign-in with the new password
 * landing in the account portal, the phone app's refresh token dead afterwards, the link and the
 * handle refused when replayed; an unknown identifier answered with the same page; an employer
 * that manages passwords (seed 000) gets "ask your employer" and no link; a locked account without
 * a second factor recovers and is unlocked; forged and cross-site requests change nothing; axe-core
 * finds nothing on the new pages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
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
import { JourneyClient } from '../helpers/journey-client.js';
import { axeViolations, describeViolations } from '../helpers/portal.js';

const SECRET = 'app-secret-0123456789abcdef-0123456789ab';
const PASSWORD = 'a sentence that is long enough';
const NEW_PASSWORD = 'my brand new sentence for sesam';
const LINK = /(https?:\/\/[^\s"]+\/interaction\/recover\/[A-Za-z0-9_-]{43})/;

interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

describe('password recovery by e-mail, end to end', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  let officeRp: RelyingParty;
  let app: CallbackServer;
  let mailOutbox: string;
  let smsOutbox: string;

  beforeAll(async () => {
    app = await startCallbackServer();
    const dir = tmpDir();
    mailOutbox = path.join(dir, 'mail.jsonl');
    smsOutbox = path.join(dir, 'sms.jsonl');
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      env: { MAIL_OUTBOX: mailOutbox, SMS_OUTBOX: smsOutbox },
      import: {
        tenants: [
          { id: 'mutual', name: 'Mutualité Exemple', policy: { mfa: 'required', methods: ['sms'], passwordReset: 'self-service', trustedDeviceDays: 30 } },
          { id: 'club', name: 'Club Sans Code', policy: { mfa: 'off', passwordReset: 'self-service' } },
          { id: 'office', name: 'Titres-Services Bruxelles', policy: { passwordReset: 'admin', contact: 'rh@titres.be, 02 547 54 93' } },
        ],
        users: [
          { login: 'sara', email: 'sara@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['mutual'] },
          { login: 'lena', email: 'lena@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['club'] },
          { login: 'adam', email: 'adam@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['office'] },
          { login: 'tom', email: 'tom@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['club'] },
        ],
        clients: [
          { client_id: 'app', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true },
          { client_id: 'jobtracker', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true, tenants: ['office'] },
        ],
      },
    });
    browser = await launchBrowser();
    rp = await relyingParty(server.issuer, 'app', SECRET, app.redirectUri);
    officeRp = await relyingParty(server.issuer, 'jobtracker', SECRET, app.redirectUri);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await app?.close();
  });

  const readLines = <T>(file: string): T[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T) : []);
  const mailsTo = (address: string) => readLines<Mail>(mailOutbox).filter((m) => m.to === address);
  /** The next mail to `address` (mails go after the page answered: wait a little). */
  async function nextMail(address: string, before: number): Promise<Mail> {
    for (let i = 0; i < 100; i++) {
      const mails = mailsTo(address);
      if (mails.length > before) return mails[mails.length - 1];
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no mail to ${address}`);
  }
  const lastSmsCode = () => /\b(\d{6})\b/.exec(readLines<{ text: string }>(smsOutbox).at(-1)!.text)![1];
  const expectAxeClean = async (page: Page) => expect(describeViolations(await axeViolations(page))).toBe('');
  const onPortal = (page: Page) => page.waitForURL((url) => url.pathname.startsWith('/account') && !url.pathname.startsWith('/account/callback') && !url.pathname.startsWith('/account/login'));

  /** From the sign-in page of `page`, "Forgot your password?" for `identifier`; returns the link mailed. */
  async function askForLink(page: Page, identifier: string, address: string): Promise<string> {
    const before = mailsTo(address).length;
    await submit(page, 'a[href$="/forgot"]');
    expect(await page.locator('h1').textContent()).toBe('Forgot your password?');
    await page.fill('#identifier', identifier);
    await submit(page, 'form button[type="submit"]');
    expect(await page.locator('[role="status"]').textContent()).toContain('valid for 30 minutes');
    const mail = await nextMail(address, before);
    return LINK.exec(mail.text)![1];
  }

  it('recovers with the link from the mail: the SMS code first, then the new password, then into the portal; the phone app is signed out', async () => {
    // The phone app: a first sign-in sets the SMS factor up and keeps a refresh token.
    const phone = await browser.newContext({ locale: 'en-GB' });
    const phonePage = await phone.newPage();
    const req = await authorizationRequest(rp, { scope: 'openid offline_access', prompt: 'consent' });
    await phonePage.goto(req.url.href);
    await fillIdentifier(phonePage, 'sara');
    await fillPassword(phonePage, PASSWORD);
    await phonePage.fill('input[autocomplete="tel"]', '0470 11 22 33');
    await submit(phonePage, 'button[value="phone"]');
    await phonePage.fill('input[autocomplete="one-time-code"]', lastSmsCode());
    await submit(phonePage, 'form button[type="submit"]:first-of-type');
    await submit(phonePage, 'form button[type="submit"]'); // the recovery codes, kept
    const phoneTokens = await exchangeCode(rp, await app.next(), req);
    expect(phoneTokens.refresh_token).toBeTruthy();
    await oidc.refreshTokenGrant(rp.config, phoneTokens.refresh_token!);

    // The laptop: the portal's sign-in, the password forgotten.
    const laptop = await browser.newContext({ locale: 'en-GB' });
    const page = await laptop.newPage();
    await page.goto(`${server.issuer}/account`);
    expect(await page.locator('a[href$="/forgot"]').count()).toBe(1); // on the identifier page
    await fillIdentifier(page, 'sara');
    expect(await page.locator('a[href$="/forgot"]').count()).toBe(1); // and on the password page
    await submit(page, 'a[href$="/forgot"]');
    expect(await page.inputValue('#identifier')).toBe('sara'); // pre-filled from the journey
    await expectAxeClean(page);
    const before = mailsTo('sara@example.be').length;
    await submit(page, 'form button[type="submit"]');
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[^/]+\/forgot\/sent$/);
    await expectAxeClean(page);
    const mail = await nextMail('sara@example.be', before);
    expect(mail.subject).toBe('Choose a new Sesam password');
    expect(mail.html).toContain('<a href=');
    const link = LINK.exec(mail.text)![1];
    expect(link.startsWith(`${server.issuer}/interaction/recover/`)).toBe(true);

    // The link's page: a button only; opening it (a mail scanner does) uses nothing.
    const linkPage = await laptop.newPage();
    let handleUrl = '';
    linkPage.on('request', (r) => {
      if (r.url().includes('/account/login?recovery=')) handleUrl = r.url();
    });
    await linkPage.goto(link);
    await linkPage.goto(link);
    expect(await linkPage.locator('main form[method="post"] button').count()).toBe(1);
    expect(await linkPage.locator('input').count()).toBe(0);
    await expectAxeClean(linkPage);
    await submit(linkPage, 'main form button[type="submit"]');

    // The second factor the user has comes before any new password.
    expect(new URL(linkPage.url()).pathname).toMatch(/^\/interaction\/[^/]+$/);
    expect(await linkPage.locator('input[autocomplete="new-password"]').count()).toBe(0);
    await submit(linkPage, 'button[value="send"]');
    await linkPage.fill('input[autocomplete="one-time-code"]', lastSmsCode());
    await submit(linkPage, 'form button[type="submit"]:first-of-type');

    // Now the new password (only it and its confirmation), under the tenant's rules.
    expect(await linkPage.locator('input[autocomplete="new-password"]').count()).toBe(2);
    expect(await linkPage.locator('input[autocomplete="current-password"]').count()).toBe(0);
    await expectAxeClean(linkPage);
    await linkPage.fill('#new', 'too short');
    await linkPage.fill('#confirm', 'too short');
    await submit(linkPage, 'form button[type="submit"]');
    expect(await alertText(linkPage)).toContain('too short');
    await linkPage.fill('#new', NEW_PASSWORD);
    await linkPage.fill('#confirm', NEW_PASSWORD);
    await submit(linkPage, 'form button[type="submit"]');

    // Then a sign-in with it, which lands in the account portal.
    expect(await linkPage.locator('[role="status"]').textContent()).toContain('Your password was changed');
    await fillPassword(linkPage, NEW_PASSWORD);
    await onPortal(linkPage);
    expect(await linkPage.textContent('main')).toContain('sara');

    // The phone app's refresh token died with the old password; a mail said the password changed.
    const refused = await oidc.refreshTokenGrant(rp.config, phoneTokens.refresh_token!).catch((e: { error?: string }) => e.error);
    expect(refused).toBe('invalid_grant');
    const changed = await nextMail('sara@example.be', before + 1);
    expect(changed.subject).toBe('Your Sesam password was changed');
    const user = await server.sesam.directory.requireUser('sara');
    const types = (await server.sesam.events.list({ userId: user.id })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['password.reset_requested', 'password.reset_link_used', 'password.reset_done', 'account.password_changed']));

    // The link replayed: a clear page, in the user's language, offering a new one.
    const replay = await laptop.newPage();
    const response = await replay.goto(link);
    expect(response?.status()).toBe(410);
    expect(await alertText(replay)).toContain('already used');
    expect(await replay.locator('a[href^="/account/login"]').count()).toBe(1);
    await expectAxeClean(replay);
    const fr = await (await browser.newContext({ locale: 'fr-BE' })).newPage();
    await fr.goto(link);
    expect(await fr.locator('h1').textContent()).toBe('Ce lien ne fonctionne plus');
    const posted = await fetch(link, { method: 'POST', redirect: 'manual', headers: { 'sec-fetch-site': 'same-origin' } });
    expect(posted.status).toBe(410);
    // The handle replayed: an ordinary sign-in that says the link no longer works.
    expect(handleUrl).toMatch(/recovery=[A-Za-z0-9_-]{43}/);
    const again = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    await again.goto(handleUrl);
    expect(await alertText(again)).toContain('no longer works');
    expect(await again.locator('input[autocomplete="new-password"]').count()).toBe(0);
    // The old password is gone, the new one works.
    const old = new JourneyClient(server.url, rp);
    expect((await old.signIn('sara', PASSWORD)).html).toContain('role="alert"');
    await phone.close();
    await laptop.close();
  });

  it('answers an unknown identifier with the very same pages', async () => {
    async function ask(identifier: string) {
      const client = new JourneyClient(server.url, rp);
      await client.start();
      const uid = client.interaction!.split('/').pop()!;
      const form = await client.fetch(`${client.interaction}/forgot`);
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.html)![1];
      const posted = await client.fetch(`${client.interaction}/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'fr-BE' },
        body: new URLSearchParams({ csrf, identifier }),
      });
      const sent = await client.fetch(posted.location!, { headers: { 'accept-language': 'fr-BE' } });
      // What differs by journey alone: its id, its token, the CSP nonce.
      const clean = (text: string) => text.replaceAll(uid, 'UID').replaceAll(csrf, 'CSRF').replace(/nonce="[^"]+"/g, 'nonce="N"');
      return { status: posted.status, location: clean(posted.location ?? ''), body: clean(posted.html), sentStatus: sent.status, sent: clean(sent.html) };
    }
    const before = { tom: mailsTo('tom@example.be').length, all: readLines<Mail>(mailOutbox).length };
    const known = await ask('tom');
    const unknown = await ask('nobody-by-that-name');
    expect(known.status).toBe(303);
    expect(known.sentStatus).toBe(200);
    expect(unknown).toEqual(known);
    expect(known.sent).toContain('30 minutes');
    await nextMail('tom@example.be', before.tom);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(readLines<Mail>(mailOutbox).length).toBe(before.all + 1); // only tom got one
  });

  it('tells the user of an employer that manages passwords whom to ask, and mails no link', async () => {
    // The app serves only that employer: the forgot page says whom to ask, with no form.
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto((await authorizationRequest(officeRp)).url.href);
    await submit(page, 'a[href$="/forgot"]');
    expect(await page.locator('main').textContent()).toContain('Titres-Services Bruxelles manages the passwords of its users');
    expect(await page.locator('main').textContent()).toContain('rh@titres.be, 02 547 54 93');
    expect(await page.locator('input[name="identifier"]').count()).toBe(0);
    await expectAxeClean(page);

    // From an app open to all, the same answer as anyone gets; the mail names the contact, no link.
    const other = await context.newPage();
    await other.goto((await authorizationRequest(rp)).url.href);
    const before = mailsTo('adam@example.be').length;
    await submit(other, 'a[href$="/forgot"]');
    await other.fill('#identifier', 'adam@example.be');
    await submit(other, 'form button[type="submit"]');
    expect(await other.locator('[role="status"]').textContent()).toContain('valid for 30 minutes');
    const mail = await nextMail('adam@example.be', before);
    expect(mail.text).toContain('Titres-Services Bruxelles: rh@titres.be, 02 547 54 93');
    expect(mail.text).not.toMatch(LINK);
    expect(mail.html).not.toMatch(/interaction\/recover/);
    await context.close();
  });

  it('unlocks a locked account without a second factor: straight to the new password, then signed in', async () => {
    const attacker = new JourneyClient(server.url, rp);
    await attacker.start();
    await attacker.post('identifier', { identifier: 'lena' });
    for (const guess of ['guess one here', 'guess two here', 'guess three here']) await attacker.post('password', { password: guess });
    expect((await server.sesam.directory.requireUser('lena')).locked).toBe(true);

    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/account`);
    const link = await askForLink(page, 'lena', 'lena@example.be');
    await page.goto(link);
    await submit(page, 'main form button[type="submit"]');
    expect(await page.locator('input[autocomplete="new-password"]').count()).toBe(2); // no second factor to ask
    await page.fill('#new', NEW_PASSWORD);
    await page.fill('#confirm', NEW_PASSWORD);
    await submit(page, 'form button[type="submit"]');
    await fillPassword(page, NEW_PASSWORD);
    await onPortal(page);
    expect((await server.sesam.directory.requireUser('lena')).locked).toBe(false);
    await context.close();
  });

  it('refuses cross-site and forged requests, and a scanner fetching the link uses nothing', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/account`);
    const link = await askForLink(page, 'tom@example.be', 'tom@example.be');

    // A scanner's GETs, then a cross-site POST: nothing used.
    for (let i = 0; i < 3; i++) expect((await fetch(link)).status).toBe(200);
    const crossSite = await fetch(link, { method: 'POST', redirect: 'manual', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const evil = await fetch(link, { method: 'POST', redirect: 'manual', headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect((await fetch(link)).status).toBe(200);

    // "Forgot password" without the journey's token: refused, no mail.
    const client = new JourneyClient(server.url, rp);
    await client.start();
    const before = mailsTo('tom@example.be').length;
    const forged = await client.post('forgot', { identifier: 'tom' }, { csrf: 'not-the-token' });
    expect(forged.status).toBe(403);
    const crossSiteForgot = await client.post('forgot', { identifier: 'tom' }, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSiteForgot.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailsTo('tom@example.be').length).toBe(before);

    // A handle made up or of another shape starts an ordinary sign-in, never a recovery.
    const guessed = await context.newPage();
    await guessed.goto(`${server.issuer}/account/login?recovery=${'A'.repeat(43)}`);
    expect(await alertText(guessed)).toContain('no longer works');
    expect(await guessed.locator('input[autocomplete~="username"]:not([hidden])').count()).toBe(1);

    // The real link still works after all that.
    await page.goto(link);
    await submit(page, 'main form button[type="submit"]');
    expect(await page.locator('input[autocomplete="new-password"]').count()).toBe(2);
    await context.close();
  });
});
