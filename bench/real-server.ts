/**
 * The server as operators run it: `node dist/src/main.js` in a process of its own (with
 * SESAM_WORKERS=N, a primary and its node:cluster workers on one port), started and awaited by
 * scripts/start-time.ts (ready when GET /readyz answers 200). Its cost is that of the whole
 * process tree (process-usage.ts), its stop a SIGTERM (the graceful stop). TRUST_PROXY as for the
 * bench's other Sesam servers (journeys.ts sourceOf).
 */
import { sleep } from './numbers.js';
import { treeUsage } from './process-usage.js';
import { freePort, passThrough, type ServerProcess } from './servers.js';
import { startBuiltServer } from '../scripts/start-time.js';

export interface RealServer extends ServerProcess {
  /** Milliseconds from the spawn to the first 200 of /readyz. */
  readyMs: number;
}

/** Starts the built server with `env` (Sesam's settings) on a free port and waits until it is ready. */
export async function startRealServer(name: string, env: Record<string, string>, timeoutMs = 120_000): Promise<RealServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startBuiltServer({ ...passThrough(), LOG_LEVEL: 'silent', TRUST_PROXY: 'true', HOST: '127.0.0.1', ISSUER: url, ...env, PORT: String(port) }, { timeoutMs }).catch(
    (e: Error) => {
      throw new Error(`${name}: ${e.message}`);
    },
  );
  const pid = server.child.pid!;
  const stop = async () => {
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
    await server.stop();
    clearTimeout(timer);
  };
  return { name, url, pid, readyMs: server.readyMs, usage: () => treeUsage(pid), stop };
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
