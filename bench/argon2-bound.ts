/**
 * The bound a password sign-in cannot beat: argon2.verify of a hash made with Sesam's
 * parameters, `concurrency` at a time, in this process, alone; and the CPU time one verification
 * costs, the yardstick of a sign-in's server CPU.
 */
import os from 'node:os';
import argon2 from 'argon2';
import { loadSettings } from '../config/settings.js';
import { ARGON2_S, ARGON2_WARMUP_S, PASSWORD } from './config.js';
import { round } from './numbers.js';
import { ownCpuOf } from './process-usage.js';

export interface Argon2Bound {
  params: { memoryCost: number; timeCost: number; parallelism: number };
  concurrency: number;
  perSecond: number;
  meanMs: number;
  /** CPU time one verification costs (all threads of this process): hardly moved by other jobs. */
  cpuMsPerVerification: number;
  /** Share of the machine other processes used meanwhile (should be ~0). */
  foreignShare?: number;
}

export async function argon2Bound(concurrency: number): Promise<Argon2Bound> {
  const params = { ...loadSettings({}).argon2 };
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...params });
  if (!(await argon2.verify(hash, PASSWORD))) throw new Error('argon2 verify failed');
  const run = async (seconds: number) => {
    const end = performance.now() + seconds * 1000;
    let count = 0;
    let total = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          await argon2.verify(hash, PASSWORD);
          total += performance.now() - t;
          count++;
        }
      }),
    );
    return { count, meanMs: total / count };
  };
  await run(ARGON2_WARMUP_S);
  const { result: r, cpuMs, ms, foreignShare } = await ownCpuOf(() => run(ARGON2_S));
  return { params, concurrency, perSecond: round(r.count / (ms / 1000), 1), meanMs: round(r.meanMs, 1), cpuMsPerVerification: round(cpuMs / r.count, 2), foreignShare };
}

/** The better of several measures (other jobs only ever lower the rate), with each run's figures. */
export function bestBound(runs: Argon2Bound[]) {
  const best = runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  return {
    ...best,
    cpuMsPerVerification: Math.min(...runs.map((r) => r.cpuMsPerVerification)),
    cores: os.availableParallelism(),
    runs: runs.map((r) => ({ perSecond: r.perSecond, cpuMsPerVerification: r.cpuMsPerVerification, foreignShare: r.foreignShare })),
  };
}
