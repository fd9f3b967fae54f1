/**
 * `npm run bench` (`-- --short` for CI): Sesam's measure of itself, in one run on this machine.
 * The knobs are in config.ts. In order:
 *   1. three servers, each in a child process (serve.ts): bare oidc-provider (Sesam's engine
 *      configuration, in-memory adapter), Sesam on PostgreSQL + Redis, Sesam embedded (PGlite,
 *      no Redis); the load comes from this process;
 *   2. client_credentials, discovery, refresh_token, introspection and userinfo per second on
 *      each (http-load.ts, token-requests.ts), as ratios to bare, with the peak memory;
 *   3. the argon2id bound (argon2-bound.ts), then password and passkey sign-ins on Sesam PG+Redis
 *      (journeys.ts, sign-in-loops.ts): a closed loop of BENCH_VUS concurrent journeys (the
 *      throughput, the server CPU per sign-in against one argon2id verification's, per-step
 *      p50/p99), then an open loop below saturation;
 *   4. what one sign-in (and one request of each kind) asks of Redis and PostgreSQL (store-counts.ts);
 *   5. time to ready and idle memory of `node dist/src/main.js` (startup.ts), embedded and PG+Redis;
 *   6. the same server at 1, 2 and 4 worker processes (workers.ts).
 * Then results.json (every figure, the machine), a table on stdout (report.ts) and results.svg
 * (chart.ts), in BENCH_OUT (bench/ by default).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  COUNT_SIGNINS,
  FULL_SET,
  OUT_DIR,
  QUIET_WAIT_S,
  RESULTS_JSON,
  RESULTS_SVG,
  SHORT,
  USERS,
  VUS,
  WORKER_COUNTS,
  CC_CLIENT,
  WEB_CLIENT,
  login,
  passkeyLogin,
  runs,
  settings,
  PASSWORD,
} from './config.js';
import { argon2Bound, bestBound, type Argon2Bound } from './argon2-bound.js';
import { rpIdHash, SoftwarePasskey } from './authenticator.js';
import { renderChart } from './chart.js';
import { compareServers, sanityCheck, type LoadFigures } from './http-load.js';
import { bareCodeFlow, PASSKEY_STEPS, passkeySignInOnce, signInOnce, STEPS, type PasskeyTarget, type SignInStats, type Tokens } from './journeys.js';
import { log, round } from './numbers.js';
import { idleCheck, rssPeak } from './process-usage.js';
import { benchRedis } from './redis-server.js';
import { renderReport } from './report.js';
import { buildResults, type RunFigures } from './results.js';
import { createBenchDatabase, forkServer, freePort, storePasskeys, tmpDir, type ForkedServer } from './servers.js';
import { signIns, signInsAtRate, type SignInOnce } from './sign-in-loops.js';
import { measureStartup } from './startup.js';
import { countStoreCommands } from './store-counts.js';
import { SCENARIOS, scenarioRequests, type Scenario, type ScenarioRequest } from './token-requests.js';
import { workerRuns } from './workers.js';

const require = createRequire(import.meta.url);

/** The import file of a Sesam server: `users` password accounts (and as many passkey accounts with `passkeys`), the two clients. */
function importFile(users: number, passkeys: boolean) {
  return {
    tenants: [{ id: 'bench', name: 'Bench' }],
    users: [
      ...Array.from({ length: users }, (_, i) => ({ login: login(i), email: `${login(i)}@bench.example`, password: PASSWORD, tenants: ['bench'], mustChangePassword: false })),
      // Passkey accounts in the same tenant, without a password: nothing to hash at start.
      ...(passkeys ? Array.from({ length: users }, (_, i) => ({ login: passkeyLogin(i), email: `${passkeyLogin(i)}@bench.example`, tenants: ['bench'] })) : []),
    ],
    clients: [
      { client_id: CC_CLIENT.id, client_secret: CC_CLIENT.secret, redirect_uris: [], grant_types: ['client_credentials'], first_party: true },
      {
        client_id: WEB_CLIENT.id,
        client_secret: WEB_CLIENT.secret,
        redirect_uris: [WEB_CLIENT.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        first_party: true,
        scope: WEB_CLIENT.scope,
      },
    ],
  };
}

/** A Sesam server's environment; TRUST_PROXY: the journeys say where each user signs in from (journeys.ts sourceOf). */
async function sesamEnv(dataDir: string, users: number, passkeys: boolean, extra: Record<string, string>): Promise<Record<string, string>> {
  const port = await freePort();
  const file = path.join(dataDir, 'bench-import.json');
  fs.writeFileSync(file, JSON.stringify(importFile(users, passkeys)));
  return { PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, SESAM_DATA_DIR: dataDir, SESAM_IMPORT: file, LOG_LEVEL: 'silent', TRUST_PROXY: 'true', ...extra };
}

const noStats = (): SignInStats => ({ completed: [], samples: [], failures: [] });

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
    let busyBefore = await idleCheck(SHORT ? 300 : 1000);
    for (let waited = 0; busyBefore !== undefined && busyBefore > 0.1 && waited < QUIET_WAIT_S; waited++) {
      if (waited === 0) log(`the machine is ${Math.round(busyBefore * 100)}% busy with other jobs; waiting up to ${QUIET_WAIT_S} s for it to calm down`);
      busyBefore = await idleCheck();
    }
    if (busyBefore !== undefined && busyBefore > 0.1) log(`warning: the machine is ${Math.round(busyBefore * 100)}% busy; figures will be low and noisy`);
    log(`${SHORT ? 'SHORT run (a smoke test, not a measure); ' : ''}preparing stores (PostgreSQL database, Redis, data folders)`);
    const redis = await benchRedis();
    cleanups.push(() => redis.stop());
    const database = await createBenchDatabase();
    cleanups.push(() => database.drop());
    const pgDir = tmpDir();
    const embeddedDir = tmpDir();
    cleanups.push(async () => {
      fs.rmSync(pgDir, { recursive: true, force: true });
      fs.rmSync(embeddedDir, { recursive: true, force: true });
    });

    log(`starting the three servers (Sesam PG+Redis imports ${USERS} password users, one argon2 hash each, and ${USERS} passkey users; Redis ${redis.private ? 'of its own' : redis.url})`);
    const barePort = await freePort();
    const sesamRedisEnv = await sesamEnv(pgDir, USERS, true, { DATABASE_URL: database.url, REDIS_URL: redis.url });
    const bareEnv = {
      PORT: String(barePort),
      HOST: '127.0.0.1',
      ISSUER: `http://127.0.0.1:${barePort}`,
      BENCH_CC_CLIENT_ID: CC_CLIENT.id,
      BENCH_CC_CLIENT_SECRET: CC_CLIENT.secret,
      BENCH_WEB_CLIENT_ID: WEB_CLIENT.id,
      BENCH_WEB_CLIENT_SECRET: WEB_CLIENT.secret,
      BENCH_WEB_REDIRECT_URI: WEB_CLIENT.redirectUri,
    };
    const starts = await Promise.allSettled([
      forkServer('bare', 'bare', bareEnv),
      forkServer('sesam-redis', 'sesam', sesamRedisEnv),
      // One account: the embedded server's tokens for the refresh, introspection and userinfo loads.
      sesamEnv(embeddedDir, 1, false, {}).then((env) => forkServer('sesam-embedded', 'sesam', env)),
    ]);
    const stops: (() => Promise<void>)[] = [];
    for (const s of starts) if (s.status === 'fulfilled') stops.push(() => s.value.stop());
    const stopServers = async () => {
      for (const stop of stops.splice(0)) await stop();
    };
    cleanups.push(stopServers);
    const failed = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [bare, sesamRedis, embedded] = starts.map((s) => (s as PromiseFulfilledResult<ForkedServer>).value);
    const servers = { bare, sesamRedis, embedded };
    type ServerKey = keyof typeof servers;
    const keys = Object.keys(servers) as ServerKey[];
    log(`servers up in ${((Date.now() - started) / 1000).toFixed(1)} s: bare ${bare.url}, sesam+redis ${sesamRedis.url}, embedded ${embedded.url}`);
    const memoryAfterStart = Object.fromEntries(keys.map((k) => [k, servers[k].usage().rssMB])) as Record<ServerKey, number>;

    // A code flow on a server: the refresh token and access token of the refresh, introspection
    // and userinfo loads (Sesam: a real password sign-in; bare: its dev interactions). Done again
    // before each load: the bare engine's in-memory adapter keeps only its 1000 most recently used
    // entries, so the client_credentials load evicts the grant of an earlier code flow.
    const codeFlow = (k: ServerKey): Promise<Tokens> => (k === 'bare' ? bareCodeFlow(bare.url, login(0)) : signInOnce(servers[k].url, 0, noStats()));
    const requestsOn = async () => {
      const all = {} as Record<ServerKey, Record<Scenario, ScenarioRequest>>;
      for (const k of keys) all[k] = scenarioRequests(await codeFlow(k));
      return all;
    };
    /** Every server answers every request as it should (before a load, and after it: a load must not break its own request). */
    const checkAll = async (all: Record<ServerKey, Record<Scenario, ScenarioRequest>>, only: readonly Scenario[] = SCENARIOS) => {
      for (const k of keys) for (const sc of only) await sanityCheck(servers[k], all[k][sc].spec, all[k][sc].check);
    };
    const requests = await requestsOn();
    await checkAll(requests);

    // The passkeys of the passkey sign-ins: one software credential per passkey account, its public
    // key stored straight in the server's database (its own, for this run), as a registration would.
    // Their page origin and RP ID are the ISSUER's (Sesam's defaults): an IP address here, which
    // browsers refuse as an RP ID but which the server-side verification accepts.
    let passkeyTarget: PasskeyTarget | undefined;
    if (runs('passkey')) {
      const issuer = new URL(sesamRedisEnv.ISSUER);
      const passkeys = await storePasskeys(
        database.url,
        Array.from({ length: USERS }, (_, i) => passkeyLogin(i)),
        (userId, userLogin) => new SoftwarePasskey(userId, userLogin),
      );
      passkeyTarget = { origin: issuer.origin, rpId: issuer.hostname, rpIdHash: rpIdHash(issuer.hostname), passkeys };
      log(`stored ${passkeys.length} passkeys (P-256, software authenticator) for RP ID ${issuer.hostname}, origin ${issuer.origin}`);
    }

    // The argon2 bound is measured twice (now, and just before the sign-ins) and the better
    // kept: other jobs on the machine can only lower it.
    const argonRuns: Argon2Bound[] = [];
    if (runs('signin')) {
      log(`argon2id bound: ${VUS} concurrent verifications`);
      argonRuns.push(await argon2Bound(VUS));
    }

    const loads: Partial<Record<Scenario, Record<ServerKey, LoadFigures>>> = {};
    const peaks = Object.fromEntries(keys.map((k) => [k, rssPeak(servers[k])])) as Record<ServerKey, ReturnType<typeof rssPeak>>;
    for (const scenario of SCENARIOS) {
      if (!runs(scenario)) continue;
      log(`${scenario}: the three servers in turn`);
      const fresh = await requestsOn();
      await checkAll(fresh, [scenario]);
      loads[scenario] = await compareServers(servers, Object.fromEntries(keys.map((k) => [k, fresh[k][scenario].spec])) as Record<ServerKey, ScenarioRequest['spec']>);
      await checkAll(fresh, [scenario]);
    }
    if (runs('signin')) {
      log(`argon2id bound again: ${VUS} concurrent verifications`);
      argonRuns.push(await argon2Bound(VUS));
    }

    const figures: RunFigures = { loads, argon2: argonRuns.length ? bestBound(argonRuns) : undefined, memory: { afterStart: memoryAfterStart } };
    if (runs('signin')) {
      log(`password sign-ins on sesam+redis: ${VUS} concurrent journeys (closed loop)`);
      const closed = await signIns(sesamRedis, STEPS, signInOnce);
      log(`password sign-ins at a fixed rate (open loop)`);
      figures.signIn = { closed, open: closed.signInsPerSecond > 0 ? await signInsAtRate(sesamRedis, STEPS, signInOnce, closed.signInsPerSecond) : undefined };
    }
    if (passkeyTarget) {
      const target = passkeyTarget;
      const once: SignInOnce = (base, user, stats) => passkeySignInOnce(base, user, stats, target);
      log(`passkey sign-ins on sesam+redis: ${VUS} concurrent journeys, then at a fixed rate`);
      const closed = await signIns(sesamRedis, PASSKEY_STEPS, once);
      figures.passkeySignIn = { closed, open: closed.signInsPerSecond > 0 ? await signInsAtRate(sesamRedis, PASSKEY_STEPS, once, closed.signInsPerSecond) : undefined };
    }
    figures.memory.underLoad = Object.fromEntries(keys.map((k) => [k, peaks[k].stop()])) as Record<ServerKey, number>;

    if (runs('store_counts')) {
      log(`store commands: ${COUNT_SIGNINS} password sign-ins${passkeyTarget ? ' and passkey sign-ins' : ''} one after the other, then ${COUNT_SIGNINS * 5} requests of each kind`);
      const counts: NonNullable<RunFigures['storeCounts']> = {
        passwordSignIn: await countStoreCommands(sesamRedis.url, redis.url, COUNT_SIGNINS, (i) => signInOnce(sesamRedis.url, i % USERS, noStats())),
        embeddedPasswordSignIn: await countStoreCommands(embedded.url, undefined, COUNT_SIGNINS, () => signInOnce(embedded.url, 0, noStats())),
        requests: {},
      };
      if (passkeyTarget) {
        const target = passkeyTarget;
        counts.passkeySignIn = await countStoreCommands(sesamRedis.url, redis.url, COUNT_SIGNINS, (i) => passkeySignInOnce(sesamRedis.url, i % USERS, noStats(), target));
      }
      const counted = await requestsOn();
      for (const scenario of SCENARIOS) {
        const { spec } = counted.sesamRedis[scenario];
        counts.requests[scenario] = await countStoreCommands(sesamRedis.url, redis.url, COUNT_SIGNINS * 5, async () => {
          const res = await fetch(sesamRedis.url + spec.path, { method: spec.method, headers: spec.headers, body: spec.body });
          await res.arrayBuffer();
        });
      }
      figures.storeCounts = counts;
    }
    await stopServers();

    if (runs('startup')) {
      log('time to ready of node dist/src/main.js: embedded (fresh and existing folder), PG+Redis (fresh and existing database)');
      figures.startup = await measureStartup(redis.url);
    }
    if (runs('workers')) {
      const env = { DATABASE_URL: database.url, REDIS_URL: redis.url, SESAM_DATA_DIR: pgDir };
      figures.workers = await workerRuns(WORKER_COUNTS, env, requests.sesamRedis.client_credentials.spec);
    }
    await cleanup();

    if (!FULL_SET) {
      // A partial run (BENCH_ONLY): raw figures on stdout, no results written.
      console.log(JSON.stringify(figures, null, 2));
      return;
    }
    const pkg = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
    const machine = {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      ramGB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      oidcProvider: pkg('oidc-provider'),
      argon2: pkg('argon2'),
      busyBeforeRun: busyBefore,
      redis: redis.private ? 'its own redis-server' : redis.url,
    };
    const results = buildResults(figures, { date: new Date().toISOString(), machine, settings: settings(), totalSeconds: round((Date.now() - started) / 1000, 1) });
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(RESULTS_JSON, JSON.stringify(results, null, 2) + '\n');
    fs.writeFileSync(RESULTS_SVG, renderChart(results));
    console.log(renderReport(results, { json: RESULTS_JSON, svg: RESULTS_SVG }));
  } finally {
    await cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
