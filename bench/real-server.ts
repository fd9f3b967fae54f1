/**
 * The server as operators run it: `node dist/src/main.js` in a process of its own (with
 * SESAM_WORKERS=N, a primary and its node:cluster workers on one port), ready when GET /readyz
 * answers 200 (the database, and Redis when configured, answer). Its cost is that of the whole
 * process tree (process-usage.ts), its stop a SIGTERM (the graceful stop). TRUST_PROXY as for the
 * bench's other Sesam servers (journeys.ts sourceOf).
 */
import { spawn } from 'node:child_process';
import { MAIN_JS } from './config.js';
import { sleep } from './numbers.js';
import { treeUsage } from './process-usage.js';
import { freePort, passThrough, type ServerProcess } from './servers.js';
import { SERVER_NODE_FLAGS } from '../config/node-flags.js';

export interface RealServer extends ServerProcess {
  /** Milliseconds from the spawn to the first 200 of /readyz. */
  readyMs: number;
}

/** Starts the built server with `env` (Sesam's settings) on a free port and waits until it is ready. */
export async function startRealServer(name: string, env: Record<string, string>, timeoutMs = 120_000): Promise<RealServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, MAIN_JS], {
    env: { ...passThrough(), LOG_LEVEL: 'silent', TRUST_PROXY: 'true', HOST: '127.0.0.1', ISSUER: url, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  // Poll often: the figure is the time to ready, so the polling must not add much to it.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name}: the server exited (code ${child.exitCode}) before it was ready: ${stderr.trim()}`);
    if (performance.now() - t0 > timeoutMs) {
      await stop();
      throw new Error(`${name}: not ready within ${timeoutMs} ms: ${stderr.trim()}`);
    }
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    await sleep(10);
  }
  const readyMs = Math.round(performance.now() - t0);
  return { name, url, pid: child.pid!, readyMs, usage: () => treeUsage(child.pid!), stop };
}

/**
 * With N workers, /readyz answers as soon as one worker listens: wait until the primary has its
 * N children (SESAM_WORKERS not supported: it never will; then go on after `graceMs`).
 */
export async function waitForWorkers(server: RealServer, workers: number, graceMs = 5000): Promise<number> {
  const t0 = performance.now();
  while (workers > 1 && server.usage().processes < workers + 1 && performance.now() - t0 < graceMs) await sleep(50);
  return server.usage().processes;
}
