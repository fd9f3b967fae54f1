/**
 * The built server as a pool of worker processes (SESAM_WORKERS=2, node:cluster) on a fresh
 * PostgreSQL database and Redis under a key prefix of its own: the primary prepares the stores
 * once and forks two workers that share the port; new connections are answered by both; a token
 * issued by one is accepted by the other; /metrics adds up the pool; a worker killed with SIGKILL
 * is replaced while requests keep being answered; SIGTERM to the primary stops every worker and
 * exits 0. Without DATABASE_URL several workers are refused in one line.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startBuiltServer, type StartedServer } from '../../scripts/start-time.js';
import { freePort } from '../helpers/server.js';
import { runSesam } from '../helpers/cli.js';
import { spawn } from 'node:child_process';
import { createPostgresDatabase, deleteRedisKeys, REDIS_URL, tmpDir, type TestDatabase } from '../helpers/stores.js';

const APP = { id: 'pool-app', secret: 'pool-app-secret-0123456789-abcdefghij' };

/** One request on a connection of its own (no keep-alive): the primary deals each connection to a worker in turn. */
function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.end(options.body);
  });
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** The JSON log lines the server wrote so far. */
function logLines(server: StartedServer): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** worker id → pid, from the primary's "worker started" lines. */
function workerPids(server: StartedServer): Map<number, number> {
  return new Map(logLines(server).filter((l) => l.msg === 'worker started').map((l) => [l.worker as number, l.pid as number]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The value of one sample in a Prometheus text exposition (undefined when absent). */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('a pool of worker processes (PostgreSQL + Redis)', () => {
  let database: TestDatabase;
  let server: StartedServer;
  let dataDir: string;
  const prefix = `sesam-test-workers-${Date.now()}:`;

  beforeAll(async () => {
    database = await createPostgresDatabase({ migrate: false }); // the pool's primary migrates it
    await database.db.destroy();
    dataDir = tmpDir();
    const importFile = path.join(dataDir, 'import.json');
    fs.writeFileSync(importFile, JSON.stringify({ clients: [{ client_id: APP.id, client_secret: APP.secret, grant_types: ['client_credentials'] }] }));
    const port = await freePort();
    server = await startBuiltServer({
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      SESAM_WORKERS: '2',
      DATABASE_URL: database.url!,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      SESAM_DATA_DIR: dataDir,
      SESAM_IMPORT: importFile,
      LOG_LEVEL: 'info',
    });
    // Ready as soon as one worker listens; the primary says when both do.
    await until('both workers', () => (logLines(server).some((l) => l.msg === 'sesam workers listening') ? true : undefined));
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    for (const pid of server ? workerPids(server).values() : []) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await database?.drop();
    await deleteRedisKeys(prefix);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const healthzWorkers = async (requests: number) => {
    const seen = new Set<number>();
    for (let i = 0; i < requests; i++) {
      const res = await request(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      seen.add((JSON.parse(res.text) as { worker: number }).worker);
    }
    return seen;
  };

  const token = async (id: string, secret: string, scope?: string) => {
    const res = await request(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
    });
    expect(res.status).toBe(200);
    return (JSON.parse(res.text) as { access_token: string }).access_token;
  };

  it('answers with two worker processes, prepared once', async () => {
    const pids = workerPids(server);
    expect(pids.size).toBe(2);
    const seen = await healthzWorkers(8);
    expect([...seen].sort()).toEqual([...pids.keys()].sort());
    const distinct = new Set([...seen].map((id) => pids.get(id)));
    expect(distinct.size).toBe(2);
    for (const pid of distinct) {
      expect(pid).not.toBe(server.child.pid);
      expect(alive(pid!)).toBe(true);
    }
    // What a first start generates was done once, by the primary, before the workers started.
    const lines = logLines(server);
    expect(lines.filter((l) => l.msg === 'migrations applied')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'wrote the bootstrap admin client secret')).toHaveLength(1);
    const firstWorker = lines.findIndex((l) => l.msg === 'worker started');
    expect(lines.findIndex((l) => l.msg === 'migrations applied')).toBeLessThan(firstWorker);
    expect(lines.findIndex((l) => l.msg === 'wrote the bootstrap admin client secret')).toBeLessThan(firstWorker);
    expect(fs.statSync(path.join(dataDir, 'admin-client.json')).mode & 0o077).toBe(0);
  });

  it('issues tokens on either worker, accepts them on the other, and counts the whole pool in /metrics', async () => {
    for (let i = 0; i < 6; i++) await token(APP.id, APP.secret);
    // The bootstrap admin client's token works on the admin API whichever worker answers.
    const admin = JSON.parse(fs.readFileSync(path.join(dataDir, 'admin-client.json'), 'utf8')) as { client_id: string; client_secret: string };
    const bearer = await token(admin.client_id, admin.client_secret, 'admin');
    for (let i = 0; i < 4; i++) {
      const res = await request(`${server.url}/admin/v1/clients/${APP.id}`, { headers: { authorization: `Bearer ${bearer}` } });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ client_id: APP.id });
    }
    const metrics = await request(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(sample(metrics.text, 'sesam_workers')).toBe(2);
    // Seven tokens, dealt over two workers: the exposition adds both workers' counters.
    expect(sample(metrics.text, 'sesam_tokens_issued_total', '{grant="client_credentials"}')).toBe(7);
    // Summed, not listed per worker: one series per metric.
    expect(metrics.text.match(/^process_resident_memory_bytes /gm)).toHaveLength(1);
    // The access rule is unchanged: a non-loopback caller would be refused; the token rule is tested in metrics.test.ts.
  });

  it('replaces a worker killed with SIGKILL, answering requests all along', async () => {
    const before = workerPids(server);
    const [victimId, victimPid] = [...before][0];
    process.kill(victimPid, 'SIGKILL');
    // The primary notices at once. (A connection it dealt to the worker in the instant before,
    // as node:cluster's round robin does, is lost with the worker, as requests under way are.)
    await until('the primary to notice', () =>
      logLines(server).some((l) => l.msg === 'a worker exited; replacing it' && l.worker === victimId && l.signal === 'SIGKILL') ? true : undefined,
    );
    // Requests keep being answered meanwhile, by the survivor and then by the replacement.
    const replacement = await until('a replacement worker', async () => {
      expect((await request(`${server.url}/healthz`)).status).toBe(200);
      await token(APP.id, APP.secret);
      return [...workerPids(server).keys()].find((id) => !before.has(id));
    });
    expect(alive(victimPid)).toBe(false);
    await until('the replacement to answer', async () => ((await healthzWorkers(4)).has(replacement) ? true : undefined));
    const seen = await healthzWorkers(8);
    expect(seen.has(victimId)).toBe(false);
    expect(seen.size).toBe(2);
    const metrics = await request(`${server.url}/metrics`);
    expect(sample(metrics.text, 'sesam_workers')).toBe(2);
  });

  it('stops every worker gracefully on SIGTERM to the primary and exits 0', async () => {
    const pids = [...workerPids(server).values()].filter(alive);
    expect(pids).toHaveLength(2);
    const { code, signal } = await server.stop('SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const lines = logLines(server);
    // each worker closed its server and stores (main's graceful stop), then the primary ended
    expect(lines.filter((l) => l.msg === 'shutting down' && typeof l.worker === 'number')).toHaveLength(2);
    expect(lines.at(-1)).toMatchObject({ msg: 'the workers have stopped', code: 0 });
  });
});

describe('several workers without DATABASE_URL', () => {
  it('are refused at start in one line, exit code 2, by the server and by sesam serve', async () => {
    const dir = tmpDir();
    try {
      await expect(startBuiltServer({ PATH: process.env.PATH ?? '', PORT: String(await freePort()), SESAM_WORKERS: '2', SESAM_DATA_DIR: dir })).rejects.toThrow(
        /exited \(code 2\) before it was ready: sesam: Invalid setting SESAM_WORKERS: 2 \(2 workers\) needs DATABASE_URL/,
      );
      expect(fs.readdirSync(dir)).toEqual([]); // nothing was created
      const served = await runSesam(['serve', '--workers', '2'], { PATH: process.env.PATH ?? '', PORT: String(await freePort()), SESAM_DATA_DIR: dir });
      expect(served.code).toBe(2);
      expect(served.stderr.trim()).toMatch(/^sesam: Invalid setting SESAM_WORKERS: 2 \(2 workers\) needs DATABASE_URL[^\n]*$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sesam serve --workers 2', () => {
  it('starts the pool in the foreground and stops it with SIGTERM, exit code 0', async () => {
    const database = await createPostgresDatabase();
    await database.db.destroy();
    const dataDir = tmpDir();
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url!, SESAM_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const cli = spawn(path.resolve('node_modules/.bin/node'), [path.resolve('bin/sesam.js'), 'serve', '--workers', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    cli.stdout.on('data', (d) => (output += d));
    cli.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    try {
      await until('both workers', () => (output.includes('"msg":"sesam workers listening"') ? true : undefined), 60_000);
      const metrics = await request(`http://127.0.0.1:${port}/metrics`);
      expect(sample(metrics.text, 'sesam_workers')).toBe(2);
      const pids = [...output.matchAll(/"pid":(\d+),"msg":"worker started"/g)].map((m) => Number(m[1]));
      expect(pids).toHaveLength(2);
      cli.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const pid of pids) expect(alive(pid)).toBe(false);
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
