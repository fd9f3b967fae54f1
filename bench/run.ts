/**
 * `npm run bench`: one run on this machine measures
 *   1. client_credentials grants/s and 2. discovery requests/s for bare oidc-provider, Sesam on
 *      PostgreSQL + Redis and embedded Sesam (PGlite, no Redis), with autocannon;
 *   3. full password sign-ins/s over HTTP on Sesam PostgreSQL + Redis, beside the raw argon2id
 *      verification rate with Sesam's parameters at the same concurrency, with per-step latency.
 * Each server runs in a child process (serve.ts); the load comes from this process. Figures go
 * to stdout and to bench/results.json.
 *
 * Knobs (environment): BENCH_SECONDS (measured seconds per server and request type, 8),
 * BENCH_ROUNDS (4: slices those seconds are cut into), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (16), BENCH_SIGNIN_SECONDS (15),
 * BENCH_SIGNIN_WARMUP_SECONDS (3), BENCH_VUS (8), BENCH_USERS (200), BENCH_QUIET_WAIT_SECONDS (30:
 * how long to wait for a machine busy with other jobs to calm down), BENCH_CPU_PROF=<dir>
 * (V8 CPU profiles of the server children), BENCH_ONLY=signin|client_credentials|discovery (a
 * comma-separated subset, for profiling), BENCH_NICE_THREADPOOL=<niceness> (experiment: argon2's
 * threads at a lower priority in the server child, see serve.ts), BENCH_ARGON2_LIMIT=<n> (experiment:
 * at most n argon2 operations at a time in the server child), BENCH_DATABASE_URL, BENCH_REDIS_URL.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import argon2 from 'argon2';
import { loadSettings } from '../config/settings.js';
import { createBenchDatabase, flushRedis, forkServer, freePort, tmpDir, REDIS_URL, type ForkedServer } from './servers.js';

const require = createRequire(import.meta.url);

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const CONNECTIONS = num('BENCH_CONNECTIONS', 16);
const WARMUP_S = num('BENCH_WARMUP_SECONDS', 2);
const MEASURE_S = num('BENCH_SECONDS', 8);
const ROUNDS = Math.round(num('BENCH_ROUNDS', 4));
const VUS = num('BENCH_VUS', 8);
const SIGNIN_WARMUP_S = num('BENCH_SIGNIN_WARMUP_SECONDS', 3);
const SIGNIN_S = num('BENCH_SIGNIN_SECONDS', 15);
const ARGON2_WARMUP_S = 1;
const ARGON2_S = 5;
const USERS = Math.round(num('BENCH_USERS', 200));
const QUIET_WAIT_S = num('BENCH_QUIET_WAIT_SECONDS', 30);
/** For profiling one part: BENCH_ONLY=signin (or client_credentials, discovery; comma-separated). */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'client_credentials,discovery,signin').split(',').map((s) => s.trim()));

const CC_CLIENT = { id: 'bench-cc', secret: `bench-cc-${crypto.randomBytes(24).toString('hex')}` };
const WEB_CLIENT = { id: 'bench-web', secret: `bench-web-${crypto.randomBytes(24).toString('hex')}`, redirectUri: 'http://127.0.0.1:1/cb' };
const PASSWORD = 'Bench-sign-in-Tr0mbone-Kayak-42';
const login = (i: number) => `bench-user-${String(i).padStart(4, '0')}`;

const RESULTS_FILE = fileURLToPath(new URL('../../bench/results.json', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const b64url = (buf: Buffer) => buf.toString('base64url');
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Busy CPU time of the whole machine so far (ms), from /proc/stat; undefined elsewhere. */
function machineBusyMs(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = f[3] + (f[4] ?? 0);
    return ((total - idle) * 1000) / 100; // USER_HZ = 100
  } catch {
    return undefined;
  }
}

/** CPU time so far (ms) of each PostgreSQL and Redis server process, by pid, from /proc; undefined elsewhere. */
function storesCpuMs(): Map<string, number> | undefined {
  try {
    const byPid = new Map<string, number>();
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== 'postgres' && !comm.startsWith('redis-server')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byPid.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100); // utime + stime, USER_HZ = 100
    }
    return byPid;
  } catch {
    return undefined;
  }
}

/** CPU the stores used between two readings (processes that ended meanwhile are not counted). */
function storesDelta(a?: Map<string, number>, b?: Map<string, number>): number | undefined {
  if (!a || !b) return undefined;
  let ms = 0;
  for (const [pid, v] of b) ms += v - (a.get(pid) ?? 0);
  return ms;
}

const parentCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Where the CPU went, per operation (ms): the server child, this process (the load), the
 * PostgreSQL and Redis processes, and everything else on the machine ("foreign": other jobs;
 * it should be near 0, else the figures are disturbed).
 */
interface CpuSplit {
  serverMs: number;
  loadMs: number;
  storesMs?: number;
  foreignMs?: number;
  /** Share of the machine's CPUs busy during the run, and the foreign part of it. */
  machineBusy?: number;
  foreignShare?: number;
}

interface CpuSnapshot {
  at: number;
  server: number;
  load: number;
  stores?: Map<string, number>;
  machine?: number;
}

async function cpuSnapshot(server: ForkedServer): Promise<CpuSnapshot> {
  return { at: performance.now(), server: await server.cpuMs(), load: parentCpuMs(), stores: storesCpuMs(), machine: machineBusyMs() };
}

function cpuSplit(a: CpuSnapshot, b: CpuSnapshot, operations: number, digits = 3): CpuSplit {
  const ops = Math.max(operations, 1);
  const server = b.server - a.server;
  const load = b.load - a.load;
  const split: CpuSplit = { serverMs: round(server / ops, digits), loadMs: round(load / ops, digits) };
  const stores = storesDelta(a.stores, b.stores);
  if (stores !== undefined) split.storesMs = round(stores / ops, digits);
  if (a.machine !== undefined && b.machine !== undefined) {
    const busy = b.machine - a.machine;
    const capacity = (b.at - a.at) * os.availableParallelism();
    const foreign = Math.max(0, busy - server - load - (stores ?? 0));
    split.foreignMs = round(foreign / ops, digits);
    split.machineBusy = round(busy / capacity, 2);
    split.foreignShare = round(foreign / capacity, 2);
  }
  return split;
}

/** Runs `work` and splits the CPU time it cost per operation. */
async function withCpu<T>(server: ForkedServer, work: () => Promise<{ result: T; operations: number }>): Promise<{ result: T; cpu: CpuSplit }> {
  const a = await cpuSnapshot(server);
  const { result, operations } = await work();
  const b = await cpuSnapshot(server);
  return { result, cpu: cpuSplit(a, b, operations) };
}

/** The machine's busy share over `ms` before the run (others' jobs disturb the figures). */
async function idleCheck(ms = 1000): Promise<number | undefined> {
  const a = machineBusyMs();
  await sleep(ms);
  const b = machineBusyMs();
  return a === undefined || b === undefined ? undefined : round((b - a) / (ms * os.availableParallelism()), 2);
}

// ---------------------------------------------------------------------------------------------
// Fixed-request loads (autocannon)
// ---------------------------------------------------------------------------------------------

interface SliceFigures {
  rps: number;
  requests: number;
  seconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  cpu: CpuSplit;
}

/**
 * One server's figures for one request type: the measured time is cut into ROUNDS slices run
 * in turn with the other servers, so a burst of other work on the machine hits every server
 * alike; `rps` and the latencies are those of the best slice (other jobs only ever lower a
 * figure), `meanRps` is over all slices, `cpu` is per request over all slices.
 */
interface LoadFigures extends SliceFigures {
  meanRps: number;
  slices: { rps: number; foreignShare?: number }[];
}

interface RequestSpec {
  path: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

const ccRequest: RequestSpec = {
  path: '/token',
  method: 'POST',
  headers: { authorization: basic(CC_CLIENT.id, CC_CLIENT.secret), 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
};
const discoveryRequest: RequestSpec = { path: '/.well-known/openid-configuration', method: 'GET' };

/** One request by hand first, so a misconfiguration stops the run with its answer. */
async function sanityCheck(server: ForkedServer, spec: RequestSpec, check: (status: number, body: string) => boolean): Promise<void> {
  const res = await fetch(server.url + spec.path, { method: spec.method, headers: spec.headers, body: spec.body });
  const body = await res.text();
  if (!check(res.status, body)) throw new Error(`${server.name} ${spec.method} ${spec.path}: unexpected answer ${res.status} ${body.slice(0, 300)}`);
}

const autocannonOptions = (server: ForkedServer, spec: RequestSpec) => ({
  url: server.url + spec.path,
  method: spec.method,
  headers: spec.headers,
  body: spec.body,
  connections: CONNECTIONS,
  pipelining: 1,
  timeout: 10,
});

async function warmUp(server: ForkedServer, spec: RequestSpec): Promise<void> {
  await autocannon({ ...autocannonOptions(server, spec), duration: WARMUP_S });
}

async function slice(server: ForkedServer, spec: RequestSpec, seconds: number): Promise<SliceFigures> {
  const { result: r, cpu } = await withCpu(server, async () => {
    const result = await autocannon({ ...autocannonOptions(server, spec), duration: seconds });
    return { result, operations: result['2xx'] };
  });
  return {
    rps: round(r['2xx'] / r.duration, 0),
    requests: r['2xx'],
    seconds: r.duration,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    cpu,
  };
}

function summarize(slices: SliceFigures[]): LoadFigures {
  const best = slices.reduce((a, b) => (b.rps > a.rps ? b : a));
  const requests = slices.reduce((n, x) => n + x.requests, 0);
  const seconds = slices.reduce((n, x) => n + x.seconds, 0);
  const weighted = (pick: (c: CpuSplit) => number | undefined, by: (x: SliceFigures) => number, total: number, digits: number) => {
    if (slices.some((x) => pick(x.cpu) === undefined)) return undefined;
    return round(slices.reduce((n, x) => n + pick(x.cpu)! * by(x), 0) / Math.max(total, 1e-9), digits);
  };
  const perRequest = (pick: (c: CpuSplit) => number | undefined) => weighted(pick, (x) => x.requests, requests, 3);
  const perTime = (pick: (c: CpuSplit) => number | undefined) => weighted(pick, (x) => x.seconds, seconds, 2);
  return {
    rps: best.rps,
    meanRps: round(requests / seconds, 0),
    requests,
    seconds: round(seconds, 2),
    latencyP50Ms: best.latencyP50Ms,
    latencyP99Ms: best.latencyP99Ms,
    non2xx: slices.reduce((n, x) => n + x.non2xx, 0),
    errors: slices.reduce((n, x) => n + x.errors, 0),
    cpu: {
      serverMs: perRequest((c) => c.serverMs)!,
      loadMs: perRequest((c) => c.loadMs)!,
      storesMs: perRequest((c) => c.storesMs),
      foreignMs: perRequest((c) => c.foreignMs),
      machineBusy: perTime((c) => c.machineBusy),
      foreignShare: perTime((c) => c.foreignShare),
    },
    slices: slices.map((x) => ({ rps: x.rps, foreignShare: x.cpu.foreignShare })),
  };
}

// ---------------------------------------------------------------------------------------------
// Password sign-ins (own loop with fetch, manual redirects, a cookie jar per virtual user)
// ---------------------------------------------------------------------------------------------

const STEPS = ['authorize', 'identifier GET', 'identifier POST', 'password GET', 'password POST', 'resume', 'token'] as const;
type Step = (typeof STEPS)[number];
/** The steps that do not hash a password (goal: p99 < 25 ms). */
const FAST_STEPS: Step[] = ['authorize', 'identifier GET', 'identifier POST', 'password GET', 'resume', 'token'];

class CookieJar {
  private cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k, v = ''] = a.split('=').map((s) => s.trim());
        if (/^max-age$/i.test(k)) return Number(v) <= 0;
        if (/^expires$/i.test(k)) return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

class SignInError extends Error {
  constructor(
    readonly step: Step,
    readonly status: number,
    detail: string,
  ) {
    super(`${step}: ${status} ${detail}`);
  }
}

interface Sample {
  step: Step;
  start: number;
  ms: number;
}

interface SignInStats {
  completed: number[]; // completion times (performance.now)
  samples: Sample[];
  failures: { step: Step; status: number; message: string }[];
}

async function signInOnce(base: string, userIndex: number, stats: SignInStats): Promise<void> {
  const jar = new CookieJar();
  const request = async (step: Step, url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const cookie = jar.header();
    if (cookie) headers.set('cookie', cookie);
    const start = performance.now();
    const res = await fetch(new URL(url, base), { ...init, headers, redirect: 'manual' });
    const body = await res.text();
    const ms = performance.now() - start;
    jar.store(res);
    stats.samples.push({ step, start, ms });
    const location = res.headers.get('location');
    return { status: res.status, body, location: location ? new URL(location, base) : undefined };
  };
  const expectRedirect = (step: Step, r: { status: number; body: string; location?: URL }, pathPrefix: string): URL => {
    if (![302, 303].includes(r.status) || !r.location) throw new SignInError(step, r.status, r.body.slice(0, 200));
    if (!r.location.href.startsWith(pathPrefix) && !r.location.pathname.startsWith(pathPrefix)) throw new SignInError(step, r.status, `redirected to ${r.location.href}`);
    return r.location;
  };
  const expectPage = (step: Step, r: { status: number; body: string }, action: string) => {
    if (r.status !== 200 || !r.body.includes(action)) throw new SignInError(step, r.status, `no form ${action}: ${r.body.slice(0, 200)}`);
  };

  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
  const state = b64url(crypto.randomBytes(12));
  const auth = new URLSearchParams({
    client_id: WEB_CLIENT.id,
    response_type: 'code',
    redirect_uri: WEB_CLIENT.redirectUri,
    scope: 'openid profile email',
    state,
    nonce: b64url(crypto.randomBytes(12)),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  const interaction = expectRedirect('authorize', await request('authorize', `/auth?${auth}`), '/interaction/');
  const uid = interaction.pathname.split('/')[2];
  const identifierPage = await request('identifier GET', interaction.pathname);
  expectPage('identifier GET', identifierPage, `/interaction/${uid}/identifier`);
  // Every journey form carries its CSRF token back, as a browser does.
  const csrf = /name="csrf" value="([^"]+)"/.exec(identifierPage.body)?.[1] ?? '';
  const afterIdentifier = await request('identifier POST', `/interaction/${uid}/identifier`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ csrf, identifier: login(userIndex) }).toString(),
  });
  expectRedirect('identifier POST', afterIdentifier, `/interaction/${uid}`);
  expectPage('password GET', await request('password GET', `/interaction/${uid}`), `/interaction/${uid}/password`);
  const afterPassword = await request('password POST', `/interaction/${uid}/password`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ csrf, username: login(userIndex), password: PASSWORD, remember: 'on' }).toString(),
  });
  const resume = expectRedirect('password POST', afterPassword, '/auth/');
  const callback = expectRedirect('resume', await request('resume', resume.pathname + resume.search), WEB_CLIENT.redirectUri);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new SignInError('resume', 303, `bad callback ${callback.href}`);
  const token = await request('token', '/token', {
    method: 'POST',
    headers: { ...form, authorization: basic(WEB_CLIENT.id, WEB_CLIENT.secret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB_CLIENT.redirectUri, code_verifier: verifier }).toString(),
  });
  if (token.status !== 200) throw new SignInError('token', token.status, token.body.slice(0, 200));
  const tokens = JSON.parse(token.body) as { access_token?: string; id_token?: string };
  if (!tokens.access_token || !tokens.id_token) throw new SignInError('token', token.status, `no tokens: ${token.body.slice(0, 200)}`);
  stats.completed.push(performance.now());
}

interface SignInFigures {
  virtualUsers: number;
  seconds: number;
  signIns: number;
  signInsPerSecond: number;
  failures: number;
  firstFailures: string[];
  steps: Record<Step, { count: number; p50Ms: number; p99Ms: number; maxMs: number }>;
  cpuPerSignIn?: CpuSplit;
}

async function signIns(server: ForkedServer): Promise<SignInFigures> {
  const stats: SignInStats = { completed: [], samples: [], failures: [] };
  let next = 0;
  const t0 = performance.now();
  const measureStart = t0 + SIGNIN_WARMUP_S * 1000;
  const end = measureStart + SIGNIN_S * 1000;
  let cpuStart: CpuSnapshot | undefined;
  const cpuMark = (async () => {
    await sleep(SIGNIN_WARMUP_S * 1000);
    cpuStart = await cpuSnapshot(server);
  })();
  const vu = async () => {
    while (performance.now() < end) {
      const user = next++ % USERS;
      try {
        await signInOnce(server.url, user, stats);
      } catch (e) {
        const step = e instanceof SignInError ? e.step : 'authorize';
        stats.failures.push({ step, status: e instanceof SignInError ? e.status : 0, message: (e as Error).message });
        await sleep(10);
      }
    }
  };
  await Promise.all(Array.from({ length: VUS }, vu));
  await cpuMark;
  const measured = stats.completed.filter((t) => t >= measureStart && t <= end).length;
  // CPU window: from the end of the warm-up to the last sign-in (all of them counted).
  const cpuEnd = await cpuSnapshot(server);
  const cpuPerSignIn = cpuStart ? cpuSplit(cpuStart, cpuEnd, stats.completed.filter((t) => t >= measureStart).length, 2) : undefined;
  const steps = {} as SignInFigures['steps'];
  for (const step of STEPS) {
    const ms = stats.samples
      .filter((s) => s.step === step && s.start >= measureStart)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    steps[step] = { count: ms.length, p50Ms: round(percentile(ms, 0.5), 2), p99Ms: round(percentile(ms, 0.99), 2), maxMs: round(ms[ms.length - 1] ?? NaN, 2) };
  }
  return {
    virtualUsers: VUS,
    seconds: SIGNIN_S,
    signIns: measured,
    signInsPerSecond: round(measured / SIGNIN_S, 1),
    failures: stats.failures.length,
    firstFailures: [...new Set(stats.failures.map((f) => f.message))].slice(0, 5),
    steps,
    cpuPerSignIn,
  };
}

/** argon2.verify of a hash made with Sesam's parameters, VUS at a time, in this process, alone. */
async function argon2Bound(): Promise<{
  params: { memoryCost: number; timeCost: number; parallelism: number };
  concurrency: number;
  perSecond: number;
  meanMs: number;
  /** CPU time one verification costs (all threads of this process): hardly moved by other jobs. */
  cpuMsPerVerification: number;
  /** Share of the machine other processes used meanwhile (should be ~0). */
  foreignShare?: number;
}> {
  const params = { ...loadSettings({}).argon2 };
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...params });
  if (!(await argon2.verify(hash, PASSWORD))) throw new Error('argon2 verify failed');
  const run = async (seconds: number) => {
    const start = performance.now();
    const end = start + seconds * 1000;
    let count = 0;
    let total = 0;
    await Promise.all(
      Array.from({ length: VUS }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          await argon2.verify(hash, PASSWORD);
          total += performance.now() - t;
          count++;
        }
      }),
    );
    return { count, seconds: (performance.now() - start) / 1000, meanMs: total / count };
  };
  await run(ARGON2_WARMUP_S);
  const m0 = machineBusyMs();
  const p0 = parentCpuMs();
  const r = await run(ARGON2_S);
  const m1 = machineBusyMs();
  const p1 = parentCpuMs();
  const foreignShare = m0 === undefined || m1 === undefined ? undefined : round(Math.max(0, m1 - m0 - (p1 - p0)) / (r.seconds * 1000 * os.availableParallelism()), 2);
  return { params, concurrency: VUS, perSecond: round(r.count / r.seconds, 1), meanMs: round(r.meanMs, 1), cpuMsPerVerification: round((p1 - p0) / r.count, 2), foreignShare };
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

function importFile(withUsers: boolean) {
  return {
    tenants: [{ id: 'bench', name: 'Bench' }],
    users: withUsers
      ? Array.from({ length: USERS }, (_, i) => ({ login: login(i), email: `${login(i)}@bench.example`, password: PASSWORD, tenants: ['bench'], mustChangePassword: false }))
      : [],
    clients: [
      { client_id: CC_CLIENT.id, client_secret: CC_CLIENT.secret, redirect_uris: [], grant_types: ['client_credentials'], first_party: true },
      {
        client_id: WEB_CLIENT.id,
        client_secret: WEB_CLIENT.secret,
        redirect_uris: [WEB_CLIENT.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        first_party: true,
        scope: 'openid profile email',
      },
    ],
  };
}

async function sesamEnv(dataDir: string, withUsers: boolean, extra: Record<string, string>): Promise<Record<string, string>> {
  const port = await freePort();
  const file = path.join(dataDir, 'bench-import.json');
  fs.writeFileSync(file, JSON.stringify(importFile(withUsers)));
  return { PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, SESAM_DATA_DIR: dataDir, SESAM_IMPORT: file, LOG_LEVEL: 'silent', ...extra };
}

const ratio = (v: number, bare: number) => (bare > 0 ? round(v / bare, 2) : NaN);
const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

async function main(): Promise<void> {
  const started = Date.now();
  const cleanups: (() => Promise<void>)[] = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  try {
    // Other jobs on the machine distort every figure: wait up to QUIET_WAIT_S for it to be idle.
    let busyBefore = await idleCheck();
    for (let waited = 0; busyBefore !== undefined && busyBefore > 0.1 && waited < QUIET_WAIT_S; waited++) {
      if (waited === 0) log(`the machine is ${Math.round(busyBefore * 100)}% busy with other jobs; waiting up to ${QUIET_WAIT_S} s for it to calm down`);
      busyBefore = await idleCheck();
    }
    if (busyBefore !== undefined && busyBefore > 0.1) log(`warning: the machine is still ${Math.round(busyBefore * 100)}% busy; figures will be low and noisy`);
    log('preparing stores (PostgreSQL database, Redis db 15, data folders)');
    const database = await createBenchDatabase();
    cleanups.push(() => database.drop());
    await flushRedis();
    cleanups.push(() => flushRedis());
    const pgDir = tmpDir();
    const embeddedDir = tmpDir();
    cleanups.push(async () => {
      fs.rmSync(pgDir, { recursive: true, force: true });
      fs.rmSync(embeddedDir, { recursive: true, force: true });
    });

    log(`starting the three servers (Sesam PG+Redis imports ${USERS} users: one argon2 hash each)`);
    const barePort = await freePort();
    const starts = await Promise.allSettled([
      forkServer('bare', 'bare', { PORT: String(barePort), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${barePort}`, BENCH_CC_CLIENT_ID: CC_CLIENT.id, BENCH_CC_CLIENT_SECRET: CC_CLIENT.secret }),
      sesamEnv(pgDir, true, { DATABASE_URL: database.url, REDIS_URL }).then((env) => forkServer('sesam-redis', 'sesam', env)),
      sesamEnv(embeddedDir, false, {}).then((env) => forkServer('sesam-embedded', 'sesam', env)),
    ]);
    for (const s of starts) if (s.status === 'fulfilled') cleanups.push(() => s.value.stop());
    const failed = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [bare, sesamRedis, embedded] = starts.map((s) => (s as PromiseFulfilledResult<ForkedServer>).value);
    const servers = { bare, sesamRedis, embedded };
    log(`servers up in ${((Date.now() - started) / 1000).toFixed(1)} s: bare ${bare.url}, sesam+redis ${sesamRedis.url}, embedded ${embedded.url}`);

    for (const s of Object.values(servers)) {
      await sanityCheck(s, ccRequest, (status, body) => status === 200 && body.includes('access_token'));
      await sanityCheck(s, discoveryRequest, (status, body) => status === 200 && body.includes('"issuer"'));
    }

    // The argon2 bound is measured twice (now, and just before the sign-ins) and the better kept:
    // other jobs on the machine can only lower it.
    log(`argon2id bound: ${VUS} concurrent verifications for ${ARGON2_S} s`);
    const argonRuns = [await argon2Bound()];

    type ServerKey = keyof typeof servers;
    const keys = Object.keys(servers) as ServerKey[];
    const loads: Record<'client_credentials' | 'discovery', Record<ServerKey, LoadFigures>> = {
      client_credentials: {} as Record<ServerKey, LoadFigures>,
      discovery: {} as Record<ServerKey, LoadFigures>,
    };
    const sliceSeconds = MEASURE_S / ROUNDS;
    for (const [scenario, spec] of [
      ['client_credentials', ccRequest],
      ['discovery', discoveryRequest],
    ] as const) {
      if (!ONLY.has(scenario)) continue;
      log(`${scenario}: ${WARMUP_S} s warm-up per server, then ${ROUNDS} rounds of ${sliceSeconds} s per server in turn, ${CONNECTIONS} connections`);
      for (const key of keys) await warmUp(servers[key], spec);
      const slices = Object.fromEntries(keys.map((k) => [k, [] as SliceFigures[]])) as Record<ServerKey, SliceFigures[]>;
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < keys.length; i++) {
          const key = keys[(i + r) % keys.length]; // a different server goes first each round
          slices[key].push(await slice(servers[key], spec, sliceSeconds));
        }
      }
      for (const key of keys) loads[scenario][key] = summarize(slices[key]);
    }

    log(`argon2id bound again: ${VUS} concurrent verifications for ${ARGON2_S} s`);
    argonRuns.push(await argon2Bound());
    const argon = { ...argonRuns.reduce((a, b) => (b.perSecond > a.perSecond ? b : a)), runs: argonRuns.map((r) => ({ perSecond: r.perSecond, cpuMsPerVerification: r.cpuMsPerVerification, foreignShare: r.foreignShare })) };

    let signIn: SignInFigures | undefined;
    const memory: Record<string, Record<string, { rssMB: number; heapUsedMB: number }>> = { afterLoads: {}, afterSignIns: {} };
    for (const key of keys) memory.afterLoads[servers[key].name] = await servers[key].memory();
    if (ONLY.has('signin')) {
      log(`sign-ins on sesam+redis: ${VUS} virtual users, ${SIGNIN_WARMUP_S} s warm-up + ${SIGNIN_S} s`);
      signIn = await signIns(sesamRedis);
      memory.afterSignIns[sesamRedis.name] = await sesamRedis.memory();
    }

    await cleanup();

    if (ONLY.size < 3 || !signIn) {
      // A partial run (BENCH_ONLY): raw figures on stdout, results.json left alone.
      console.log(JSON.stringify({ argon2: argon, loads, signIn, memory }, null, 2));
      return;
    }

    // ---- report ----
    const pkg = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
    const cores = os.availableParallelism();
    // CPU-based estimates: CPU time per operation hardly moves when other jobs share the machine,
    // so these ratios stay stable where the wall-clock figures above swing.
    const argon2CpuMs = Math.min(...argonRuns.map((r) => r.cpuMsPerVerification));
    const cc = loads.client_credentials;
    const disco = loads.discovery;
    const cpuRatio = (bare: LoadFigures, x: LoadFigures) => round(bare.cpu.serverMs / x.cpu.serverMs, 2);
    const c = signIn.cpuPerSignIn;
    const signInCpu = c ? c.serverMs + (c.storesMs ?? 0) : undefined;
    const cpuEstimate =
      c && signInCpu
        ? {
            argon2BoundPerSecond: round((1000 * cores) / argon2CpuMs, 1),
            signInsPerSecond: round((1000 * cores) / (signInCpu + c.loadMs), 1),
            ratio: round(argon2CpuMs / (signInCpu + c.loadMs), 2),
            withoutLoadGenerator: { signInsPerSecond: round((1000 * cores) / signInCpu, 1), ratio: round(argon2CpuMs / signInCpu, 2) },
            serverCpuMsBesidesArgon2: round(c.serverMs - argon2CpuMs, 1),
          }
        : undefined;
    const disturbed = [
      ...(['client_credentials', 'discovery'] as const).flatMap((sc) =>
        keys.map((k) => [`${sc} ${servers[k].name} (even its quietest slice)`, Math.min(...loads[sc][k].slices.map((x) => x.foreignShare ?? 0))] as const),
      ),
      ['sign-ins', c?.foreignShare] as const,
      ['the argon2 bound', argon.foreignShare] as const,
    ].filter(([, share]) => (share ?? 0) > 0.05);
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: cores, cpuModel: os.cpus()[0]?.model, node: process.version, oidcProvider: pkg('oidc-provider'), argon2: pkg('argon2'), busyBeforeRun: busyBefore },
      settings: { connections: CONNECTIONS, warmupSeconds: WARMUP_S, measuredSeconds: MEASURE_S, virtualUsers: VUS, signInWarmupSeconds: SIGNIN_WARMUP_S, signInSeconds: SIGNIN_S, users: USERS },
      client_credentials: {
        bare: cc.bare,
        sesamRedis: { ...cc.sesamRedis, ratio: ratio(cc.sesamRedis.rps, cc.bare.rps), cpuRatio: cpuRatio(cc.bare, cc.sesamRedis) },
        embedded: { ...cc.embedded, ratio: ratio(cc.embedded.rps, cc.bare.rps), cpuRatio: cpuRatio(cc.bare, cc.embedded) },
        goal: 'sesamRedis.ratio >= 0.8',
      },
      discovery: {
        bare: disco.bare,
        sesamRedis: { ...disco.sesamRedis, ratio: ratio(disco.sesamRedis.rps, disco.bare.rps), cpuRatio: cpuRatio(disco.bare, disco.sesamRedis) },
        embedded: { ...disco.embedded, ratio: ratio(disco.embedded.rps, disco.bare.rps), cpuRatio: cpuRatio(disco.bare, disco.embedded) },
      },
      signIn: {
        ...signIn,
        argon2: { ...argon, cpuMsPerVerification: argon2CpuMs },
        ratio: round(signIn.signInsPerSecond / argon.perSecond, 2),
        cpuEstimate,
        goals: { ratio: '>= 0.9', fastStepsP99Ms: '< 25' },
        fastStepsWorstP99Ms: Math.max(...FAST_STEPS.map((st) => signIn.steps[st].p99Ms)),
      },
      serverMemory: memory,
      disturbedBy: disturbed.map(([what, share]) => ({ what, foreignShare: share })),
      totalSeconds: round((Date.now() - started) / 1000, 1),
    };
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');

    const cpuText = (f?: CpuSplit, digits = 3) =>
      f ? `${[f.serverMs, f.loadMs, f.storesMs, f.foreignMs].map((v) => (v === undefined ? '?' : v.toFixed(digits))).join(' / ')}  (${Math.round((f.machineBusy ?? NaN) * 100)}%)` : '';
    const out: string[] = [];
    out.push('');
    out.push(`Sesam benchmark: ${cores} CPUs (${results.machine.cpuModel}), Node ${process.version}, oidc-provider ${results.machine.oidcProvider}`);
    out.push(`autocannon: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${MEASURE_S} s measured per server; servers in child processes, load from this process`);
    out.push('');
    for (const scenario of ['client_credentials', 'discovery'] as const) {
      const r = results[scenario];
      out.push(
        `${pad(scenario, 20)}bare ${r.bare.rps}/s  sesam+redis ${r.sesamRedis.rps}/s (${r.sesamRedis.ratio.toFixed(2)})  embedded ${r.embedded.rps}/s (${r.embedded.ratio.toFixed(2)})` +
          `   [cpu ratios ${r.sesamRedis.cpuRatio.toFixed(2)} / ${r.embedded.cpuRatio.toFixed(2)}]`,
      );
    }
    out.push(`${pad('', 20)}goal: sesam+redis client_credentials >= 0.8 of bare`);
    out.push('');
    out.push(`autocannon figures: the best of ${ROUNDS} slices of ${MEASURE_S / ROUNDS} s per server, run in turn (mean of all slices beside it)`);
    out.push(`(cpu ratio: bare's server CPU per request over this server's: the same comparison, steady when other jobs disturb the wall-clock figures)`);
    out.push(`${pad('', 20)}${pad('server', 13)}${lpad('req/s', 7)}${lpad('mean', 7)}${lpad('ratio', 7)}${lpad('cpu ratio', 10)}${lpad('p50 ms', 8)}${lpad('p99 ms', 8)}${lpad('errors', 8)}   CPU ms/request: server / load / PG+Redis / foreign (machine busy)`);
    for (const scenario of ['client_credentials', 'discovery'] as const) {
      const r = results[scenario];
      for (const [label, f] of [
        ['bare', r.bare],
        ['sesam+redis', r.sesamRedis],
        ['embedded', r.embedded],
      ] as const) {
        const rr = 'ratio' in f ? (f.ratio as number).toFixed(2) : '1.00';
        const cr = 'cpuRatio' in f ? (f.cpuRatio as number).toFixed(2) : '1.00';
        out.push(`${pad(label === 'bare' ? scenario : '', 20)}${pad(label, 13)}${lpad(f.rps, 7)}${lpad(f.meanRps, 7)}${lpad(rr, 7)}${lpad(cr, 10)}${lpad(f.latencyP50Ms, 8)}${lpad(f.latencyP99Ms, 8)}${lpad(f.non2xx + f.errors, 8)}   ${cpuText(f.cpu)}`);
      }
    }
    out.push('');
    const si = results.signIn;
    out.push(`password sign-ins (Sesam PG+Redis, ${VUS} virtual users, ${SIGNIN_S} s after ${SIGNIN_WARMUP_S} s warm-up, ${USERS} users)`);
    out.push(`  sign-ins              ${si.signInsPerSecond}/s  (${si.signIns} in ${SIGNIN_S} s, ${si.failures} failed)`);
    out.push(`  argon2id bound        ${argon.perSecond}/s  (m=${argon.params.memoryCost} KiB t=${argon.params.timeCost} p=${argon.params.parallelism}, ${argon.concurrency} concurrent, this process alone, best of ${argon.runs.map((r) => r.perSecond).join(' and ')})`);
    out.push(`  ratio                 ${si.ratio.toFixed(2)}  (goal >= 0.9)`);
    if (c && cpuEstimate) {
      out.push(`  CPU ms per sign-in    server ${c.serverMs} (argon2 ${argon2CpuMs} of it)  load generator ${c.loadMs}  PG+Redis ${c.storesMs ?? '?'}  foreign ${c.foreignMs ?? '?'}  (machine ${Math.round((c.machineBusy ?? NaN) * 100)}% busy)`);
      out.push(`  from CPU per sign-in  ${cpuEstimate.signInsPerSecond}/s vs argon2 ${cpuEstimate.argon2BoundPerSecond}/s: ratio ${cpuEstimate.ratio.toFixed(2)}; without the load generator's share ${cpuEstimate.withoutLoadGenerator.signInsPerSecond}/s: ratio ${cpuEstimate.withoutLoadGenerator.ratio.toFixed(2)}`);
    }
    out.push('');
    out.push(`  ${pad('step', 22)}${lpad('count', 7)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('max ms', 9)}`);
    for (const step of STEPS) {
      const st = si.steps[step];
      const mark = FAST_STEPS.includes(step) ? (st.p99Ms < 25 ? '' : '  > 25 ms') : '  (hashes)';
      out.push(`  ${pad(step, 22)}${lpad(st.count, 7)}${lpad(st.p50Ms, 9)}${lpad(st.p99Ms, 9)}${lpad(st.maxMs, 9)}${mark}`);
    }
    out.push(`  worst p99 of the steps that do not hash: ${si.fastStepsWorstP99Ms} ms (goal < 25 ms)`);
    if (si.firstFailures.length) out.push(`  failures: ${si.firstFailures.join(' | ')}`);
    out.push('');
    if (busyBefore !== undefined && busyBefore > 0.1) out.push(`WARNING: other jobs kept the machine ${Math.round(busyBefore * 100)}% busy just before the run.`);
    for (const [what, share] of disturbed) out.push(`WARNING: other jobs used ${Math.round((share ?? 0) * 100)}% of the machine during ${what}; that figure is low.`);
    out.push(`total ${results.totalSeconds} s; figures also in ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
    console.log(out.join('\n'));
  } finally {
    await cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
