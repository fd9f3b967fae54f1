/**
 * `sesam login` end to end (PostgreSQL + Redis, headless Chromium, the built CLI): a tenant admin
 * signs in in a browser through the CLI's loopback redirect, with no client secret anywhere, and
 * the CLI then runs their tenant's members and policy; the operator's commands and the other
 * tenant are refused; `sesam logout` revokes the token.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
import { runSesam, type CliResult } from '../helpers/cli.js';
import { fillIdentifier, fillPassword, launchBrowser, submit } from '../helpers/browser.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const PASSWORD = 'a sentence that is long enough';

describe('sesam login: a tenant admin on the CLI', () => {
  let server: TestServer;
  let browser: Browser;
  let env: Record<string, string>;
  let configDir: string;
  const outbox = path.join(tmpDir(), 'sms.jsonl');
  const lastCode = () => /\b(\d{6})\b/.exec(JSON.parse(fs.readFileSync(outbox, 'utf8').trim().split('\n').at(-1)!).text)![1];

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [
          { id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'off' } },
          { id: 'beta', name: 'Beta Bureau', policy: { mfa: 'off' } },
          { id: 'gamma', name: 'Gamma Fiduciaire', policy: { mfa: 'off' } },
        ],
        users: [
          { login: 'anna', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'acme', role: 'admin' }] },
          { login: 'bob', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
          { login: 'carl', password: PASSWORD, mustChangePassword: false, tenants: ['beta'] },
          { login: 'hugo', phone: '+32470555222', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'gamma', role: 'admin' }] },
        ],
      },
      env: { SMS_OUTBOX: outbox },
    });
    await server.sesam.db('users').where({ login: 'hugo' }).update({ phone_verified_at: new Date() });
    browser = await launchBrowser();
    configDir = tmpDir();
    // No admin client credentials at all: only PATH, HOME and where the server is.
    env = { PATH: process.env.PATH ?? '', HOME: configDir, SESAM_URL: server.issuer, SESAM_CONFIG_DIR: configDir, SESAM_DATA_DIR: path.join(configDir, 'no-data') };
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /**
   * Runs `sesam login`, signs in as `user` in Chromium at the address it prints, and waits for it
   * to end; with `stepUp`, answers the second address it prints (RFC 9470) with the SMS code.
   */
  async function login(user: string, options: { stepUp?: boolean } = {}): Promise<CliResult> {
    const child = spawn(NODE, [path.join(ROOT, 'bin/sesam.js'), 'login', '--timeout', '60'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    /** The n-th sign-in address the CLI printed. */
    const address = async (n: number): Promise<string> => {
      for (let i = 0; i < 300; i++) {
        const all = [...stderr.matchAll(/(https?:\/\/\S+\/auth\?\S+)/g)].map((m) => m[1]);
        if (all.length >= n) return all[n - 1];
        if (child.exitCode !== null) throw new Error(`sesam login ended early: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`sesam login printed no address: ${stderr}`);
    };
    const url = await address(1);
    expect(url).toContain('client_id=sesam-cli');
    expect(url).toContain('code_challenge_method=S256');
    expect(decodeURIComponent(url)).toMatch(/redirect_uri=http:\/\/127\.0\.0\.1:\d+\/callback/);

    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const atCallback = () => page.waitForURL((u) => u.hostname === '127.0.0.1' && u.pathname === '/callback');
    await page.goto(url);
    await fillIdentifier(page, user);
    await fillPassword(page, PASSWORD);
    await atCallback();
    expect(await page.textContent('body')).toContain('Signed in');
    if (options.stepUp) {
      const second = await address(2);
      expect(second).toContain('acr_values=urn%3Asesam%3Aacr%3A2fa');
      await page.goto(second);
      // The browser is signed in already: only the second factor is asked.
      if (await page.locator('button[value="send"]').count()) await submit(page, 'button[value="send"]');
      await page.fill('input[autocomplete="one-time-code"]', lastCode());
      await Promise.all([atCallback(), page.click('button[value="verify"]')]);
    }
    await context.close();
    const code = await ended;
    return { code, stdout, stderr };
  }

  const sesam = (...args: string[]) => runSesam(args, env);

  it('signs in a tenant admin in the browser and keeps the token for their owner only', async () => {
    const signedIn = await login('anna');
    expect(signedIn.code).toBe(0);
    expect(signedIn.stdout).toMatch(/signed in as anna in tenant acme \(Acme Titres-Services\), until \d{4}-/);
    const file = path.join(configDir, 'sign-in.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ server: server.issuer, tenantId: 'acme', login: 'anna' });
  });

  it("runs the tenant's members and policy, defaulting to the tenant of the sign-in", async () => {
    const list = await sesam('members', 'list');
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('bob');
    expect(list.stdout).not.toContain('carl');

    const created = await sesam('members', 'create', 'newbie', '--password', 'an initial password for newbie', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ created: true, member: { login: 'newbie', mustChangePassword: true } });

    await server.sesam.db('users').where({ login: 'bob' }).update({ locked: true });
    const unlocked = await sesam('members', 'unlock', 'bob');
    expect(unlocked.code).toBe(0);
    expect((await server.sesam.directory.requireUser('bob')).locked).toBe(false);

    const policy = await sesam('tenants', 'set-policy', 'acme', '{"mfa":"required"}');
    expect(policy.code).toBe(0);
    expect((await server.sesam.directory.requireTenant('acme')).policy.mfa).toBe('required');
    expect((await sesam('tenants', 'set-policy', 'acme', '{"mfa":"off"}')).code).toBe(0);
  });

  it("refuses the operator's commands and another tenant", async () => {
    const users = await sesam('users', 'list');
    expect(users.code).toBe(1);
    expect(users.stderr).toContain('lacks the admin scope');
    const beta = await sesam('members', 'list', '--tenant', 'beta');
    expect(beta.code).toBe(1);
    expect(beta.stderr).toContain('acme only');
  });

  it('logout revokes the token at the server, not only the file', async () => {
    const token = JSON.parse(fs.readFileSync(path.join(configDir, 'sign-in.json'), 'utf8')).accessToken as string;
    const out = await sesam('logout');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('signed out');
    expect(fs.existsSync(path.join(configDir, 'sign-in.json'))).toBe(false);
    const res = await fetch(`${server.url}/admin/v1/tenants/acme/members`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    const after = await sesam('members', 'list', '--tenant', 'acme');
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('no admin credentials: run sesam login');
  });

  it("a plain member's sign-in succeeds but acts in nothing", async () => {
    const signedIn = await login('bob');
    expect(signedIn.code).toBe(0);
    const list = await sesam('members', 'list');
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('only an admin of this tenant');
    await sesam('logout');
  });

  it('asks an admin with a second factor to sign in again with it when the first sign-in spared it (RFC 9470 step-up)', async () => {
    const signedIn = await login('hugo', { stepUp: true });
    expect(signedIn.stderr).toContain('Your account has a second factor');
    expect(signedIn.code).toBe(0);
    expect(signedIn.stdout).toContain('signed in as hugo in tenant gamma');
    expect(signedIn.stdout).not.toContain('will be refused');
    const list = await sesam('members', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('hugo');
    await sesam('logout');
  });
});
