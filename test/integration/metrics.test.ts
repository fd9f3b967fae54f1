/**
 * Observability on real PostgreSQL + Redis: /metrics counts sign-ins by outcome and method,
 * times the journey's steps and the store, counts tokens by grant type, names no user in any
 * label, and answers only to the loopback (or, with METRICS_TOKEN, only to its bearer). Every
 * request has an id, answered in X-Request-Id and carried by the log lines written for it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { relyingParty } from '../helpers/browser.js';
import { JourneyClient } from '../helpers/journey-client.js';

const PASSWORD = 'Metrics-user-pass-1';
const WRONG = 'Not-the-password-77';
const LOGIN = 'metrics-watcher';
const EMAIL = 'metrics-watcher@example.be';

/** The value of one sample in a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return 0;
}

describe('metrics and request ids (PostgreSQL + Redis)', () => {
  let server: TestServer;
  const lines: string[] = [];
  let userId: string;

  beforeAll(async () => {
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    server = await startTestServer({ backend: 'postgres', redis: true, env: { TRUST_PROXY: 'true' }, logger });
    const { directory } = server.sesam;
    await directory.putTenant({ id: 'watch', name: 'Watch' } as never);
    userId = (await directory.createUser({ login: LOGIN, email: EMAIL, password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'watch', role: 'member' }] } as never)).id;
    await directory.putClient({ client_id: 'shop', redirect_uris: ['http://127.0.0.1:1/cb'], client_secret: 'shop-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const metrics = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/metrics`, { headers });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  async function journey() {
    return new JourneyClient(server.issuer, await relyingParty(server.issuer, 'shop', 'shop-secret-0123456789', 'http://127.0.0.1:1/cb'));
  }

  it('counts a wrong password and a sign-in, times the steps and the store, and names no one', async () => {
    const before = (await metrics()).text;

    const failing = await journey();
    await failing.start();
    await failing.post('identifier', { identifier: LOGIN });
    failing.headers['x-request-id'] = 'trace-wrong-password-1';
    await failing.post('password', { password: WRONG });

    const signing = await journey();
    let page = await signing.signIn(LOGIN, PASSWORD);
    if (!signing.callback && /action="[^"]*\/consent"/.test(page.html)) page = await signing.post('consent', { decision: 'allow' });
    expect(signing.callback?.searchParams.get('code')).toBeTruthy();
    await signing.tokens();
    await adminToken(server); // a client_credentials grant

    const after = await metrics();
    expect(after.status).toBe(200);
    expect(after.type).toMatch(/^text\/plain/);
    const { text } = after;
    const delta = (name: string, labels: Record<string, string> = {}) => sample(text, name, labels) - sample(before, name, labels);
    expect(delta('sesam_sign_ins_total', { outcome: 'failure', method: 'password' })).toBe(1);
    expect(delta('sesam_sign_ins_total', { outcome: 'success', method: 'password' })).toBe(1);
    expect(delta('sesam_tokens_issued_total', { grant: 'authorization_code' })).toBe(1);
    expect(delta('sesam_tokens_issued_total', { grant: 'client_credentials' })).toBe(1);
    expect(delta('sesam_interaction_step_seconds_count', { step: 'password', method: 'POST' })).toBe(2);
    expect(sample(text, 'sesam_interaction_step_seconds_count', { step: 'identifier', method: 'GET' })).toBeGreaterThan(0);
    expect(sample(text, 'sesam_store_seconds_count', { store: 'redis', op: 'get' })).toBeGreaterThan(0);
    expect(delta('sesam_db_queries_total')).toBeGreaterThan(0); // a sign-in reads the account in SQL
    expect(text).toMatch(/^process_cpu_user_seconds_total /m); // the process's default metrics
    // No user, address or interaction in a label.
    expect(text).not.toContain(LOGIN);
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain(userId);
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
    expect(text).not.toContain(signing.interaction!.split('/').pop()!);
    expect(text).not.toContain('127.0.0.1');

    // The wrong password's log line carries its request id; no line carries a password.
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.find((l) => l.event === 'login.wrong_password')?.requestId).toBe('trace-wrong-password-1');
    expect(lines.join('\n')).not.toContain(WRONG);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('answers X-Request-Id: the caller\'s when valid, else a new one, on Sesam\'s and the engine\'s routes', async () => {
    const own = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-1234.abc_DEF' } });
    expect(own.headers.get('x-request-id')).toBe('lb-1234.abc_DEF');
    const engine = await fetch(`${server.url}/.well-known/openid-configuration`, { headers: { 'x-request-id': 'engine-route-1' } });
    expect(engine.headers.get('x-request-id')).toBe('engine-route-1');
    for (const bad of ['has spaces', 'a'.repeat(65), 'line\\nbreak', '<script>']) {
      const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': bad } });
      const id = res.headers.get('x-request-id');
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const fresh = await fetch(`${server.url}/healthz`);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses /metrics to another address when no METRICS_TOKEN is set', async () => {
    const res = await metrics({ 'x-forwarded-for': '203.0.113.7' });
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('sesam_');
    expect(JSON.parse(res.text).error).toBe('access_denied');
  });
});

describe('metrics behind METRICS_TOKEN (PostgreSQL)', () => {
  let server: TestServer;
  const TOKEN = 'metrics-token-0123456789abcdef-0123456789';

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('asks the loopback for the token too, and takes only the right one', async () => {
    const get = (headers: Record<string, string> = {}) => fetch(`${server.url}/metrics`, { headers });
    const none = await get();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await get({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await get({ authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
    expect((await get({ authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` })).status).toBe(401);
    const ok = await get({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    await adminToken(server);
    // Without Redis the key-value store is PostgreSQL's, timed as such.
    await server.sesam.kv.get('metrics-probe');
    const again = await (await get({ authorization: `Bearer ${TOKEN}` })).text();
    expect(sample(again, 'sesam_tokens_issued_total', { grant: 'client_credentials' })).toBe(sample(text, 'sesam_tokens_issued_total', { grant: 'client_credentials' }) + 1);
    expect(again).toMatch(/^sesam_store_seconds_count\{store="postgres",op="\w+"\} \d+/m);
  });
});
