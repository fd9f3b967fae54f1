/**
 * Two Sesam instances of one deployment (issue 13, stateless instances): one PostgreSQL, one Redis
 * prefix, one master key, each with a data folder of its own, behind a round-robin proxy on
 * loopback whose URL is the issuer. A sign-in alternates between them at every request; a change
 * made through one is seen by the other within a second although their caches would keep the old
 * record for an hour; the second instance takes the deployment's admin secret instead of rotating
 * it; an instance with another master key refuses to start.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as oidc from 'openid-client';
import { startTestServer, freePort, adminToken, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
import { relyingParty } from '../helpers/browser.js';
import { JourneyClient } from '../helpers/journey-client.js';
import { StartupError } from '../../src/app.js';

const PASSWORD = 'a sentence that is long enough';
const SECRET = 'app-secret-that-is-long-enough-1234';
const REDIRECT = 'http://127.0.0.1:9/cb';

/** Sends each request to the next backend in turn, keeping the Host the client used (the issuer's). */
function roundRobin(port: number) {
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

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

describe('two instances sharing PostgreSQL and Redis', () => {
  let a: TestServer;
  let b: TestServer;
  let proxy: ReturnType<typeof roundRobin>;
  let outbox: string;
  let firstAdminSecret: string;

  beforeAll(async () => {
    proxy = roundRobin(await freePort());
    await proxy.listen();
    outbox = path.join(tmpDir(), 'sms.jsonl');
    // An hour of cache: only the invalidation can explain a change seen within a second.
    const env = { ISSUER: proxy.url, SMS_OUTBOX: outbox, CLIENT_CACHE_SECONDS: '3600' };
    a = await startTestServer({
      redis: true,
      env,
      import: {
        tenants: [{ id: 'sms', name: 'Jobs Liège', policy: { mfa: 'required', methods: ['sms'], trustedDeviceDays: 0 } }],
        users: [{ login: 'vic', password: PASSWORD, phone: '+32470000002', mustChangePassword: false, tenants: ['sms'] }],
        clients: [{ client_id: 'app', client_secret: SECRET, redirect_uris: [REDIRECT], tenants: ['sms'], first_party: true }],
      },
    });
    await a.sesam.db('users').where({ login: 'vic' }).update({ phone_verified_at: new Date(), mfa_enabled_by: 'required' });
    firstAdminSecret = JSON.parse(fs.readFileSync(path.join(a.dataDir, 'admin-client.json'), 'utf8')).client_secret;
    b = await startTestServer({ redis: true, shareWith: a, env });
    proxy.backends.push(a.url, b.url);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await proxy?.close();
  });

  it('a sign-in with an SMS code alternates between the instances at every request, to the tokens and userinfo', async () => {
    const rp = await relyingParty(proxy.url, 'app', SECRET, REDIRECT);
    const journey = new JourneyClient(proxy.url, rp);
    const before = proxy.served.length;
    await journey.start();
    await journey.post('identifier', { identifier: 'vic' });
    let page = await journey.post('password', { password: PASSWORD });
    if (!/name="code"/.test(page.html)) page = await journey.post('second-factor', { method: 'sms', action: 'send' });
    expect(page.html).toMatch(/name="code"/);
    const sms = fs.readFileSync(outbox, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { to: string; text: string }).filter((m) => m.to === '+32470000002').at(-1);
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
  });

  it('a client changed through one instance is seen by the other within a second', async () => {
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
  });

  it('an upstream provider added, then disabled, through one instance shows and goes on the other within a second', async () => {
    // Straight to B (not through the proxy): its identifier page, with the interaction's cookie.
    const identifierPageOfB = async () => {
      const url = new URL('/auth', b.url);
      url.search = new URLSearchParams({ client_id: 'app', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString();
      const auth = await fetch(url, { redirect: 'manual' });
      const cookie = auth.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const page = await fetch(new URL(new URL(auth.headers.get('location')!, b.url).pathname, b.url), { headers: { cookie } });
      return page.text();
    };
    const button = /data-provider="google"/;
    expect(await identifierPageOfB()).not.toMatch(button); // B now caches a list without it
    const token = await adminToken(a);
    const put = (enabled: boolean) =>
      fetch(`${a.url}/admin/v1/providers/google`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ preset: 'google', clientId: 'google-client.apps.example', clientSecret: 'google-secret-long-enough-1234', enabled }),
      });
    expect((await put(true)).status).toBe(201);
    await within(1000, async () => button.test(await identifierPageOfB()));
    expect((await put(false)).status).toBe(200);
    await within(1000, async () => !button.test(await identifierPageOfB()));
  });

  it('keys rotated through one instance sign on the other at once', async () => {
    const token = await adminToken(b);
    const rotated = await fetch(`${b.url}/admin/v1/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const { kids } = (await rotated.json()) as { kids: string[] };
    expect(kids.length).toBeGreaterThan(0);
    const published = async () => ((await (await fetch(`${a.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    // A's own watch polls once a minute: only the announcement explains a reload within a second.
    await within(1000, async () => {
      const keys = await published();
      return kids.every((kid) => keys.includes(kid));
    });
  });

  it('the second instance, with a data folder of its own, took the deployment admin secret instead of rotating it', async () => {
    expect(b.sesam.adminCredentials.clientSecret).toBe(firstAdminSecret);
    expect(JSON.parse(fs.readFileSync(path.join(b.dataDir, 'admin-client.json'), 'utf8')).client_secret).toBe(firstAdminSecret);
    expect(await adminToken(a)).toBeTruthy();
    expect(await adminToken(b)).toBeTruthy();
  });

  it('an instance with another master key refuses to start, saying which key to set', async () => {
    const active = async () => (await a.sesam.db('signing_keys').whereNull('retired_at').select('kid')).map((r) => r.kid as string).sort();
    const keysBefore = await active();
    const start = startTestServer({ redis: true, shareWith: a, shareKey: false, env: { ISSUER: proxy.url } });
    await expect(start).rejects.toThrow(StartupError);
    await expect(start).rejects.toThrow(/set SESAM_ENCRYPTION_KEY to the first instance's key/);
    // Nothing was rotated or regenerated by the attempt.
    expect(await adminToken(a)).toBeTruthy();
    expect(await active()).toEqual(keysBefore);
  });
});
