/**
 * `npm run bench`: one run on this machine measures
 *   1. client_credentials grants/s and 2. discovery requests/s for bare oidc-provider, Sesam on
 *      PostgreSQL + Redis and embedded Sesam (PGlite, no Redis), with autocannon;
 *   3. full password sign-ins/s over HTTP on Sesam PostgreSQL + Redis, beside the raw argon2id
 *      verification rate with Sesam's parameters at the same concurrency, with per-step latency;
 *   4. full passkey sign-ins/s over HTTP on the same server, in the same run, each assertion
 *      signed by a software authenticator in this process (authenticator.ts: a P-256 key per
 *      account, stored straight in the server's `passkeys` table), with per-step latency.
 * Sign-ins run in two phases each: a closed loop (BENCH_VUS virtual users, each starting its next
 * sign-in when the last ends) for the throughput and the CPU per sign-in, where the per-step
 * latencies are those of a saturated server (mostly queueing); then an open loop for the
 * per-step latency below saturation: sign-ins started at a fixed arrival rate, a fraction
 * (BENCH_RATE_FRACTION) of the throughput the closed loop just measured, whatever the answers.
 * Each server runs in a child process (serve.ts); the load comes from this process. Figures go
 * to stdout and to bench/results.json.
 *
 * Knobs (environment): BENCH_SECONDS (measured seconds per server and request type, 8),
 * BENCH_ROUNDS (4: slices those seconds are cut into), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (16), BENCH_SIGNIN_SECONDS (15),
 * BENCH_SIGNIN_WARMUP_SECONDS (3), BENCH_VUS (8), BENCH_RATE_FRACTION (0.5: the open loop's arrival
 * rate, as a share of the closed loop's sign-ins/s), BENCH_RATE_SECONDS (10), BENCH_RATE_WARMUP_SECONDS
 * (2), BENCH_ARRIVALS=poisson|even (poisson: exponential gaps between sign-ins; even: evenly spaced),
 * BENCH_USERS (200), BENCH_QUIET_WAIT_SECONDS (30:
 * how long to wait for a machine busy with other jobs to calm down), BENCH_CPU_PROF=<dir>
 * (V8 CPU profiles of the server children), BENCH_ONLY=client_credentials|discovery|signin|passkey
 * (a comma-separated subset, for profiling; `signin` is the password sign-ins; all by default),
 * BENCH_NICE_THREADPOOL=<niceness> (experiment: argon2's threads at a lower priority in the server
 * child, see serve.ts), BENCH_ARGON2_LIMIT=<n> (experiment: at most n argon2 operations at a time
 * in the server child), BENCH_DATABASE_URL, BENCH_REDIS_URL.
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
import { createBenchDatabase, flushRedis, forkServer, freePort, storePasskeys, tmpDir, REDIS_URL, type ForkedServer } from './servers.js';
import { rpIdHash, SoftwarePasskey } from './authenticator.js';

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
const RATE_FRACTION = num('BENCH_RATE_FRACTION', 0.5);
const RATE_S = num('BENCH_RATE_SECONDS', 10);
const RATE_WARMUP_S = num('BENCH_RATE_WARMUP_SECONDS', 2);
const ARRIVALS = (process.env.BENCH_ARRIVALS ?? 'poisson') as 'poisson' | 'even';
if (ARRIVALS !== 'poisson' && ARRIVALS !== 'even') throw new Error(`BENCH_ARRIVALS: poisson or even, not ${String(ARRIVALS)}`);
const ARGON2_WARMUP_S = 1;
const ARGON2_S = 5;
const USERS = Math.round(num('BENCH_USERS', 200));
const QUIET_WAIT_S = num('BENCH_QUIET_WAIT_SECONDS', 30);
/** Every part of the run; for profiling one part: BENCH_ONLY=signin (or client_credentials, discovery, passkey; comma-separated). */
const PARTS = ['client_credentials', 'discovery', 'signin', 'passkey'] as const;
const ONLY = new Set((process.env.BENCH_ONLY ?? PARTS.join(',')).split(',').map((s) => s.trim()));
const unknownParts = [...ONLY].filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknownParts.length) throw new Error(`BENCH_ONLY: unknown part ${unknownParts.join(', ')} (choose among ${PARTS.join(', ')})`);

const CC_CLIENT = { id: 'bench-cc', secret: `bench-cc-${crypto.randomBytes(24).toString('hex')}` };
const WEB_CLIENT = { id: 'bench-web', secret: `bench-web-${crypto.randomBytes(24).toString('hex')}`, redirectUri: 'http://127.0.0.1:1/cb' };
const PASSWORD = 'Bench-sign-in-Tr0mbone-Kayak-42';
const login = (i: number) => `bench-user-${String(i).padStart(4, '0')}`;
/** The accounts of the passkey sign-ins: no password, one passkey each (stored before the load). */
const passkeyLogin = (i: number) => `bench-pk-${String(i).padStart(4, '0')}`;

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
// Sign-ins, with the password and with a passkey (own loop with fetch, manual redirects, a
// cookie jar per virtual user)
// ---------------------------------------------------------------------------------------------

const STEPS = ['authorize', 'identifier GET', 'identifier POST', 'password GET', 'password POST', 'resume', 'token'] as const;
type Step = (typeof STEPS)[number];
/** The steps that do not hash a password (goal: p99 < 25 ms). */
const FAST_STEPS: Step[] = ['authorize', 'identifier GET', 'identifier POST', 'password GET', 'resume', 'token'];
/**
 * A passkey sign-in, identifier first: the identifier page, the identifier (the browser says it
 * can run a ceremony), the passkey page, the ceremony's options and its verification (JSON, whose
 * `next` is the engine's resume URL when the passkey ends the journey), the engine's resume, the
 * token. `finish GET` (the journey's page once more) is taken only when `next` sends the page
 * script back there. None of them hashes: the goal (p99 < 25 ms) is for every one.
 */
const PASSKEY_STEPS = ['authorize', 'identifier GET', 'identifier POST', 'passkey GET', 'passkey options', 'passkey verify', 'finish GET', 'resume', 'token'] as const;
type PasskeyStep = (typeof PASSKEY_STEPS)[number];
type AnyStep = Step | PasskeyStep;
/** Steps a sign-in takes only on a detour: reported only when some sign-in took them. */
const OPTIONAL_STEPS: ReadonlySet<AnyStep> = new Set<AnyStep>(['finish GET']);

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
    readonly step: AnyStep,
    readonly status: number,
    detail: string,
  ) {
    super(`${step}: ${status} ${detail}`);
  }
}

interface Sample {
  step: AnyStep;
  start: number;
  ms: number;
}

interface SignInStats {
  completed: number[]; // completion times (performance.now)
  samples: Sample[];
  failures: { step: AnyStep; status: number; message: string }[];
}

interface Answer {
  status: number;
  body: string;
  location?: URL;
}

/**
 * One browser's journey: a cookie jar, timed requests (one sample per step), and the checks
 * every step's answer must pass (a wrong answer throws SignInError, which the run counts).
 */
function browser(base: string, stats: SignInStats) {
  const jar = new CookieJar();
  const request = async (step: AnyStep, url: string, init: RequestInit = {}): Promise<Answer> => {
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
  const expectRedirect = (step: AnyStep, r: Answer, pathPrefix: string): URL => {
    if (![302, 303].includes(r.status) || !r.location) throw new SignInError(step, r.status, r.body.slice(0, 200));
    if (!r.location.href.startsWith(pathPrefix) && !r.location.pathname.startsWith(pathPrefix)) throw new SignInError(step, r.status, `redirected to ${r.location.href}`);
    return r.location;
  };
  const expectPage = (step: AnyStep, r: Answer, action: string) => {
    if (r.status !== 200 || !r.body.includes(action)) throw new SignInError(step, r.status, `no form ${action}: ${r.body.slice(0, 200)}`);
  };
  return { request, expectRedirect, expectPage };
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * The start every sign-in shares: the authorization request (code + PKCE), the identifier page
 * (its CSRF token: every journey form carries it back, as a browser does), the identifier.
 */
async function startSignIn(b: ReturnType<typeof browser>, identifier: string, extra: Record<string, string> = {}) {
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
  const interaction = b.expectRedirect('authorize', await b.request('authorize', `/auth?${auth}`), '/interaction/');
  const uid = interaction.pathname.split('/')[2];
  const identifierPage = await b.request('identifier GET', interaction.pathname);
  b.expectPage('identifier GET', identifierPage, `/interaction/${uid}/identifier`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(identifierPage.body)?.[1] ?? '';
  const afterIdentifier = await b.request('identifier POST', `/interaction/${uid}/identifier`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ csrf, identifier, ...extra }).toString(),
  });
  b.expectRedirect('identifier POST', afterIdentifier, `/interaction/${uid}`);
  return { uid, csrf, state, verifier };
}

/** The end every sign-in shares: the engine's resume to the app with a code, and the code for tokens. */
async function finishSignIn(b: ReturnType<typeof browser>, resume: URL, state: string, verifier: string): Promise<void> {
  const callback = b.expectRedirect('resume', await b.request('resume', resume.pathname + resume.search), WEB_CLIENT.redirectUri);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new SignInError('resume', 303, `bad callback ${callback.href}`);
  const token = await b.request('token', '/token', {
    method: 'POST',
    headers: { ...form, authorization: basic(WEB_CLIENT.id, WEB_CLIENT.secret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB_CLIENT.redirectUri, code_verifier: verifier }).toString(),
  });
  if (token.status !== 200) throw new SignInError('token', token.status, token.body.slice(0, 200));
  const tokens = JSON.parse(token.body) as { access_token?: string; id_token?: string };
  if (!tokens.access_token || !tokens.id_token) throw new SignInError('token', token.status, `no tokens: ${token.body.slice(0, 200)}`);
}

async function signInOnce(base: string, userIndex: number, stats: SignInStats): Promise<void> {
  const b = browser(base, stats);
  const { uid, csrf, state, verifier } = await startSignIn(b, login(userIndex));
  b.expectPage('password GET', await b.request('password GET', `/interaction/${uid}`), `/interaction/${uid}/password`);
  const afterPassword = await b.request('password POST', `/interaction/${uid}/password`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ csrf, username: login(userIndex), password: PASSWORD, remember: 'on' }).toString(),
  });
  const resume = b.expectRedirect('password POST', afterPassword, '/auth/');
  await finishSignIn(b, resume, state, verifier);
  stats.completed.push(performance.now());
}

/** Where the passkey sign-ins run: the page origin clientDataJSON names (the ISSUER's) and the RP ID. */
interface PasskeyTarget {
  origin: string;
  rpId: string;
  rpIdHash: Buffer;
  passkeys: SoftwarePasskey[];
}

/** A JSON answer of a ceremony step (200 expected), parsed. */
function ceremonyAnswer<T>(step: PasskeyStep, r: Answer): T {
  if (r.status !== 200) throw new SignInError(step, r.status, r.body.slice(0, 200));
  try {
    return JSON.parse(r.body) as T;
  } catch {
    throw new SignInError(step, r.status, `not JSON: ${r.body.slice(0, 200)}`);
  }
}

async function passkeySignInOnce(base: string, userIndex: number, stats: SignInStats, target: PasskeyTarget): Promise<void> {
  const passkey = target.passkeys[userIndex % target.passkeys.length];
  const b = browser(base, stats);
  // `webauthn=available`: what the identifier page's script sends when the browser can run a
  // ceremony (not `platform`, which would also ask for the offer to create one after a password).
  const { uid, csrf, state, verifier } = await startSignIn(b, passkey.login, { webauthn: 'available' });
  b.expectPage('passkey GET', await b.request('passkey GET', `/interaction/${uid}`), `/interaction/${uid}/passkey`);
  const json = { 'content-type': 'application/json', 'x-csrf-token': csrf };
  const url = `/interaction/${uid}/passkey`;
  const { options } = ceremonyAnswer<{ options?: { challenge?: string; rpId?: string; allowCredentials?: { id: string }[] } }>(
    'passkey options',
    await b.request('passkey options', url, { method: 'POST', headers: json, body: JSON.stringify({ action: 'options' }) }),
  );
  if (!options?.challenge || options.rpId !== target.rpId || !options.allowCredentials?.some((c) => c.id === passkey.credentialId)) {
    throw new SignInError('passkey options', 200, `options without this credential, a challenge or rpId ${target.rpId}: ${JSON.stringify(options).slice(0, 200)}`);
  }
  const response = passkey.assert(options.challenge, target.origin, target.rpIdHash);
  const { next } = ceremonyAnswer<{ next?: string }>('passkey verify', await b.request('passkey verify', url, { method: 'POST', headers: json, body: JSON.stringify({ action: 'verify', response }) }));
  // The page script goes where `next` says: the engine's resume (absolute, the ISSUER's) when the
  // passkey ended the journey; the journey's page when it has more to show.
  const to = next ? new URL(next, base) : undefined;
  let resume: URL;
  if (to && to.origin === target.origin && to.pathname.startsWith('/auth/')) {
    resume = to;
  } else if (to && to.origin === new URL(base).origin && to.pathname === `/interaction/${uid}`) {
    const page = await b.request('finish GET', to.pathname + to.search);
    if (page.status === 200) {
      // Not a sign-in this bench measures: say which page the journey showed.
      const title = /<title>([^<]*)<\/title>/i.exec(page.body)?.[1]?.trim();
      throw new SignInError('finish GET', page.status, `after the passkey the journey shows another page: "${title ?? page.body.slice(0, 120)}"`);
    }
    resume = b.expectRedirect('finish GET', page, '/auth/');
  } else {
    throw new SignInError('passkey verify', 200, `next ${next ?? '(none)'}: neither the engine's resume (${target.origin}/auth/…) nor /interaction/${uid}`);
  }
  await finishSignIn(b, resume, state, verifier);
  stats.completed.push(performance.now());
}

interface StepFigures {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Per step, in `stepNames`' order; a step of OPTIONAL_STEPS that no sign-in took is left out. */
type StepTable<S extends AnyStep> = Partial<Record<S, StepFigures>>;

function latencyOf(ms: number[]): Omit<StepFigures, 'count'> {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 0.5), 2), p99Ms: round(percentile(sorted, 0.99), 2), maxMs: round(sorted[sorted.length - 1] ?? NaN, 2) };
}

/** The latency of each step over the requests that started at or after `from`. */
function stepTable<S extends AnyStep>(stats: SignInStats, stepNames: readonly S[], from: number): StepTable<S> {
  const steps: StepTable<S> = {};
  for (const step of stepNames) {
    const ms = stats.samples.filter((x) => x.step === step && x.start >= from).map((x) => x.ms);
    if (!ms.length && OPTIONAL_STEPS.has(step)) continue;
    steps[step] = { count: ms.length, ...latencyOf(ms) };
  }
  return steps;
}

/** The worst p99 among `only` (all the steps of the table by default). */
function worstP99<S extends AnyStep>(steps: StepTable<S>, only?: readonly S[]): number {
  const rows = Object.entries(steps) as [S, StepFigures][];
  return Math.max(...rows.filter(([step]) => !only || only.includes(step)).map(([, f]) => f.p99Ms));
}

const failureFigures = (stats: SignInStats) => ({ failures: stats.failures.length, firstFailures: [...new Set(stats.failures.map((f) => f.message))].slice(0, 5) });

type SignInOnce = (base: string, userIndex: number, stats: SignInStats) => Promise<void>;

async function attempt(once: SignInOnce, base: string, user: number, stats: SignInStats): Promise<boolean> {
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
interface SignInFigures<S extends AnyStep = Step> {
  virtualUsers: number;
  seconds: number;
  signIns: number;
  signInsPerSecond: number;
  failures: number;
  firstFailures: string[];
  steps: StepTable<S>;
  cpuPerSignIn?: CpuSplit;
}

/** VUS virtual users signing in one after the other with `once` (users in turn), warm-up first. */
async function signIns<S extends AnyStep>(server: ForkedServer, stepNames: readonly S[], once: SignInOnce): Promise<SignInFigures<S>> {
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
      if (!(await attempt(once, server.url, next++ % USERS, stats))) await sleep(10);
    }
  };
  await Promise.all(Array.from({ length: VUS }, vu));
  await cpuMark;
  const measured = stats.completed.filter((t) => t >= measureStart && t <= end).length;
  // CPU window: from the end of the warm-up to the last sign-in (all of them counted).
  const cpuEnd = await cpuSnapshot(server);
  const cpuPerSignIn = cpuStart ? cpuSplit(cpuStart, cpuEnd, stats.completed.filter((t) => t >= measureStart).length, 2) : undefined;
  return {
    virtualUsers: VUS,
    seconds: SIGNIN_S,
    signIns: measured,
    signInsPerSecond: round(measured / SIGNIN_S, 1),
    ...failureFigures(stats),
    steps: stepTable(stats, stepNames, measureStart),
    cpuPerSignIn,
  };
}

/** The open loop: sign-ins started at a fixed rate, each on its own, whatever the server's answers. */
interface RateFigures<S extends AnyStep = Step> {
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
async function signInsAtRate<S extends AnyStep>(server: ForkedServer, stepNames: readonly S[], once: SignInOnce, throughput: number): Promise<RateFigures<S>> {
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
    cpuStart = await cpuSnapshot(server);
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
  const cpuEnd = await cpuSnapshot(server);
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
      ? [
          ...Array.from({ length: USERS }, (_, i) => ({ login: login(i), email: `${login(i)}@bench.example`, password: PASSWORD, tenants: ['bench'], mustChangePassword: false })),
          // Passkey accounts in the same tenant (default policy: no second factor; its passkey offer
          // follows password sign-ins only), without a password: nothing to hash at start.
          ...Array.from({ length: USERS }, (_, i) => ({ login: passkeyLogin(i), email: `${passkeyLogin(i)}@bench.example`, tenants: ['bench'] })),
        ]
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

    log(`starting the three servers (Sesam PG+Redis imports ${USERS} password users, one argon2 hash each, and ${USERS} passkey users)`);
    const barePort = await freePort();
    const sesamRedisEnv = await sesamEnv(pgDir, true, { DATABASE_URL: database.url, REDIS_URL });
    const starts = await Promise.allSettled([
      forkServer('bare', 'bare', { PORT: String(barePort), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${barePort}`, BENCH_CC_CLIENT_ID: CC_CLIENT.id, BENCH_CC_CLIENT_SECRET: CC_CLIENT.secret }),
      forkServer('sesam-redis', 'sesam', sesamRedisEnv),
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

    // The passkeys of the passkey sign-ins: one software credential per passkey account, its public
    // key stored straight in the server's database (its own, for this run), as a registration would.
    // Their page origin and RP ID are the ISSUER's (Sesam's defaults): an IP address here, which
    // browsers refuse as an RP ID but which the server-side verification accepts.
    let passkeyTarget: PasskeyTarget | undefined;
    if (ONLY.has('passkey')) {
      const issuer = new URL(sesamRedisEnv.ISSUER);
      const passkeys = await storePasskeys(
        database.url,
        Array.from({ length: USERS }, (_, i) => passkeyLogin(i)),
        (userId, userLogin) => new SoftwarePasskey(userId, userLogin),
      );
      passkeyTarget = { origin: issuer.origin, rpId: issuer.hostname, rpIdHash: rpIdHash(issuer.hostname), passkeys };
      log(`stored ${passkeys.length} passkeys (P-256, software authenticator) for RP ID ${issuer.hostname}, origin ${issuer.origin}`);
    }

    // The argon2 bound (for the password sign-ins) is measured twice (now, and just before the
    // sign-ins) and the better kept: other jobs on the machine can only lower it.
    const argonRuns: Awaited<ReturnType<typeof argon2Bound>>[] = [];
    if (ONLY.has('signin')) {
      log(`argon2id bound: ${VUS} concurrent verifications for ${ARGON2_S} s`);
      argonRuns.push(await argon2Bound());
    }

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

    if (ONLY.has('signin')) {
      log(`argon2id bound again: ${VUS} concurrent verifications for ${ARGON2_S} s`);
      argonRuns.push(await argon2Bound());
    }
    const argon = argonRuns.length
      ? { ...argonRuns.reduce((a, b) => (b.perSecond > a.perSecond ? b : a)), runs: argonRuns.map((r) => ({ perSecond: r.perSecond, cpuMsPerVerification: r.cpuMsPerVerification, foreignShare: r.foreignShare })) }
      : undefined;

    let signIn: SignInFigures | undefined;
    let signInAtRate: RateFigures | undefined;
    let passkeySignIn: SignInFigures<PasskeyStep> | undefined;
    let passkeyAtRate: RateFigures<PasskeyStep> | undefined;
    const memory: Record<string, Record<string, { rssMB: number; heapUsedMB: number }>> = { afterLoads: {}, afterSignIns: {}, afterPasskeySignIns: {} };
    for (const key of keys) memory.afterLoads[servers[key].name] = await servers[key].memory();
    /** The open loop, at RATE_FRACTION of the throughput the closed loop just measured (none when that found no sign-in). */
    const atRate = async <S extends AnyStep>(what: string, stepNames: readonly S[], once: SignInOnce, throughput: number) => {
      if (!(throughput > 0)) {
        log(`${what}: no open loop, the closed loop completed no sign-in`);
        return undefined;
      }
      log(`${what} at a fixed rate: ${ARRIVALS} arrivals at ${round(throughput * RATE_FRACTION, 1)}/s (${RATE_FRACTION} × ${throughput}/s), ${RATE_WARMUP_S} s warm-up + ${RATE_S} s`);
      return signInsAtRate(sesamRedis, stepNames, once, throughput);
    };
    if (ONLY.has('signin')) {
      log(`password sign-ins on sesam+redis: ${VUS} virtual users, ${SIGNIN_WARMUP_S} s warm-up + ${SIGNIN_S} s`);
      signIn = await signIns(sesamRedis, STEPS, signInOnce);
      signInAtRate = await atRate('password sign-ins', STEPS, signInOnce, signIn.signInsPerSecond);
      memory.afterSignIns[sesamRedis.name] = await sesamRedis.memory();
    }
    if (passkeyTarget) {
      const target = passkeyTarget;
      const once: SignInOnce = (base, user, stats) => passkeySignInOnce(base, user, stats, target);
      log(`passkey sign-ins on sesam+redis: ${VUS} virtual users, ${SIGNIN_WARMUP_S} s warm-up + ${SIGNIN_S} s`);
      passkeySignIn = await signIns(sesamRedis, PASSKEY_STEPS, once);
      passkeyAtRate = await atRate('passkey sign-ins', PASSKEY_STEPS, once, passkeySignIn.signInsPerSecond);
      memory.afterPasskeySignIns[sesamRedis.name] = await sesamRedis.memory();
    }

    await cleanup();

    if (PARTS.some((part) => !ONLY.has(part)) || !signIn || !signInAtRate || !passkeySignIn || !passkeyAtRate || !argon) {
      // A partial run (BENCH_ONLY): raw figures on stdout, results.json left alone.
      console.log(JSON.stringify({ argon2: argon, loads, signIn: signIn && { ...signIn, latencyAtRate: signInAtRate }, passkeySignIn: passkeySignIn && { ...passkeySignIn, latencyAtRate: passkeyAtRate }, memory }, null, 2));
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
    const pc = passkeySignIn.cpuPerSignIn;
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
    /** The closed loop's figures that matter (the throughput), under their own key. */
    const closedLoop = (f: SignInFigures<AnyStep>) => ({
      loop: 'closed' as const,
      virtualUsers: f.virtualUsers,
      seconds: f.seconds,
      signIns: f.signIns,
      signInsPerSecond: f.signInsPerSecond,
      failures: f.failures,
      serverCpuMsPerSignIn: f.cpuPerSignIn?.serverMs,
      cpuPerSignIn: f.cpuPerSignIn,
    });
    const disturbed = [
      ...(['client_credentials', 'discovery'] as const).flatMap((sc) =>
        keys.map((k) => [`${sc} ${servers[k].name} (even its quietest slice)`, Math.min(...loads[sc][k].slices.map((x) => x.foreignShare ?? 0))] as const),
      ),
      ['sign-ins', c?.foreignShare] as const,
      ['sign-ins at a fixed rate', signInAtRate.cpuPerSignIn?.foreignShare] as const,
      ['passkey sign-ins', passkeySignIn.cpuPerSignIn?.foreignShare] as const,
      ['passkey sign-ins at a fixed rate', passkeyAtRate.cpuPerSignIn?.foreignShare] as const,
      ['the argon2 bound', argon.foreignShare] as const,
    ].filter(([, share]) => (share ?? 0) > 0.05);
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: cores, cpuModel: os.cpus()[0]?.model, node: process.version, oidcProvider: pkg('oidc-provider'), argon2: pkg('argon2'), busyBeforeRun: busyBefore },
      settings: {
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_S,
        measuredSeconds: MEASURE_S,
        virtualUsers: VUS,
        signInWarmupSeconds: SIGNIN_WARMUP_S,
        signInSeconds: SIGNIN_S,
        rateFraction: RATE_FRACTION,
        rateWarmupSeconds: RATE_WARMUP_S,
        rateSeconds: RATE_S,
        arrivals: ARRIVALS,
        users: USERS,
        passkeyUsers: USERS,
      },
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
        /** The closed loop's (the top-level figures are the closed loop's too). */
        fastStepsWorstP99Ms: worstP99(signIn.steps, FAST_STEPS),
        throughput: closedLoop(signIn),
        latencyAtRate: { ...signInAtRate, fastStepsWorstP99Ms: worstP99(signInAtRate.steps, FAST_STEPS) },
      },
      passkeySignIn: {
        ...passkeySignIn,
        passkeys: passkeyTarget!.passkeys.length,
        authenticator: 'software, in the load process: ES256 (P-256), user present and verified, counter +1 per use',
        rpId: passkeyTarget!.rpId,
        origin: passkeyTarget!.origin,
        goals: { stepsP99Ms: '< 25', measuredBy: 'latencyAtRate.worstStepP99Ms (open loop, below saturation)' },
        /** The closed loop's, a saturated server's (the top-level figures are the closed loop's). */
        worstStepP99Ms: worstP99(passkeySignIn.steps),
        throughput: closedLoop(passkeySignIn),
        latencyAtRate: { ...passkeyAtRate, worstStepP99Ms: worstP99(passkeyAtRate.steps) },
        comparedWithPassword: {
          signInsPerSecondRatio: round(passkeySignIn.signInsPerSecond / signIn.signInsPerSecond, 2),
          serverCpuMsPerSignIn: pc?.serverMs,
          passwordServerCpuMsPerSignIn: c?.serverMs,
          passwordServerCpuMsBesidesArgon2: cpuEstimate?.serverCpuMsBesidesArgon2,
        },
        cpuEstimate: pc
          ? {
              signInsPerSecond: round((1000 * cores) / (pc.serverMs + (pc.storesMs ?? 0) + pc.loadMs), 1),
              withoutLoadGenerator: round((1000 * cores) / (pc.serverMs + (pc.storesMs ?? 0)), 1),
              /** The server's JavaScript runs on one thread: about this many per second with one core to itself (its threadpool work counted in). */
              serverOnOneCore: round(1000 / pc.serverMs, 1),
            }
          : undefined,
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
    /** A per-step table; `mark` adds a note to a row. */
    const stepLines = <S extends AnyStep>(steps: StepTable<S>, mark: (step: S, f: StepFigures) => string) => {
      out.push(`  ${pad('step', 22)}${lpad('count', 7)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('max ms', 9)}`);
      for (const [step, st] of Object.entries(steps) as [S, StepFigures][]) {
        out.push(`  ${pad(step, 22)}${lpad(st.count, 7)}${lpad(st.p50Ms, 9)}${lpad(st.p99Ms, 9)}${lpad(st.maxMs, 9)}${mark(step, st)}`);
      }
    };
    const over25 = (st: StepFigures) => (st.p99Ms < 25 ? '' : '  > 25 ms');
    /** The open loop's heading: what ran, at which rate, and how busy the server was. */
    const rateLines = (r: RateFigures<AnyStep>, what: string) => {
      out.push(
        `  OPEN LOOP, for latency below saturation: ${what} started at ${r.ratePerSecond}/s = ${r.fractionOfThroughput} × the ${r.of}/s above (${r.arrivals === 'poisson' ? 'Poisson arrivals' : 'evenly spaced'}), ${r.seconds} s after ${r.warmupSeconds} s warm-up`,
      );
      out.push(
        `  ${r.signIns} of ${r.started} completed (${r.signInsPerSecond}/s), ${r.failures} failed; at most ${r.maxInFlight} under way at once; server ${Math.round((r.serverCoreShare ?? NaN) * 100)}% of a core` +
          `${r.cpuPerSignIn ? `, ${r.cpuPerSignIn.serverMs} ms CPU per sign-in` : ''}; whole sign-in p50 ${r.signInMs.p50Ms} ms, p99 ${r.signInMs.p99Ms} ms; start lag p99 ${r.startLagP99Ms} ms`,
      );
      out.push('');
    };
    const si = results.signIn;
    out.push(`password sign-ins (Sesam PG+Redis, ${USERS} users)`);
    out.push(`  CLOSED LOOP, for throughput: ${VUS} virtual users, each starting its next sign-in when the last ends, ${SIGNIN_S} s after ${SIGNIN_WARMUP_S} s warm-up`);
    out.push(`  sign-ins              ${si.signInsPerSecond}/s  (${si.signIns} in ${SIGNIN_S} s, ${si.failures} failed)`);
    out.push(`  argon2id bound        ${argon.perSecond}/s  (m=${argon.params.memoryCost} KiB t=${argon.params.timeCost} p=${argon.params.parallelism}, ${argon.concurrency} concurrent, this process alone, best of ${argon.runs.map((r) => r.perSecond).join(' and ')})`);
    out.push(`  ratio                 ${si.ratio.toFixed(2)}  (goal >= 0.9)`);
    if (c && cpuEstimate) {
      out.push(`  CPU ms per sign-in    server ${c.serverMs} (argon2 ${argon2CpuMs} of it)  load generator ${c.loadMs}  PG+Redis ${c.storesMs ?? '?'}  foreign ${c.foreignMs ?? '?'}  (machine ${Math.round((c.machineBusy ?? NaN) * 100)}% busy)`);
      out.push(`  from CPU per sign-in  ${cpuEstimate.signInsPerSecond}/s vs argon2 ${cpuEstimate.argon2BoundPerSecond}/s: ratio ${cpuEstimate.ratio.toFixed(2)}; without the load generator's share ${cpuEstimate.withoutLoadGenerator.signInsPerSecond}/s: ratio ${cpuEstimate.withoutLoadGenerator.ratio.toFixed(2)}`);
    }
    out.push('');
    const passwordMark = (step: Step, st: StepFigures) => (FAST_STEPS.includes(step) ? over25(st) : '  (hashes)');
    stepLines(si.steps, passwordMark);
    out.push(`  worst p99 of the steps that do not hash, closed loop: ${si.fastStepsWorstP99Ms} ms (goal < 25 ms)`);
    if (si.firstFailures.length) out.push(`  failures: ${si.firstFailures.join(' | ')}`);
    out.push('');
    const sr = si.latencyAtRate;
    rateLines(sr, 'password sign-ins');
    stepLines(sr.steps, passwordMark);
    out.push(`  worst p99 of the steps that do not hash at ${sr.ratePerSecond}/s: ${sr.fastStepsWorstP99Ms} ms (goal < 25 ms)`);
    if (sr.firstFailures.length) out.push(`  failures: ${sr.firstFailures.join(' | ')}`);
    out.push('');
    const pk = results.passkeySignIn;
    out.push(`passkey sign-ins (same server and run, ${pk.passkeys} accounts with one passkey each;`);
    out.push(`  assertions signed in this process by a software authenticator: ES256 P-256, RP ID ${pk.rpId}, origin ${pk.origin})`);
    out.push(`  CLOSED LOOP, for throughput: ${VUS} virtual users, each starting its next sign-in when the last ends, ${SIGNIN_S} s after ${SIGNIN_WARMUP_S} s warm-up`);
    out.push(`  sign-ins              ${pk.signInsPerSecond}/s  (${pk.signIns} in ${SIGNIN_S} s, ${pk.failures} failed; ${pk.comparedWithPassword.signInsPerSecondRatio.toFixed(2)}× the password sign-ins)`);
    if (pc && pk.cpuEstimate) {
      out.push(`  CPU ms per sign-in    server ${pc.serverMs}  load generator ${pc.loadMs}  PG+Redis ${pc.storesMs ?? '?'}  foreign ${pc.foreignMs ?? '?'}  (machine ${Math.round((pc.machineBusy ?? NaN) * 100)}% busy)`);
      out.push(`  vs password           server ${pc.serverMs} ms per passkey sign-in; a password sign-in ${c?.serverMs ?? '?'} ms, ${cpuEstimate?.serverCpuMsBesidesArgon2 ?? '?'} ms of it besides argon2`);
      out.push(`  from CPU per sign-in  ${pk.cpuEstimate.signInsPerSecond}/s on ${cores} cores; without the load generator's share ${pk.cpuEstimate.withoutLoadGenerator}/s; the server's CPU alone on one core ${pk.cpuEstimate.serverOnOneCore}/s`);
    }
    out.push('');
    out.push(`  per step in the closed loop (a saturated server: mostly time queued behind the other users' requests)`);
    stepLines(pk.steps, (_, st) => over25(st));
    out.push(`  worst p99, closed loop: ${pk.worstStepP99Ms} ms`);
    if (pk.firstFailures.length) out.push(`  failures: ${pk.firstFailures.join(' | ')}`);
    out.push('');
    const pr = pk.latencyAtRate;
    rateLines(pr, 'passkey sign-ins');
    stepLines(pr.steps, (_, st) => over25(st));
    out.push(`  worst p99 of the steps (none hashes) at ${pr.ratePerSecond}/s: ${pr.worstStepP99Ms} ms (goal < 25 ms: ${pr.worstStepP99Ms < 25 ? 'met' : 'not met'})`);
    if (pr.firstFailures.length) out.push(`  failures: ${pr.firstFailures.join(' | ')}`);
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
