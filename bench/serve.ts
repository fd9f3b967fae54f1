/**
 * The server child of the benchmark (forked by run.ts through servers.ts#forkServer): starts
 * bare oidc-provider (BENCH_TARGET=bare) or Sesam (BENCH_TARGET=sesam, configured by the usual
 * environment: DATABASE_URL, REDIS_URL, SESAM_DATA_DIR, SESAM_IMPORT…), then talks over IPC:
 *   → { type: 'ready', url } | { type: 'ready', error }
 *   ← { type: 'stop' }   → stops and exits
 * Its CPU and memory are read from /proc by the parent (process-usage.ts). It also prints its URL
 * on stdout when run by hand. Experiments: BENCH_NICE_THREADPOOL (see
 * reniceThreadpool) and BENCH_ARGON2_LIMIT (see limitArgon2).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import argon2 from 'argon2';
import { startBare, startSesam, type RunningServer } from './servers.js';

/**
 * Experiment (BENCH_ARGON2_LIMIT=<n>): at most n argon2 operations at a time in the server
 * child (the others wait in a queue), so the rest of libuv's threadpool stays free for what
 * else runs there (WebCrypto signing of ID tokens, fs). Patches the argon2 module object that
 * Sesam's PasswordHasher calls.
 */
function limitArgon2(limit: number): void {
  let running = 0;
  const queue: (() => void)[] = [];
  const acquire = () => (running < limit ? (running++, Promise.resolve()) : new Promise<void>((resolve) => queue.push(resolve)));
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else running--;
  };
  const wrap = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await acquire();
      try {
        return await fn(...args);
      } finally {
        release();
      }
    };
  const target = argon2 as unknown as Record<string, unknown>;
  target.verify = wrap(argon2.verify.bind(argon2));
  target.hash = wrap(argon2.hash.bind(argon2) as (...args: unknown[]) => Promise<unknown>);
}

/**
 * Experiment (BENCH_NICE_THREADPOOL=<niceness>, Linux only): lowers the scheduling priority of
 * libuv's threadpool threads, where argon2 runs, so the event loop thread wins the CPU when
 * both want it. Shows what a low-priority hashing pool would do to the latency of the steps
 * that do not hash. Returns how many threads were changed.
 */
async function reniceThreadpool(niceness: number): Promise<number> {
  await new Promise((resolve) => crypto.randomFill(Buffer.alloc(8), resolve)); // the pool starts on first use
  let changed = 0;
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const name = fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    if (name !== 'libuv-worker') continue;
    os.setPriority(Number(tid), niceness);
    changed++;
  }
  return changed;
}

function send(message: Record<string, unknown>): void {
  if (process.send) process.send(message);
}

async function main(): Promise<void> {
  const target = process.env.BENCH_TARGET ?? 'sesam';
  let server: RunningServer;
  if (process.env.BENCH_ARGON2_LIMIT) limitArgon2(Number(process.env.BENCH_ARGON2_LIMIT));
  try {
    server = target === 'bare' ? await startBare(process.env) : await startSesam(process.env);
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    console.error(`bench serve (${target}): ${error}`);
    send({ type: 'ready', error });
    process.exitCode = 1;
    return;
  }
  if (process.env.BENCH_NICE_THREADPOOL) {
    const changed = await reniceThreadpool(Number(process.env.BENCH_NICE_THREADPOOL)).catch((e: unknown) => {
      console.error(`bench serve: could not renice the threadpool: ${(e as Error).message}`);
      return 0;
    });
    console.error(`bench serve (${target}): ${changed} threadpool threads at nice ${process.env.BENCH_NICE_THREADPOOL}`);
  }
  if (!process.send) console.log(server.url);
  send({ type: 'ready', url: server.url });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop().catch((e: unknown) => console.error('bench serve: stop failed', e));
    // process.exit (not a hard kill) so that --cpu-prof writes its profile.
    process.exit(0);
  };
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'stop') {
      void stop();
    }
  });
  process.on('disconnect', () => void stop()); // the parent is gone
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main();
