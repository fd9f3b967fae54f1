/**
 * The sign-in loads, with any journey of journeys.ts. The closed loop: `vus` virtual users, each
 * starting its next sign-in when the last ends, for the throughput and the CPU per sign-in (its
 * per-step latencies are those of that many concurrent journeys on a saturated server, mostly
 * queueing). The open loop: sign-ins started at a fixed arrival rate, a fraction of the closed
 * loop's throughput, whatever the answers, for the per-step latency below saturation.
 */
import { ARRIVALS, RATE_FRACTION, RATE_S, RATE_WARMUP_S, SIGNIN_S, SIGNIN_WARMUP_S, USERS, VUS } from './config.js';
import { OPTIONAL_STEPS, SignInError, type AnyStep, type SignInStats, type Step } from './journeys.js';
import { latencyOf, round, sleep, type Latency } from './numbers.js';
import { cpuSnapshot, cpuSplit, type CpuSnapshot, type CpuSplit, type Measured } from './process-usage.js';

/** A server the loops sign in to. */
export type Target = Measured & { url: string };

export interface StepFigures extends Latency {
  count: number;
}

/** Per step, in `stepNames`' order; a step of OPTIONAL_STEPS that no sign-in took is left out. */
export type StepTable<S extends AnyStep> = Partial<Record<S, StepFigures>>;

/** The latency of each step over the requests that started at or after `from`. */
export function stepTable<S extends AnyStep>(stats: SignInStats, stepNames: readonly S[], from: number): StepTable<S> {
  const steps: StepTable<S> = {};
  for (const step of stepNames) {
    const ms = stats.samples.filter((x) => x.step === step && x.start >= from).map((x) => x.ms);
    if (!ms.length && OPTIONAL_STEPS.has(step)) continue;
    steps[step] = { count: ms.length, ...latencyOf(ms) };
  }
  return steps;
}

/** The worst p99 among `only` (all the steps of the table by default). */
export function worstP99<S extends AnyStep>(steps: StepTable<S>, only?: readonly S[]): number {
  const rows = Object.entries(steps) as [S, StepFigures][];
  return Math.max(...rows.filter(([step]) => !only || only.includes(step)).map(([, f]) => f.p99Ms));
}

export const failureFigures = (stats: SignInStats) => ({ failures: stats.failures.length, firstFailures: [...new Set(stats.failures.map((f) => f.message))].slice(0, 5) });

export type SignInOnce = (base: string, userIndex: number, stats: SignInStats) => Promise<unknown>;

export async function attempt(once: SignInOnce, base: string, user: number, stats: SignInStats): Promise<boolean> {
  try {
    await once(base, user, stats);
    return true;
  } catch (e) {
    const step = e instanceof SignInError ? e.step : 'authorize';
    stats.failures.push({ step, status: e instanceof SignInError ? e.status : 0, message: (e as Error).message });
    return false;
  }
}

/** The closed loop: its sign-ins/s are the throughput; its step latencies, a saturated server's. */
export interface SignInFigures<S extends AnyStep = Step> {
  virtualUsers: number;
  seconds: number;
  signIns: number;
  signInsPerSecond: number;
  failures: number;
  firstFailures: string[];
  steps: StepTable<S>;
  cpuPerSignIn?: CpuSplit;
}

/** How long the closed loop runs, and with how many concurrent journeys (the run's knobs by default). */
export interface ClosedLoopOptions {
  vus: number;
  warmupS: number;
  seconds: number;
}

/** `vus` virtual users signing in one after the other with `once` (users in turn), warm-up first. */
export async function signIns<S extends AnyStep>(server: Target, stepNames: readonly S[], once: SignInOnce, { vus, warmupS, seconds }: ClosedLoopOptions = { vus: VUS, warmupS: SIGNIN_WARMUP_S, seconds: SIGNIN_S }): Promise<SignInFigures<S>> {
  const stats: SignInStats = { completed: [], samples: [], failures: [] };
  let next = 0;
  const t0 = performance.now();
  const measureStart = t0 + warmupS * 1000;
  const end = measureStart + seconds * 1000;
  let cpuStart: CpuSnapshot | undefined;
  const cpuMark = (async () => {
    await sleep(warmupS * 1000);
    cpuStart = cpuSnapshot(server);
  })();
  const vu = async () => {
    while (performance.now() < end) {
      if (!(await attempt(once, server.url, next++ % USERS, stats))) await sleep(10);
    }
  };
  await Promise.all(Array.from({ length: vus }, vu));
  await cpuMark;
  const measured = stats.completed.filter((t) => t >= measureStart && t <= end).length;
  // CPU window: from the end of the warm-up to the last sign-in (all of them counted).
  const cpuEnd = cpuSnapshot(server);
  const cpuPerSignIn = cpuStart ? cpuSplit(cpuStart, cpuEnd, stats.completed.filter((t) => t >= measureStart).length, 2) : undefined;
  return {
    virtualUsers: vus,
    seconds: seconds,
    signIns: measured,
    signInsPerSecond: round(measured / seconds, 1),
    ...failureFigures(stats),
    steps: stepTable(stats, stepNames, measureStart),
    cpuPerSignIn,
  };
}

/** The open loop: sign-ins started at a fixed rate, each on its own, whatever the server's answers. */
export interface RateFigures<S extends AnyStep = Step> {
  loop: 'open';
  arrivals: 'poisson' | 'even';
  /** The rate, as a share of the closed loop's sign-ins/s (`of`). */
  fractionOfThroughput: number;
  of: number;
  ratePerSecond: number;
  warmupSeconds: number;
  seconds: number;
  /** Sign-ins started in the measured seconds, and how many of them completed. */
  started: number;
  signIns: number;
  signInsPerSecond: number;
  /** Over the warm-up too. */
  failures: number;
  firstFailures: string[];
  /** Most sign-ins under way at once. */
  maxInFlight: number;
  /** How late this process started the sign-ins against their schedule (a busy load generator would hide queueing). */
  startLagP99Ms: number;
  startLagMaxMs: number;
  /** A whole sign-in, first request to tokens. */
  signInMs: Omit<StepFigures, 'count'>;
  steps: StepTable<S>;
  cpuPerSignIn?: CpuSplit;
  /** Share of one core the server used (its JavaScript runs on one thread). */
  serverCoreShare?: number;
}

/**
 * Sign-ins with `once` started at `rate` per second (Poisson arrivals, or evenly spaced with
 * BENCH_ARRIVALS=even) for RATE_WARMUP_S + RATE_S seconds, users in turn; each runs alone, so a
 * slow answer delays no later arrival. Latency counts from the requests started after the warm-up.
 */
export async function signInsAtRate<S extends AnyStep>(server: Target, stepNames: readonly S[], once: SignInOnce, throughput: number): Promise<RateFigures<S>> {
  const rate = round(throughput * RATE_FRACTION, 1);
  if (!(rate > 0)) throw new Error(`open loop: no rate to run at (closed-loop throughput ${throughput}/s)`);
  const stats: SignInStats = { completed: [], samples: [], failures: [] };
  const gap = () => (ARRIVALS === 'even' ? 1000 / rate : (-Math.log(1 - Math.random()) * 1000) / rate);
  const t0 = performance.now();
  const measureStart = t0 + RATE_WARMUP_S * 1000;
  const end = measureStart + RATE_S * 1000;
  const inFlight = new Set<Promise<void>>();
  const lags: number[] = [];
  const durations: number[] = [];
  let maxInFlight = 0;
  let started = 0;
  let completed = 0;
  let cpuStart: CpuSnapshot | undefined;
  const cpuMark = (async () => {
    await sleep(RATE_WARMUP_S * 1000);
    cpuStart = cpuSnapshot(server);
  })();
  let user = 0;
  for (let at = t0 + gap(); at < end; at += gap()) {
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    const begin = performance.now();
    const measured = at >= measureStart;
    if (measured) {
      lags.push(begin - at);
      started++;
    }
    const run: Promise<void> = attempt(once, server.url, user++ % USERS, stats).then((ok) => {
      inFlight.delete(run);
      if (ok && measured) {
        completed++;
        durations.push(performance.now() - begin);
      }
    });
    inFlight.add(run);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
  }
  await Promise.all(inFlight);
  await cpuMark;
  const cpuEnd = cpuSnapshot(server);
  const cpuPerSignIn = cpuStart ? cpuSplit(cpuStart, cpuEnd, completed, 2) : undefined;
  const lag = latencyOf(lags);
  return {
    loop: 'open',
    arrivals: ARRIVALS,
    fractionOfThroughput: RATE_FRACTION,
    of: throughput,
    ratePerSecond: rate,
    warmupSeconds: RATE_WARMUP_S,
    seconds: RATE_S,
    started,
    signIns: completed,
    signInsPerSecond: round(completed / RATE_S, 1),
    ...failureFigures(stats),
    maxInFlight,
    startLagP99Ms: lag.p99Ms,
    startLagMaxMs: lag.maxMs,
    signInMs: latencyOf(durations),
    steps: stepTable(stats, stepNames, measureStart),
    cpuPerSignIn,
    serverCoreShare: cpuStart ? round((cpuEnd.server - cpuStart.server) / (cpuEnd.at - cpuStart.at), 2) : undefined,
  };
}

