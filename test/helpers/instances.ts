/**
 * Two Sesam instances of one deployment behind a round-robin proxy on loopback whose URL is the
 * issuer (issue 13): one PostgreSQL, one Redis (the local one, a test Cluster or a Sentinel set),
 * one master key, each instance with a data folder of its own. Shared by the tests that run a
 * sign-in changing instance at every request and check what one instance sees of the other's
 * changes.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as oidc from 'openid-client';
import { expect } from '@jest/globals';
import { startTestServer, freePort, adminToken, type TestServer, type TestServerOptions } from './server.js';
import { tmpDir } from './stores.js';
import { relyingParty, type RelyingParty } from './browser.js';
import { JourneyClient } from './journey-client.js';

export const PASSWORD = 'a sentence that is long enough';
export const SECRET = 'app-secret-that-is-long-enough-1234';
export const REDIRECT = 'http://127.0.0.1:9/cb';
const PHONE = '+32470000002';

export type RoundRobin = ReturnType<typeof roundRobin>;

/** Sends each request to the next backend in turn, keeping the Host the client used (the issuer's). */
export function roundRobin(port: number) {
  const backends: string[] = [];
  const served: string[] = [];
  const server = http.createServer((req, res) => {
    const target = new URL(backends[served.length % backends.length]);
    served.push(target.origin);
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return {
    url: `http://localhost:${port}`,
    backends,
    served,
    listen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resolves with the time `check` took to hold, polling every 50 ms; throws past `ms`. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

export interface Deployment {
  a: TestServer;
  b: TestServer;
  proxy: RoundRobin;
  /** The SMS outbox both instances write to. */
  outbox: string;
  /** The bootstrap admin secret `a` wrote before `b` started. */
  firstAdminSecret: string;
  stop(): Promise<void>;
}

/**
 * Starts `a` with a tenant requiring SMS codes, its user `vic` (verified phone) and the
 * first-party client `app`, then `b` sharing its stores, both behind the proxy. Caches last an
 * hour: only the invalidation can explain a change seen within a second.
 */
export async function startTwoInstances(redis: TestServerOptions['redis'] = true): Promise<Deployment> {
  const proxy = roundRobin(await freePort());
  await proxy.listen();
  const outbox = path.join(tmpDir(), 'sms.jsonl');
  const env = { ISSUER: proxy.url, SMS_OUTBOX: outbox, CLIENT_CACHE_SECONDS: '3600' };
  const a = await startTestServer({
    redis,
    env,
    import: {
      tenants: [{ id: 'sms', name: 'Jobs Liège', policy: { mfa: 'required', methods: ['sms'], trustedDeviceDays: 0 } }],
      users: [{ login: 'vic', password: PASSWORD, phone: PHONE, mustChangePassword: false, tenants: ['sms'] }],
      clients: [{ client_id: 'app', client_secret: SECRET, redirect_uris: [REDIRECT], tenants: ['sms'], first_party: true }],
    },
  });
  await a.sesam.db('users').where({ login: 'vic' }).update({ phone_verified_at: new Date(), mfa_enabled_by: 'required' });
  const firstAdminSecret = JSON.parse(fs.readFileSync(path.join(a.dataDir, 'admin-client.json'), 'utf8')).client_secret as string;
  const b = await startTestServer({ redis, shareWith: a, env }).catch(async (error: unknown) => {
    await a.stop();
    await proxy.close();
    throw error;
  });
  proxy.backends.push(a.url, b.url);
  return {
    a,
    b,
    proxy,
    outbox,
    firstAdminSecret,
    async stop() {
      await b.stop();
      await a.stop();
      await proxy.close();
    },
  };
}

/**
 * `vic` signs in with password and SMS code through the proxy, to the tokens and userinfo;
 * asserts every request went to the other instance than the one before.
 */
export async function signInAlternating({ proxy, outbox }: Deployment): Promise<{ rp: RelyingParty; journey: JourneyClient; tokens: Awaited<ReturnType<JourneyClient['tokens']>> }> {
  const rp = await relyingParty(proxy.url, 'app', SECRET, REDIRECT);
  const journey = new JourneyClient(proxy.url, rp);
  const before = proxy.served.length;
  await journey.start();
  await journey.post('identifier', { identifier: 'vic' });
  let page = await journey.post('password', { password: PASSWORD });
  if (!/name="code"/.test(page.html)) page = await journey.post('second-factor', { method: 'sms', action: 'send' });
  expect(page.html).toMatch(/name="code"/);
  const sms = fs.readFileSync(outbox, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { to: string; text: string }).filter((m) => m.to === PHONE).at(-1);
  const code = /\b(\d{6})\b/.exec(sms?.text ?? '')?.[1] ?? '';
  await journey.post('second-factor', { action: 'verify', method: 'sms', code });
  expect(journey.callback?.searchParams.get('code')).toBeTruthy();
  const tokens = await journey.tokens();
  const claims = tokens.claims()!;
  const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
  expect(info.sub).toBe(claims.sub);

  const steps = proxy.served.slice(before);
  expect(steps.length).toBeGreaterThan(10);
  for (let i = 1; i < steps.length; i++) expect(steps[i]).not.toBe(steps[i - 1]);
  return { rp, journey, tokens };
}

/**
 * Adds a redirect URI to `app` through `a`'s admin API after `b` cached the client without it;
 * asserts `b` accepts the new URI within a second (an announcement, not its hour-long cache).
 */
export async function clientChangeSeenByOther({ a, b }: Deployment): Promise<void> {
  const added = 'http://127.0.0.1:9/other-cb';
  const authorize = async (server: TestServer) => {
    const url = new URL('/auth', server.url);
    url.search = new URLSearchParams({ client_id: 'app', redirect_uri: added, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString();
    return (await fetch(url, { redirect: 'manual' })).status;
  };
  expect(await authorize(b)).toBe(400); // B now caches the client without the new redirect URI
  const token = await adminToken(a);
  const put = await fetch(`${a.url}/admin/v1/clients/app`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT, added], tenants: ['sms'], first_party: true }),
  });
  expect(put.status).toBe(200);
  await within(1000, async () => (await authorize(b)) === 303);
}
