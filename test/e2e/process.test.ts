/**
 * The server as operators run it: the built entry point on Node 24 (no "Unsupported runtime"
 * warning), a bad setting or import file stops it with one clear line and a non-zero code,
 * SIGTERM stops it gracefully.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';

const NODE = path.resolve('node_modules/.bin/node');
const MAIN = path.resolve('dist/src/main.js');
const dirs: string[] = [];

function run(env: Record<string, string>, untilReady = false): Promise<{ code: number | null; stdout: string; stderr: string; stop?: () => void; ready?: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [MAIN], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (untilReady && stdout.includes('sesam listening')) resolve({ code: null, stdout, stderr, stop: () => child.kill('SIGTERM') });
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    if (untilReady) child.on('exit', (code) => exits.set(child.pid!, code));
  });
}
const exits = new Map<number, number | null>();

describe('the server process', () => {
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('starts on the embedded database without an Unsupported runtime warning, serves, and stops on SIGTERM with code 0', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    const port = await freePort();
    const started = await run({ PORT: String(port), SESAM_DATA_DIR: dir }, true);
    expect(started.stop).toBeDefined();
    const health = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
    expect(`${started.stdout}${started.stderr}`).not.toMatch(/Unsupported runtime/i);
    // The built server finds the portal's catalogues (copied into dist/) and sends a visitor of
    // /account to sign in through the engine.
    const home = await fetch(`http://127.0.0.1:${port}/account`, { redirect: 'manual' });
    expect(home.status).toBe(303);
    const login = await fetch(new URL(home.headers.get('location')!, `http://127.0.0.1:${port}`), { redirect: 'manual' });
    expect(new URL(login.headers.get('location')!).pathname).toBe('/auth');
    const signedOut = await fetch(`http://127.0.0.1:${port}/account/signed-out`, { headers: { 'accept-language': 'nl-BE' } });
    expect(await signedOut.text()).toContain('Je bent afgemeld');
    // the admin secret was generated where the CLI finds it, readable by the owner only
    const stat = fs.statSync(path.join(dir, 'admin-client.json'));
    expect(stat.mode & 0o077).toBe(0);
    const exited = new Promise<number | null>((resolve) => {
      const timer = setInterval(() => {
        for (const code of exits.values()) {
          clearInterval(timer);
          resolve(code);
        }
      }, 50);
    });
    started.stop!();
    expect(await exited).toBe(0);
  });

  it.each([
    [{ PORT: 'eighty' }, /^sesam: Invalid setting PORT: /],
    [{ DATABASE_URL: 'mysql://localhost/x' }, /^sesam: Invalid setting DATABASE_URL: /],
    [{ SESAM_ENCRYPTION_KEY: 'too-short' }, /^sesam: Invalid setting SESAM_ENCRYPTION_KEY: /],
  ])('refuses a bad setting %j with one line and exit code 2', async (env, pattern) => {
    const result = await run({ ...env, SESAM_DATA_DIR: tmpDir() });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(pattern);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a malformed import file, naming the entry, and applies nothing', async () => {
    const dir = tmpDir();
    dirs.push(dir);
    const file = path.join(dir, 'import.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ tenants: [{ id: 'acme', name: 'Acme' }], users: [{ login: 'ok', tenants: ['acme'] }, { login: 'bad', tenants: ['nowhere'] }] }),
    );
    const port = await freePort();
    const result = await run({ PORT: String(port), SESAM_DATA_DIR: dir, SESAM_IMPORT: file });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('users[1] (bad)');
    expect(result.stderr).toContain('nowhere');
    fs.writeFileSync(file, '{ "tenants": [ ');
    const broken = await run({ PORT: String(port), SESAM_DATA_DIR: dir, SESAM_IMPORT: file });
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(/SESAM_IMPORT .*import\.json: .*JSON/);
    // nothing of the first file was applied: start without it and look
    const clean = await run({ PORT: String(port), SESAM_DATA_DIR: dir }, true);
    const { default: knexFactory } = await import('knex');
    clean.stop!();
    await new Promise((r) => setTimeout(r, 1500));
    const ClientPgLite = (await import('knex-pglite')).default;
    const db = knexFactory({ client: ClientPgLite as never, dialect: 'postgres', connection: { filename: path.join(dir, 'pgdata') } });
    expect(await db('tenants').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await db('users').count({ n: '*' })).toEqual([{ n: 0 }]);
    await db.destroy();
  });
});
