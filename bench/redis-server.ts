/**
 * The Redis of the run. Unless BENCH_REDIS_URL names one, the bench starts its own redis-server
 * (no persistence) on a free port when one is installed, so that the command counts of
 * store-counts.ts are the bench's alone and resetting them disturbs no one; else it uses
 * database 15 of the shared 127.0.0.1:6379, flushed before and after (its command counts then
 * include whatever else uses that Redis meanwhile).
 */
import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './servers.js';
import { sleep } from './numbers.js';

export interface BenchRedis {
  url: string;
  /** True when this run's own redis-server: its statistics count only the bench. */
  private: boolean;
  stop(): Promise<void>;
}

async function flush(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

export async function benchRedis(): Promise<BenchRedis> {
  const given = process.env.BENCH_REDIS_URL;
  const installed = !given && spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!installed) {
    const url = given ?? 'redis://127.0.0.1:6379/15';
    await flush(url);
    return { url, private: false, stop: () => flush(url) };
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}/0`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Refused connections while redis-server starts are expected: the loop below reads them from connect().
  probe.on('error', () => undefined);
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (e) {
      probe.disconnect();
      if (i >= 100 || child.exitCode !== null) throw new Error(`the bench's redis-server on port ${port} did not start: ${(e as Error).message}`);
      await sleep(50);
    }
  }
  probe.disconnect();
  return {
    url,
    private: true,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
