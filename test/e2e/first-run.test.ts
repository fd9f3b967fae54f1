/**
 * The first run, as a newcomer lives it (PostgreSQL, headless Chromium): a fresh server's page at
 * `/` says to create the first user with the exact command line for this server; that very line,
 * run in a shell, creates a user of no tenant; the page then welcomes, and its link to /account
 * lets that user sign in at once (the initial password replaced at the first sign-in). Four
 * languages; axe-core finds no violation on either page, nor on the sign-in page with a notice.
 * Needs `npm run build` first (the CLI runs from dist/).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { adminToken, startTestServer, type TestServer } from '../helpers/server.js';
import { fillIdentifier, fillPassword, launchBrowser, submit } from '../helpers/browser.js';
import { axeViolations, describeViolations } from '../helpers/portal.js';
import { firstUserCommand } from '../../src/boot/first-run.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OWN_PASSWORD = 'my very own sentence of a password';

const unescape = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Runs a line in a POSIX shell in the project folder, as the newcomer would, with the project's Node first on the PATH. */
function shell(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', line], { cwd: ROOT, env: { PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp' }, timeout: 60000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('first run', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    // The embedded default: what `npm ci && npm start` gives a newcomer (no DATABASE_URL, no REDIS_URL).
    server = await startTestServer({ backend: 'embedded' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const get = (url: string, language = 'en') => fetch(`${server.url}${url}`, { headers: { 'accept-language': language } });

  it('on a fresh server, says what to do next in four languages: the exact command, the import file, the account page', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Welcome to Sesam</h1>');
    const command = unescape(/<code id="first-user-command">([^<]*)<\/code>/.exec(html)![1]);
    expect(command).toBe(firstUserCommand({ issuer: server.issuer, dataDir: server.dataDir }, ROOT));
    // This server is not where the CLI looks by default: the line says where it is.
    expect(command).toBe(`SESAM_URL=${server.issuer} SESAM_DATA_DIR=${server.dataDir} npx sesam users create alice --email alice@example.com --password 'an initial password'`);
    expect(html).toContain('SESAM_IMPORT=config/example-import.json');
    expect(html).toContain('href="/account"');
    expect(html).toContain('href="/.well-known/openid-configuration"');

    for (const [language, title] of [['fr-BE', 'Bienvenue sur Sesam'], ['nl-BE', 'Welkom bij Sesam'], ['de-DE', 'Willkommen bei Sesam']]) {
      const page = await (await get('/', language)).text();
      expect(page).toContain(`<h1>${title}</h1>`);
      expect(page).toContain(`<html lang="${language.slice(0, 2)}">`);
      expect(page).toContain('npx sesam users create alice');
    }
    // The default command for a server where the CLI looks by default.
    expect(firstUserCommand({ issuer: 'http://localhost:3000', dataDir: path.join(ROOT, '.sesam') }, ROOT)).toBe(
      "npx sesam users create alice --email alice@example.com --password 'an initial password'",
    );
  });

  it('is accessible (axe-core), on a phone-sized screen too', async () => {
    const context = await browser.newContext({ locale: 'fr-BE', viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/`);
    expect(describeViolations(await axeViolations(page))).toBe('');
    // The long command wraps instead of widening the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await context.close();
  });

  it('the line shown creates a user of no tenant, who signs in to the account page at once; the page then welcomes', async () => {
    const html = await (await get('/')).text();
    const command = unescape(/<code id="first-user-command">([^<]*)<\/code>/.exec(html)![1]);
    const created = await shell(command);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created user alice \(/);
    const alice = await server.sesam.directory.requireUser('alice');
    expect(await server.sesam.directory.users.memberships(alice.id)).toEqual([]);

    const welcome = await (await get('/')).text();
    expect(welcome).not.toContain('first-user-command');
    expect(welcome).toContain('href="/account"');

    // An app notice on the account portal shows beside its sign-in (checked for accessibility there).
    const token = await adminToken(server);
    const notice = await fetch(`${server.url}/admin/v1/clients/sesam-account/notice`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ en: 'Beware of scams! Sesam never asks for your password by e-mail or text message.' }),
    });
    expect(notice.status).toBe(200);

    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/`);
    expect(describeViolations(await axeViolations(page))).toBe('');
    await page.click('a[href="/account"]');
    await page.waitForSelector('#identifier');
    expect(await page.textContent('aside[aria-label="Important notice"]')).toContain('Beware of scams!');
    expect(describeViolations(await axeViolations(page))).toBe('');
    await fillIdentifier(page, 'alice');
    await fillPassword(page, 'an initial password');
    // The initial password is replaced at once.
    await page.fill('#new', OWN_PASSWORD);
    await page.fill('#confirm', OWN_PASSWORD);
    await submit(page);
    await page.waitForURL((url) => url.pathname === '/account');
    expect(await page.textContent('main')).toContain('alice');
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    await context.close();
  });
});
