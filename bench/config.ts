/**
 * Every knob of `npm run bench`, in one place (environment variables; `--short` on the command
 * line is BENCH_SHORT=1), and the fixed names the run uses (clients, accounts, the password).
 *
 * BENCH_SHORT=1 (or `npm run bench -- --short`): every figure for a second or three with few
 *   users, for CI (test/bench/bench-short.test.ts); the figures are then a smoke test, not a measure.
 * BENCH_OUT=<dir>: where results.json and results.svg go (bench/ by default; the short mode's
 *   default is a temporary folder, so it never overwrites the committed figures).
 * Fixed-request loads (autocannon): BENCH_SECONDS (measured seconds per server and request type,
 *   8), BENCH_ROUNDS (4: slices those seconds are cut into, run in turn with the other servers),
 *   BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (16).
 * Sign-ins: BENCH_VUS (32: concurrent journeys of the closed loop), BENCH_SIGNIN_SECONDS (15),
 *   BENCH_SIGNIN_WARMUP_SECONDS (3), BENCH_USERS (200 accounts of each kind); the open loop:
 *   BENCH_RATE_FRACTION (0.5: its arrival rate as a share of the closed loop's sign-ins/s),
 *   BENCH_RATE_SECONDS (10), BENCH_RATE_WARMUP_SECONDS (2), BENCH_ARRIVALS=poisson|even.
 * Store counting: BENCH_COUNT_SIGNINS (40 sign-ins, one after the other, between two readings).
 * Worker processes: BENCH_WORKER_COUNTS (1,2,4: SESAM_WORKERS of the real server's runs),
 *   BENCH_WORKER_SECONDS (10 s of sign-ins and of client_credentials at each count).
 * The machine: BENCH_QUIET_WAIT_SECONDS (30: how long to wait for a machine busy with other jobs
 *   to calm down; 0 in the short mode).
 * Parts and experiments: BENCH_ONLY=<part,…> (a subset of PARTS, for profiling; a partial run
 *   prints its figures and writes no results), BENCH_CPU_PROF=<dir> (V8 CPU profiles of the
 *   server children), BENCH_NICE_THREADPOOL=<niceness>, BENCH_ARGON2_LIMIT=<n> (see serve.ts).
 * Stores: BENCH_DATABASE_URL (PostgreSQL admin URL; a fresh database is made per run),
 *   BENCH_REDIS_URL (a Redis to use; unset, the bench starts its own redis-server on a free port
 *   when one is installed, so that its command counts are the bench's alone, else uses db 15 of
 *   127.0.0.1:6379).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHORT = process.env.BENCH_SHORT === '1' || process.argv.includes('--short');

/** A number (0 or more) from the environment, else the full run's default, or the short run's in the short mode. */
function num(name: string, full: number, short = full): number {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(v) && v >= 0 ? v : SHORT ? short : full;
}

export const CONNECTIONS = num('BENCH_CONNECTIONS', 16, 8);
export const WARMUP_S = num('BENCH_WARMUP_SECONDS', 2, 0.5);
export const MEASURE_S = num('BENCH_SECONDS', 8, 1);
export const ROUNDS = Math.max(1, Math.round(num('BENCH_ROUNDS', 4, 1)));
export const VUS = Math.max(1, Math.round(num('BENCH_VUS', 32, 8)));
export const SIGNIN_WARMUP_S = num('BENCH_SIGNIN_WARMUP_SECONDS', 3, 1);
export const SIGNIN_S = num('BENCH_SIGNIN_SECONDS', 15, 2);
export const RATE_FRACTION = num('BENCH_RATE_FRACTION', 0.5);
export const RATE_S = num('BENCH_RATE_SECONDS', 10, 2);
export const RATE_WARMUP_S = num('BENCH_RATE_WARMUP_SECONDS', 2, 0.5);
export const ARRIVALS = (process.env.BENCH_ARRIVALS ?? 'poisson') as 'poisson' | 'even';
if (ARRIVALS !== 'poisson' && ARRIVALS !== 'even') throw new Error(`BENCH_ARRIVALS: poisson or even, not ${String(ARRIVALS)}`);
export const ARGON2_WARMUP_S = SHORT ? 0.3 : 1;
export const ARGON2_S = SHORT ? 1 : 5;
export const USERS = Math.max(1, Math.round(num('BENCH_USERS', 200, 16)));
export const COUNT_SIGNINS = Math.max(1, Math.round(num('BENCH_COUNT_SIGNINS', 40, 5)));
export const WORKER_COUNTS = (process.env.BENCH_WORKER_COUNTS ?? '1,2,4').split(',').map((s) => Math.round(Number(s.trim()))).filter((n) => n >= 1);
export const WORKER_S = num('BENCH_WORKER_SECONDS', 10, 2);
export const QUIET_WAIT_S = num('BENCH_QUIET_WAIT_SECONDS', 30, 0);

/** Every part of the run; BENCH_ONLY=signin,… runs a subset (for profiling). */
export const PARTS = ['client_credentials', 'discovery', 'refresh_token', 'introspection', 'userinfo', 'signin', 'passkey', 'store_counts', 'startup', 'workers'] as const;
export type Part = (typeof PARTS)[number];
export const ONLY = new Set((process.env.BENCH_ONLY ?? PARTS.join(',')).split(',').map((s) => s.trim()));
const unknownParts = [...ONLY].filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknownParts.length) throw new Error(`BENCH_ONLY: unknown part ${unknownParts.join(', ')} (choose among ${PARTS.join(', ')})`);
export const runs = (part: Part) => ONLY.has(part);
export const FULL_SET = PARTS.every((p) => ONLY.has(p));

export const CC_CLIENT = { id: 'bench-cc', secret: `bench-cc-${crypto.randomBytes(24).toString('hex')}` };
/** The confidential web app of the sign-ins, refresh, introspection and userinfo (client_secret_basic, like Sesam's apps with a backend). */
export const WEB_CLIENT = { id: 'bench-web', secret: `bench-web-${crypto.randomBytes(24).toString('hex')}`, redirectUri: 'http://127.0.0.1:1/cb', scope: 'openid profile email' };
export const PASSWORD = 'Bench-sign-in-Tr0mbone-Kayak-42';
export const login = (i: number) => `bench-user-${String(i).padStart(4, '0')}`;
/** The accounts of the passkey sign-ins: no password, one passkey each (stored before the load). */
export const passkeyLogin = (i: number) => `bench-pk-${String(i).padStart(4, '0')}`;

const BENCH_DIR = fileURLToPath(new URL('../../bench/', import.meta.url));
export const OUT_DIR = process.env.BENCH_OUT ?? (SHORT ? path.join(os.tmpdir(), 'sesam-bench-short') : BENCH_DIR);
export const RESULTS_JSON = path.join(OUT_DIR, 'results.json');
export const RESULTS_SVG = path.join(OUT_DIR, 'results.svg');

/** The settings of this run, as results.json records them. */
export const settings = () => ({
  short: SHORT,
  connections: CONNECTIONS,
  warmupSeconds: WARMUP_S,
  measuredSeconds: MEASURE_S,
  rounds: ROUNDS,
  virtualUsers: VUS,
  signInWarmupSeconds: SIGNIN_WARMUP_S,
  signInSeconds: SIGNIN_S,
  rateFraction: RATE_FRACTION,
  rateWarmupSeconds: RATE_WARMUP_S,
  rateSeconds: RATE_S,
  arrivals: ARRIVALS,
  users: USERS,
  countedSignIns: COUNT_SIGNINS,
  workerCounts: WORKER_COUNTS,
  workerSeconds: WORKER_S,
});
