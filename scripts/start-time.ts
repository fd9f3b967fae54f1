/**
 * Start-to-ready of the built server, the way operators and the benchmark run it: spawn
 * `node dist/src/main.js` with an environment, poll `GET /readyz` (src/boot/health.ts: 200 once
 * the server listens and its database, and Redis when configured, answer) every 20 ms, and take
 * the time from spawn to the first 200. The server's own log also says it: the JSON line
 * `"msg":"sesam listening"` (with SESAM_WORKERS > 1, each worker writes one, and the primary
 * `"msg":"sesam workers listening"` once all are up).
 *
 * As a command (`npm run start-time`): starts the server `--runs` times (default 3) in the
 * current environment and prints the milliseconds of each; without SESAM_DATA_DIR in a new
 * temporary folder, so the first run is a fresh start (embedded: a new database) and the next
 * ones start on what the first left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../config/node-flags.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

export interface StartedServer {
  child: ChildProcess;
  /** http://127.0.0.1:$PORT */
  url: string;
  /** Milliseconds from spawn to the first 200 of /readyz. */
  readyMs: number;
  /** What the server wrote so far, stdout and stderr. */
  output(): string;
  /** Sends `signal` (SIGTERM) and resolves to how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the built server with `env` (PORT required) and resolves once /readyz answers 200. */
export async function startBuiltServer(env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<StartedServer> {
  if (!env.PORT || env.PORT === '0') throw new Error('startBuiltServer needs a PORT');
  const url = `http://127.0.0.1:${env.PORT}`;
  const started = performance.now();
  const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [...SERVER_NODE_FLAGS, path.join(ROOT, 'dist/src/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let gone: { code: number | null } | undefined;
  void exited.then((how) => (gone = how));
  const deadline = started + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (gone) throw new Error(`the server exited (code ${gone.code}) before it was ready: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready within ${options.timeoutMs ?? 60_000} ms: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    }
    const status = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = Math.round(performance.now() - started);
  return {
    child,
    url,
    readyMs,
    output: () => output,
    stop(signal = 'SIGTERM') {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as import('node:net').AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
  const dataDir = process.env.SESAM_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sesam-start-'));
  const what = process.env.DATABASE_URL ? `PostgreSQL${process.env.REDIS_URL ? ' + Redis' : ''}` : `embedded (${dataDir})`;
  for (let i = 0; i < runs; i++) {
    const env = { ...(process.env as Record<string, string>), SESAM_DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
    const server = await startBuiltServer(env);
    const { code } = await server.stop();
    process.stdout.write(`${what}, start ${i + 1}: ready in ${server.readyMs} ms (stopped with code ${code})\n`);
  }
  if (!process.env.SESAM_DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) await main();
