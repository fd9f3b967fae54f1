/**
 * The primary process of a pool of workers (SESAM_WORKERS > 1, node:cluster): forks the
 * workers, which each run Sesam and share the port (the primary hands connections out in turn),
 * replaces a worker that dies with a back-off so a crash loop does not spin, answers the
 * workers' requests for the pool's metrics, and on SIGTERM/SIGINT stops every worker gracefully
 * (each closes its server and its stores, as a single process does) before it ends with 0.
 * What a first start generates (schema, keys, the bootstrap clients) is done before the pool
 * starts (src/serve.ts), so the workers find it made and race on nothing.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../logger.js';
import { poolMetricsPrimary } from '../observability/pool-metrics.js';

/** Unexpected exits counted for the back-off within this window. */
const CRASH_WINDOW_MS = 60_000;
/** A worker that does not stop within this time after SIGTERM is killed. */
const STOP_GRACE_MS = 20_000;

/**
 * How long to wait before replacing a worker, given the unexpected exits of the last minute
 * (this one included): a quarter of a second, doubling with each further one, at most 30 s.
 */
export function restartDelay(recentCrashes: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, recentCrashes - 1));
}

/**
 * Runs `count` workers until SIGTERM or SIGINT; resolves to the exit code: 0 after a graceful
 * stop. A worker that exits before the pool was ever all listening stops the pool with its code
 * (a start that cannot succeed fails, as a single process does, rather than looping).
 */
export function runWorkerPool(count: number, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    const alive = new Set<Worker>();
    const listening = new Set<Worker>();
    const crashes: number[] = [];
    const pending = new Set<NodeJS.Timeout>();
    let started = false;
    let stopping = false;
    let exitCode = 0;
    const metrics = poolMetricsPrimary(() => [...listening].filter((w) => w.isConnected()));

    const fork = () => {
      const worker = cluster.fork();
      alive.add(worker);
      logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
    };
    const finish = (code: number) => {
      cluster.off('message', metrics.onMessage);
      logger.info({ code }, 'the workers have stopped');
      resolve(code);
    };
    const stop = (signal: string, code = 0) => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      logger.info({ signal, workers: alive.size }, 'stopping the workers');
      for (const timer of pending) clearTimeout(timer);
      if (!alive.size) return finish(code);
      for (const worker of alive) worker.process.kill('SIGTERM');
      setTimeout(() => {
        for (const worker of alive) worker.process.kill('SIGKILL');
      }, STOP_GRACE_MS).unref();
    };

    cluster.on('message', metrics.onMessage);
    cluster.on('listening', (worker) => {
      listening.add(worker);
      if (!started && listening.size === count) {
        started = true;
        logger.info({ workers: count }, 'sesam workers listening');
      }
    });
    cluster.on('exit', (worker, code, signal) => {
      alive.delete(worker);
      listening.delete(worker);
      if (stopping) {
        if (!alive.size) finish(exitCode);
        return;
      }
      if (!started) {
        logger.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'a worker failed to start; stopping');
        return stop('worker-failed', code || 1);
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes[0] < now - CRASH_WINDOW_MS) crashes.shift();
      const delay = restartDelay(crashes.length);
      logger.error({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delay }, 'a worker exited; replacing it');
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (!stopping) fork();
      }, delay);
      pending.add(timer);
    });
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));

    for (let i = 0; i < count; i++) fork();
  });
}
