/**
 * results.json: every figure of a run, its goals, the machine, and `headline`, the figures the
 * report, the chart and the short-mode test read, flat (name → number). Built from what run.ts
 * measured.
 */
import type { Argon2Bound } from './argon2-bound.js';
import type { LoadFigures } from './http-load.js';
import { FAST_STEPS, type PasskeyStep, type Step } from './journeys.js';
import { ratio, round } from './numbers.js';
import type { CpuSplit } from './process-usage.js';
import { worstP99, type RateFigures, type SignInFigures } from './sign-in-loops.js';
import type { StartupFigures } from './startup.js';
import type { StoreCounts } from './store-counts.js';
import { SCENARIOS, type Scenario } from './token-requests.js';
import type { WorkerRunFigures } from './workers.js';

export const SERVER_KEYS = ['bare', 'sesamRedis', 'embedded'] as const;
export type ServerKey = (typeof SERVER_KEYS)[number];

/** What run.ts measured (parts left out by BENCH_ONLY are missing). */
export interface RunFigures {
  loads: Partial<Record<Scenario, Record<ServerKey, LoadFigures>>>;
  argon2?: Argon2Bound & { cores: number; runs: { perSecond: number; cpuMsPerVerification: number; foreignShare?: number }[] };
  memory: { afterStart: Record<ServerKey, number>; underLoad?: Record<ServerKey, number> };
  signIn?: { closed: SignInFigures<Step>; open?: RateFigures<Step> };
  passkeySignIn?: { closed: SignInFigures<PasskeyStep>; open?: RateFigures<PasskeyStep> };
  storeCounts?: { passwordSignIn: StoreCounts; embeddedPasswordSignIn: StoreCounts; passkeySignIn?: StoreCounts; requests: Partial<Record<Scenario, StoreCounts>> };
  startup?: StartupFigures;
  workers?: WorkerRunFigures[];
}

/** The goals of issue 13: a ratio to bare oidc-provider at least this (PG+Redis, embedded). */
export const RATIO_GOALS: Partial<Record<Scenario, Partial<Record<ServerKey, number>>>> = {
  client_credentials: { sesamRedis: 0.8 },
  refresh_token: { sesamRedis: 0.6, embedded: 0.5 },
};
/** A sign-in's server CPU at most this many argon2id verifications' CPU. */
export const CPU_GOAL = 1.25;

export interface Meta {
  date: string;
  machine: { cpuModel: string; cores: number; ramGB: number; node: string; oidcProvider: string; argon2: string; busyBeforeRun?: number; redis: string };
  settings: Record<string, unknown>;
  totalSeconds: number;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`results: ${what} was not measured`);
  return value;
}

const disturbance = (what: string, cpu?: CpuSplit) => ({ what, foreignShare: cpu?.foreignShare ?? 0 });

export function buildResults(f: RunFigures, meta: Meta) {
  const argon2 = need(f.argon2, 'the argon2 bound');
  const signIn = need(f.signIn, 'the password sign-ins');
  const passkey = need(f.passkeySignIn, 'the passkey sign-ins');
  const counts = need(f.storeCounts, 'the store counts');
  const startup = need(f.startup, 'the start-up times');
  const workers = need(f.workers, 'the worker runs');
  const underLoad = need(f.memory.underLoad, 'the memory under load');

  const protocol = Object.fromEntries(
    SCENARIOS.map((sc) => {
      const l = need(f.loads[sc], sc);
      const against = (k: 'sesamRedis' | 'embedded') => {
        const goal = RATIO_GOALS[sc]?.[k];
        const r = ratio(l[k].rps, l.bare.rps);
        return { ...l[k], ratio: r, cpuRatio: round(l.bare.cpu.serverMs / l[k].cpu.serverMs, 2), ...(goal !== undefined && { goal: `ratio >= ${goal}`, goalMet: r >= goal }) };
      };
      return [sc, { bare: l.bare, sesamRedis: against('sesamRedis'), embedded: against('embedded') }];
    }),
  ) as Record<Scenario, { bare: LoadFigures; sesamRedis: LoadFigures & { ratio: number; cpuRatio: number; goal?: string; goalMet?: boolean }; embedded: LoadFigures & { ratio: number; cpuRatio: number; goal?: string; goalMet?: boolean } }>;

  const c = signIn.closed.cpuPerSignIn;
  const serverMs = need(c, 'the CPU per sign-in').serverMs;
  const serverToArgon2 = round(serverMs / argon2.cpuMsPerVerification, 2);
  const cpuVsArgon2 = {
    serverCpuMsPerSignIn: serverMs,
    argon2CpuMsPerVerification: argon2.cpuMsPerVerification,
    serverToArgon2,
    goal: `serverToArgon2 <= ${CPU_GOAL}`,
    goalMet: serverToArgon2 <= CPU_GOAL,
    /** PostgreSQL's and Redis's CPU added: what the deployment spends per sign-in. */
    storesCpuMsPerSignIn: c?.storesMs,
    withStoresToArgon2: c?.storesMs === undefined ? undefined : round((serverMs + c.storesMs) / argon2.cpuMsPerVerification, 2),
    loadGeneratorCpuMsPerSignIn: c?.loadMs,
  };
  const memory = Object.fromEntries(SERVER_KEYS.map((k) => [k, { afterStartMB: f.memory.afterStart[k], underLoadMB: underLoad[k] }])) as Record<ServerKey, { afterStartMB: number; underLoadMB: number }>;

  const headline: Record<string, number> = {};
  for (const sc of SCENARIOS) {
    for (const k of SERVER_KEYS) headline[`${sc}.${k}.perSecond`] = protocol[sc][k].rps;
    headline[`${sc}.sesamRedis.ratio`] = protocol[sc].sesamRedis.ratio;
    headline[`${sc}.embedded.ratio`] = protocol[sc].embedded.ratio;
  }
  headline['signIn.perSecond'] = signIn.closed.signInsPerSecond;
  headline['signIn.argon2BoundPerSecond'] = argon2.perSecond;
  headline['signIn.ratioToArgon2Bound'] = ratio(signIn.closed.signInsPerSecond, argon2.perSecond);
  headline['signIn.serverCpuMs'] = serverMs;
  headline['signIn.argon2CpuMs'] = argon2.cpuMsPerVerification;
  headline['signIn.serverCpuToArgon2'] = serverToArgon2;
  for (const [step, st] of Object.entries(signIn.closed.steps)) {
    headline[`signIn.steps.${step}.p50Ms`] = st.p50Ms;
    headline[`signIn.steps.${step}.p99Ms`] = st.p99Ms;
  }
  headline['passkeySignIn.perSecond'] = passkey.closed.signInsPerSecond;
  headline['storeCounts.signIn.redisCommands'] = counts.passwordSignIn.redisCommands ?? NaN;
  headline['storeCounts.signIn.sqlStatements'] = counts.passwordSignIn.sqlStatements;
  headline['storeCounts.embeddedSignIn.sqlStatements'] = counts.embeddedPasswordSignIn.sqlStatements;
  for (const k of ['sesamRedis', 'embedded'] as const) {
    headline[`memory.${k}.afterStartMB`] = memory[k].afterStartMB;
    headline[`memory.${k}.underLoadMB`] = memory[k].underLoadMB;
  }
  for (const [k, s] of Object.entries(startup)) {
    headline[`startup.${k}.readyMs`] = s.readyMs;
    headline[`startup.${k}.idleRssMB`] = s.idleRssMB;
  }
  for (const w of workers) {
    headline[`workers.${w.workers}.processes`] = w.processes;
    headline[`workers.${w.workers}.signInsPerSecond`] = w.signInsPerSecond;
    headline[`workers.${w.workers}.clientCredentialsPerSecond`] = w.clientCredentialsPerSecond;
    headline[`workers.${w.workers}.idleRssMB`] = w.idleRssMB;
    headline[`workers.${w.workers}.loadRssMB`] = w.loadRssMB;
  }

  const disturbedBy = [
    ...SCENARIOS.flatMap((sc) => SERVER_KEYS.map((k) => ({ what: `${sc} ${k} (even its quietest slice)`, foreignShare: Math.min(...protocol[sc][k].slices.map((x) => x.foreignShare ?? 0)) }))),
    disturbance('password sign-ins', c),
    disturbance('password sign-ins at a fixed rate', signIn.open?.cpuPerSignIn),
    disturbance('passkey sign-ins', passkey.closed.cpuPerSignIn),
    { what: 'the argon2 bound', foreignShare: argon2.foreignShare ?? 0 },
  ].filter((d) => d.foreignShare > 0.05);

  return {
    ...meta,
    headline,
    protocol,
    signIn: {
      concurrentJourneys: signIn.closed,
      argon2,
      ratioToArgon2Bound: headline['signIn.ratioToArgon2Bound'],
      cpuVsArgon2,
      fastStepsWorstP99Ms: worstP99(signIn.closed.steps, FAST_STEPS),
      openLoop: signIn.open && { ...signIn.open, fastStepsWorstP99Ms: worstP99(signIn.open.steps, FAST_STEPS) },
    },
    passkeySignIn: {
      concurrentJourneys: passkey.closed,
      openLoop: passkey.open && { ...passkey.open, worstStepP99Ms: worstP99(passkey.open.steps) },
    },
    storeCounts: counts,
    memory,
    startup,
    workers,
    disturbedBy,
  };
}

export type Results = ReturnType<typeof buildResults>;
