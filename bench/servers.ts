/**
 * The servers under test and their stores, for the benchmark.
 *
 * In the server child (serve.ts): `startBare` builds a bare oidc-provider (same version and
 * engine configuration as Sesam, in-memory adapter, static clients and accounts) and
 * `startSesam` builds Sesam exactly as main.ts / the tests do (loadSettings → createSesam →
 * listen).
 *
 * In the load-generating parent (run.ts): a fresh PostgreSQL database per run (the Redis is
 * redis-server.ts's), temporary data folders, `storePasskeys` (the passkeys of the passkey
 * sign-ins, written straight into that database) and `forkServer` which runs one server in a
 * child process and hands back its URL and its processes' cost.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import knexFactory from 'knex';
import { loadSettings } from '../config/settings.js';
import { createSesam } from '../src/app.js';
import { providerConfiguration } from '../src/oidc/configuration.js';
import { treeUsage, type Measured } from './process-usage.js';
import { SERVER_NODE_FLAGS } from '../config/node-flags.js';

export const PG_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// In the server child
// ---------------------------------------------------------------------------------------------

/** A signing key pair like Sesam's (RS256 2048 and ES256), so both publish the same kind of JWKS. */
async function signingKey(alg: 'RS256' | 'ES256'): Promise<JWK> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'RS256' ? { modulusLength: 2048, extractable: true } : { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

/**
 * Bare oidc-provider: the same version and Sesam's own engine configuration
 * (providerConfiguration: the same features, grants, claims, TTLs, token formats, refresh token
 * rule, introspection policy), but the engine's default in-memory adapter, the accounts in a
 * Map instead of SQL, and the engine's development interactions instead of Sesam's journey (only
 * to get a code for the refresh, introspection and userinfo loads: they are not measured). The
 * clients: the client_credentials client and the confidential web app, like Sesam's.
 */
export async function startBare(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const port = Number(env.PORT ?? 0);
  const host = env.HOST ?? '127.0.0.1';
  const issuer = env.ISSUER ?? `http://${host}:${port}`;
  const base = providerConfiguration({
    adapter: undefined,
    jwks: { keys: [await signingKey('RS256'), await signingKey('ES256')] },
    cookieKeys: [crypto.randomBytes(32).toString('base64url')],
    rememberDays: 30,
    // Every account exists, with the claims a Sesam account of the bench has.
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, preferred_username: sub, name: sub, email: `${sub}@bench.example`, email_verified: false, locale: 'fr', org_id: 'bench', org_name: 'Bench' }),
    }),
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
    logoutSource: async (ctx, form) => {
      ctx.body = form;
    },
    postLogoutSuccessSource: async (ctx) => {
      ctx.body = 'signed out';
    },
  });
  const provider = new Provider(issuer, {
    ...base,
    clients: [
      {
        client_id: env.BENCH_CC_CLIENT_ID ?? 'bench-cc',
        client_secret: env.BENCH_CC_CLIENT_SECRET ?? 'bench-cc-secret-bench-cc-secret-0123456789',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: env.BENCH_WEB_CLIENT_ID ?? 'bench-web',
        client_secret: env.BENCH_WEB_CLIENT_SECRET ?? 'bench-web-secret-bench-web-secret-0123456789',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [env.BENCH_WEB_REDIRECT_URI ?? 'http://127.0.0.1:1/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'openid profile email',
      },
    ],
    features: { ...base.features, devInteractions: { enabled: true } },
  });
  const server = http.createServer(provider.callback());
  server.keepAliveTimeout = 65000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Sesam as it runs in production, from an environment (DATABASE_URL, REDIS_URL, SESAM_IMPORT…). */
export async function startSesam(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const settings = loadSettings(env);
  const sesam = await createSesam(settings);
  const url = await sesam.listen();
  return { url, stop: () => sesam.close() };
}

// ---------------------------------------------------------------------------------------------
// In the parent
// ---------------------------------------------------------------------------------------------

export function tmpDir(): string {
  const dir = path.join(os.tmpdir(), `sesam-bench-${crypto.randomBytes(6).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A new, empty database `sesam_bench_<random>` (Sesam migrates it at start); `drop` removes it. */
export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sesam_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`create database ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
      try {
        await a.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await a.destroy();
      }
    },
  };
}

/**
 * Stores one passkey per login straight in the bench database's `passkeys` table, as a
 * registration would have (the users exist: Sesam imported them at start). `make` builds the
 * credential of a user (id, login); its `row()` is the table row. Returns the credentials, in
 * the order of `logins`.
 */
export async function storePasskeys<P extends { row(): object }>(databaseUrl: string, logins: readonly string[], make: (userId: string, login: string) => P): Promise<P[]> {
  const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
  try {
    const users: { id: string; login: string }[] = await db('users').whereIn('login', [...logins]).select('id', 'login');
    const byLogin = new Map(users.map((u) => [u.login, u.id]));
    const missing = logins.filter((l) => !byLogin.has(l));
    if (missing.length) throw new Error(`storePasskeys: no such users: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}`);
    const passkeys = logins.map((l) => make(byLogin.get(l)!, l));
    await db.batchInsert('passkeys', passkeys.map((p) => p.row()) as never, 100);
    return passkeys;
  } finally {
    await db.destroy();
  }
}

export type Target = 'bare' | 'sesam';

/** A server under test in a process of its own: its URL, its cost (process-usage.ts), its stop. */
export interface ServerProcess extends RunningServer, Measured {
  pid: number;
}

export type ForkedServer = ServerProcess;

/** What the server child inherits: a clean environment except these (and what `env` sets). */
export function passThrough(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'UV_THREADPOOL_SIZE', 'BENCH_NICE_THREADPOOL', 'BENCH_ARGON2_LIMIT'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
}

const SERVE_JS = fileURLToPath(new URL('./serve.js', import.meta.url));

/**
 * Runs one server in a child process (`serve.js`) and resolves when it listens. With
 * BENCH_CPU_PROF=<dir> the child writes a V8 CPU profile there when it stops.
 */
export async function forkServer(name: string, target: Target, env: Record<string, string>, startTimeoutMs = 120_000): Promise<ForkedServer> {
  // Every server with the flags `npm start` gives Sesam, bare oidc-provider too (a like-for-like comparison).
  const execArgv = [...SERVER_NODE_FLAGS, ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${name}.cpuprofile`] : [])];
  const child: ChildProcess = fork(SERVE_JS, [], {
    env: { ...passThrough(), ...env, BENCH_TARGET: target },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<string, (value: any) => void>();
  child.on('message', (msg: { type: string; [k: string]: unknown }) => {
    const waiter = pending.get(msg.type);
    if (waiter) {
      pending.delete(msg.type);
      waiter(msg);
    }
  });
  const waitFor = <T>(type: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(type);
        reject(new Error(`${name}: no "${type}" from the server child within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${name}: the server child exited (code ${code}) before "${type}"`));
      };
      child.once('exit', onExit);
      pending.set(type, (msg) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(msg as T);
      });
    });
  // The child answers { type: 'ready', url } or { type: 'ready', error }.
  const ready = await waitFor<{ url?: string; error?: string }>('ready', startTimeoutMs).catch((e: Error) => ({ url: undefined, error: e.message }));
  if (!ready.url) {
    child.kill('SIGKILL');
    throw new Error(`${name}: the server did not start: ${ready.error ?? 'unknown error'}`);
  }
  const url = ready.url;
  let stopped = false;
  return {
    name,
    url,
    pid: child.pid!,
    usage: () => treeUsage(child.pid!),
    async stop() {
      if (stopped || child.exitCode !== null) return;
      stopped = true;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
