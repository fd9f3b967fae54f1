/**
 * Linked accounts in the account portal (issue 12), over HTTP on PostgreSQL + Redis with a real
 * Google-like upstream: a user links Google from the portal (the provider's answer comes back to
 * the journey's callback, bound to the browser that asked), sees it listed, and unlinks it; never the last way in. The attack: the provider's answer brought by another browser
 * (an attacker's link request completed by a victim, or the reverse) links nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { PortalHttp, USER_AGENTS, flashOf, mainText } from '../helpers/portal-http.js';
import { followUpstreamSignIn, startUpstreamIdp, type UpstreamIdp } from '../helpers/upstream-idp.js';
import { Federation, FederationError } from '../../src/domain/federation.js';
import { FederatedIdentitiesRepository } from '../../src/repositories/federated-identities-repository.js';
import { UsersRepository } from '../../src/repositories/users-repository.js';

const PASSWORD = 'a sentence that is long enough';
const LINKED = '/account/security/linked';

describe('linked accounts in the portal', () => {
  let server: TestServer;
  let google: UpstreamIdp;

  beforeAll(async () => {
    google = await startUpstreamIdp({ flavour: 'googleLike' });
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'acme', name: 'Acme', policy: { mfa: 'off' } }],
        users: [
          { login: 'marie', email: 'marie@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
          { login: 'mallory', email: 'mallory@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
        ],
      },
    });
    google.addRedirectUri(`${server.issuer}/interaction/callback/google`);
    const p = google.provider();
    const res = await fetch(`${server.url}/admin/v1/providers/google`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await adminToken(server)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ preset: 'google', issuer: p.issuer, clientId: p.clientId, clientSecret: p.clientSecret }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await google?.stop();
  });

  async function signedIn(login: string): Promise<PortalHttp> {
    const b = new PortalHttp(server.issuer, USER_AGENTS.firefoxWindows);
    const page = await b.portalSignIn(login, PASSWORD);
    expect(new URL(page.url).pathname).toMatch(/^\/account/);
    return b;
  }

  /** Presses "Link Google" and returns where the provider was asked. */
  async function startLink(b: PortalHttp): Promise<string> {
    const page = await b.page(LINKED);
    expect(page.html).toContain('name="provider" value="google"');
    const res = await b.action(`${LINKED}/link`, { provider: 'google' });
    expect(res.status).toBe(303);
    expect(res.location!.startsWith(google.issuer)).toBe(true);
    return res.location!;
  }

  const identities = (login: string) =>
    server.sesam.db('federated_identities').join('users', 'users.id', 'federated_identities.user_id').where('users.login', login).select('provider_id', 'subject');

  it('links Google from the portal and lists it', async () => {
    const b = await signedIn('marie');
    expect(mainText(await b.page('/account/security'))).toContain('No linked account');
    google.setAccount({ sub: 'g-marie', email: 'marie.perso@gmail.example', email_verified: true });
    const upstream = await startLink(b);
    const back = await followUpstreamSignIn(upstream, `${server.issuer}/interaction/callback/google`);
    const page = await b.follow(await b.fetch(String(back)));
    expect(new URL(page.url).pathname).toBe(LINKED);
    expect(mainText(page)).toContain('Your Google account is linked');
    expect(mainText(page)).toContain('marie.perso@gmail.example');
    expect(await identities('marie')).toEqual([{ provider_id: 'google', subject: 'g-marie' }]);
    const events = await server.sesam.db('events').where({ type: 'account.identity_linked' });
    expect(events.at(-1)).toMatchObject({ method: 'upstream:google' });
  });

  it("links nothing when the provider's answer comes back in another browser", async () => {
    const mallory = await signedIn('mallory');
    google.setAccount({ sub: 'g-victim', email: 'victim@gmail.example', email_verified: true });
    const upstream = await startLink(mallory);
    const back = await followUpstreamSignIn(upstream, `${server.issuer}/interaction/callback/google`);
    // The victim's browser (no link cookie of this request) follows the answer.
    const victim = new PortalHttp(server.issuer, USER_AGENTS.safariIphone);
    const answered = await victim.fetch(String(back));
    expect(answered.status).toBe(303);
    expect(answered.location).toContain('link_error=state_mismatch');
    expect(await identities('mallory')).toEqual([]);
    // Nor can the right browser use it afterwards: the request was single use.
    const late = await mallory.fetch(String(back));
    expect(late.status).toBe(400);
    expect(await identities('mallory')).toEqual([]);
  });

  it('refuses a Google account linked to another account already', async () => {
    const mallory = await signedIn('mallory');
    google.setAccount({ sub: 'g-marie', email: 'marie.perso@gmail.example', email_verified: true });
    const upstream = await startLink(mallory);
    const back = await followUpstreamSignIn(upstream, `${server.issuer}/interaction/callback/google`);
    const page = await mallory.follow(await mallory.fetch(String(back)));
    expect(page.html).toContain('role="alert"');
    expect(mainText(page)).toContain('linked to another account already');
    expect(await identities('mallory')).toEqual([]);
  });

  it('unlinks from the portal', async () => {
    const b = await signedIn('marie');
    const done = await b.follow(await b.action(`${LINKED}/unlink`, { provider: 'google' }));
    expect(flashOf(done)).toEqual({ kind: 'success', text: 'Your Google account is no longer linked.' });
    expect(await identities('marie')).toEqual([]);
  });

  it('never unlinks the last way in', async () => {
    const federation = new Federation({
      identities: new FederatedIdentitiesRepository(server.sesam.db),
      users: new UsersRepository(server.sesam.db),
      tenants: { list: () => server.sesam.directory.tenants.list() },
      events: { record: async () => undefined } as never,
    });
    const users = new UsersRepository(server.sesam.db);
    const only = await users.insert({ login: 'only-google@example.be', email: 'only-google@example.be', name: null, phone: null, locale: null, passwordHash: null, mustChangePassword: false });
    await server.sesam.db('federated_identities').insert({ provider_id: 'google', subject: 'g-only', user_id: only.id, email: 'only-google@example.be', created_at: new Date() });
    await expect(federation.unlink(only.id, 'google', {}, { password: false, passkeys: 0 })).rejects.toMatchObject({ code: 'last_way_in' });
    await expect(federation.unlink(only.id, 'itsme', {}, { password: false, passkeys: 0 })).rejects.toBeInstanceOf(FederationError);
    await federation.unlink(only.id, 'google', {}, { password: false, passkeys: 1 });
    expect(await server.sesam.db('federated_identities').where({ user_id: only.id })).toEqual([]);
  });
});
