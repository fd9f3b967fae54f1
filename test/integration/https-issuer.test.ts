/**
 * Sesam behind a TLS-terminating proxy without TRUST_PROXY: an https ISSUER, plain HTTP on the
 * socket. Every cookie of the engine (an authorization request's interaction cookies) and of
 * Sesam's own app is Secure, every response carries HSTS, no forwarded header is trusted and
 * the source address stays the socket's. With an http issuer: no Secure, no HSTS.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CLIENT = { client_id: 'webapp', client_secret: 'a-client-secret-of-at-least-32-chars-0123', redirect_uris: ['https://app.example/cb'], first_party: true };
const IMPORT = { clients: [CLIENT], users: [{ login: 'marie', password: 'initial-password-1', mustChangePassword: false }] };

const cookieHeader = (setCookies: string[]) => setCookies.map((c) => c.split(';')[0]).join('; ');

async function authorize(server: TestServer) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const url = new URL('/auth', server.url);
  url.search = new URLSearchParams({
    client_id: CLIENT.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: CLIENT.redirect_uris[0],
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'xyz',
  }).toString();
  return fetch(url, { redirect: 'manual', headers: { 'x-forwarded-proto': 'http' } });
}

/** Sesam's own Koa app with a probe route, over plain HTTP: its cookies and what it takes for the source. */
async function probeSesamApp(server: TestServer, askSecure: boolean): Promise<{ cookies: string[]; body: { ip: string; secure: boolean }; hsts: string | null }> {
  const app = server.sesam.app;
  app.use(async (ctx, next) => {
    if (ctx.path !== '/_probe') return next();
    ctx.cookies.set('probe', 'plain');
    // Koa refuses `secure: true` on what it takes for an unencrypted connection
    if (askSecure) ctx.cookies.set('probe-secure', 'asked', { secure: true, signed: true, httpOnly: true });
    ctx.body = { ip: ctx.ip, secure: ctx.secure };
  });
  const probe = http.createServer(app.callback());
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = probe.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/_probe`, { headers: { 'x-forwarded-for': '203.0.113.99', 'x-forwarded-proto': 'http' } });
    return { cookies: res.headers.getSetCookie(), body: (await res.json()) as { ip: string; secure: boolean }, hsts: res.headers.get('strict-transport-security') };
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

/**
 * Signs marie in without the login pages (being rewritten elsewhere): the interaction is
 * finished through the engine's API, then resumed like a browser would. Returns every cookie
 * set on the way, the engine's session cookie included.
 */
async function signIn(server: TestServer): Promise<string[]> {
  const start = await authorize(server);
  const interactionCookies = start.headers.getSetCookie();
  const user = await server.sesam.directory.users.findByIdentifier('marie');
  const provider = server.sesam.host.current;
  const finish = http.createServer((req, res) => {
    provider
      .interactionResult(req, res, { login: { accountId: user!.id } }, { mergeWithLastSubmission: false })
      .then((to) => res.end(to), (err: Error) => res.writeHead(500).end(err.message));
  });
  await new Promise<void>((resolve) => finish.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = finish.address() as AddressInfo;
    const uid = start.headers.get('location')!.split('/').pop();
    const done = await fetch(`http://127.0.0.1:${port}/interaction/${uid}`, { headers: { cookie: cookieHeader(interactionCookies) } });
    expect(done.status).toBe(200);
    const resume = new URL(await done.text());
    const resumed = await fetch(new URL(resume.pathname + resume.search, server.url), { redirect: 'manual', headers: { cookie: cookieHeader(interactionCookies) } });
    expect(resumed.status).toBe(303);
    return [...interactionCookies, ...resumed.headers.getSetCookie()];
  } finally {
    await new Promise<void>((resolve) => finish.close(() => resolve()));
  }
}

describe('https issuer behind a TLS-terminating proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'console', MAIL_TRANSPORT: 'console' }, import: IMPORT });
  });
  afterAll(async () => server?.stop());

  it("marks every engine cookie Secure and sends HSTS, on the engine's routes and Sesam's", async () => {
    const res = await authorize(server);
    expect(res.status).toBe(303);
    const cookies = res.headers.getSetCookie();
    const names = cookies.map((c) => c.split('=')[0]);
    expect(names).toEqual(expect.arrayContaining(['_interaction', '_interaction.sig', '_interaction_resume', '_interaction_resume.sig']));
    for (const c of cookies) expect(c).toMatch(/;\s*secure/i);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=63072000');
    // URLs the engine builds from the request use the issuer's scheme
    expect(res.headers.get('location')).toMatch(/^https:\/\/localhost:\d+\/interaction\/|^\/interaction\//);

    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(discovery.headers.get('strict-transport-security')).toBe('max-age=63072000');
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe('https://sesam.example');
    // the engine's own error answers too: an unknown path, a bad authorization request (page), a bad token request (JSON)
    const engineErrors = [
      await fetch(`${server.url}/no-such-engine-route`),
      await fetch(`${server.url}/auth?client_id=nobody`),
      await fetch(`${server.url}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) }),
    ];
    expect(engineErrors.map((r) => r.status)).toEqual([404, 400, 400]);
    for (const r of engineErrors) expect(r.headers.get('strict-transport-security')).toBe('max-age=63072000');

    for (const path of ['/healthz', '/', '/interaction/unknown', '/admin/v1/tenants']) {
      const r = await fetch(`${server.url}${path}`);
      expect([path, r.headers.get('strict-transport-security')]).toEqual([path, 'max-age=63072000']);
    }
  });

  it('marks the session cookie Secure after a sign-in', async () => {
    const cookies = await signIn(server);
    const names = cookies.map((c) => c.split('=')[0]);
    expect(names).toEqual(expect.arrayContaining(['_session', '_session.sig', '_interaction_resume']));
    for (const c of cookies) expect(c).toMatch(/;\s*secure/i);
  });

  it("marks Sesam's own cookies Secure without trusting forwarded headers", async () => {
    const { cookies, body, hsts } = await probeSesamApp(server, true);
    expect(cookies.map((c) => c.split('=')[0])).toEqual(['probe', 'probe-secure', 'probe-secure.sig']);
    for (const c of cookies) expect(c).toMatch(/;\s*secure/i);
    expect(body.secure).toBe(true);
    expect(body.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/); // the socket's, not X-Forwarded-For
    expect(hsts).toBe('max-age=63072000');
  });
});

describe('http issuer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ import: IMPORT });
  });
  afterAll(async () => server?.stop());

  it('sets no Secure cookie and no HSTS', async () => {
    const res = await authorize(server);
    expect(res.status).toBe(303);
    const cookies = res.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThanOrEqual(4);
    for (const c of cookies) expect(c).not.toMatch(/;\s*secure/i);
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect((await fetch(`${server.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
    const session = await signIn(server);
    expect(session.map((c) => c.split('=')[0])).toContain('_session');
    for (const c of session) expect(c).not.toMatch(/;\s*secure/i);
    const { cookies: own, hsts } = await probeSesamApp(server, false);
    expect(own.find((c) => c.startsWith('probe='))).not.toMatch(/;\s*secure/i);
    expect(hsts).toBeNull();
  });
});
