/**
 * Tenant admins on the admin API, on real PostgreSQL + Redis: a user signs in through the CLI's
 * client (`sesam-cli`, code + PKCE, a loopback redirect) asking `tenant-admin`, and the token acts
 * in the tenant chosen at that sign-in, while its user is an admin of it — never elsewhere, never
 * on the operator's routes. The attacks: another tenant's members and policy, a plain member's
 * token, a token of another app, an admin demoted or signed out after the token was issued, a
 * shared account's password.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../helpers/stores.js';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { relyingParty } from '../helpers/browser.js';
import { JourneyClient } from '../helpers/journey-client.js';
import type { StoredEvent } from '../../src/repositories/events-repository.js';

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

const PASSWORD = 'Tenant-admin-pass-1';

describe('tenant admins on the admin API (PostgreSQL + Redis)', () => {
  let server: TestServer;
  let operator: string;
  const outbox = path.join(tmpDir(), 'sms.jsonl');
  const lastSmsCode = () => /\b(\d{6})\b/.exec(JSON.parse(fs.readFileSync(outbox, 'utf8').trim().split('\n').at(-1)!).text)![1];

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', redis: true, env: { SMS_OUTBOX: outbox } });
    operator = await adminToken(server);
    for (const [id, name] of [['acme', 'Acme'], ['globex', 'Globex'], ['initech', 'Initech']]) {
      expect((await api(operator, 'POST', '/tenants', { id, name })).status).toBe(201);
    }
    const users: [string, (string | { id: string; role: string })[]][] = [
      ['anna', [{ id: 'acme', role: 'admin' }]],
      ['mark', ['acme']],
      ['gina', [{ id: 'globex', role: 'admin' }]],
      ['sam', ['acme', 'globex']],
      ['duo', [{ id: 'acme', role: 'admin' }, { id: 'globex', role: 'admin' }]],
      ['greg', ['globex']],
      ['hugo', [{ id: 'initech', role: 'admin' }]],
    ];
    for (const [login, tenants] of users) {
      expect((await api(operator, 'POST', '/users', { login, password: PASSWORD, mustChangePassword: false, tenants })).status).toBe(201);
    }
    await server.sesam.directory.putClient({ client_id: 'shop', redirect_uris: ['http://127.0.0.1:1/cb'], client_secret: 'shop-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function api(token: string | undefined, method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { 'user-agent': 'TenantAdminApiTest/1.0' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  /** Signs in through `clientId` (the CLI's by default), picking `tenant` when asked; the access token and the ID token's claims. */
  async function signIn(login: string, options: { tenant?: string; clientId?: string; secret?: string; redirect?: string; scope?: string; extra?: Record<string, string> } = {}) {
    const rp = await relyingParty(server.issuer, options.clientId ?? 'sesam-cli', options.secret, options.redirect ?? 'http://127.0.0.1:49152/callback');
    const journey = new JourneyClient(server.issuer, rp);
    let page = await journey.signIn(login, PASSWORD, { scope: options.scope ?? 'openid tenant-admin', ...options.extra });
    if (!journey.callback && /action="[^"]*\/second-factor"/.test(page.html)) {
      if (!/autocomplete="one-time-code"/.test(page.html)) await journey.post('second-factor', { action: 'send' });
      page = await journey.post('second-factor', { action: 'verify', code: lastSmsCode() });
    }
    if (!journey.callback && /action="[^"]*\/tenant"/.test(page.html)) {
      expect(options.tenant).toBeDefined();
      page = await journey.post('tenant', { tenant: options.tenant! });
    }
    if (!journey.callback && /action="[^"]*\/consent"/.test(page.html)) page = await journey.post('consent', { decision: 'allow' });
    expect(journey.callback?.searchParams.get('code')).toBeTruthy();
    const tokens = await journey.tokens();
    return { accessToken: tokens.access_token, claims: tokens.claims()!, scope: tokens.scope };
  }

  describe('an admin of one tenant', () => {
    let anna: string;

    beforeAll(async () => {
      const signedIn = await signIn('anna');
      anna = signedIn.accessToken;
      expect(signedIn.claims.org_id).toBe('acme');
      expect(signedIn.scope?.split(' ')).toContain('tenant-admin');
    });

    it('reads their tenant, its members (searched, paged) and its events', async () => {
      const tenant = await api(anna, 'GET', '/tenants/acme');
      expect(tenant.status).toBe(200);
      expect(tenant.body).toMatchObject({ id: 'acme', name: 'Acme' });

      const members = await api(anna, 'GET', '/tenants/acme/members');
      expect(members.status).toBe(200);
      expect(members.body.members.map((m: { login: string }) => m.login)).toEqual(['anna', 'duo', 'mark', 'sam']);
      expect(members.body.members.find((m: { login: string }) => m.login === 'sam')).toMatchObject({ shared: true, role: 'member' });
      expect(members.body.members[0]).not.toHaveProperty('passwordHash');

      const searched = await api(anna, 'GET', '/tenants/acme/members?search=MAR&limit=1');
      expect(searched.body).toEqual({ members: [expect.objectContaining({ login: 'mark' })], nextOffset: null });
      const paged = await api(anna, 'GET', '/tenants/acme/members?limit=2');
      expect(paged.body.nextOffset).toBe(2);
      expect((await api(anna, 'GET', '/tenants/acme/members?limit=0')).status).toBe(400);

      const mark = await api(anna, 'GET', '/tenants/acme/members/mark');
      expect(mark.status).toBe(200);
      expect(mark.body).toMatchObject({ login: 'mark', secondFactors: { sms: false, totp: false } });

      const events = await api(anna, 'GET', '/tenants/acme/events?limit=5');
      expect(events.status).toBe(200);
      expect(events.body.events.some((e: StoredEvent) => e.type === 'login.success' && e.userId)).toBe(true);
    });

    it("cannot read or touch another tenant's members, policy, events or audit trail", async () => {
      expect((await api(operator, 'PATCH', '/tenants/globex/policy', { mfa: 'optional' })).status).toBe(200);
      for (const [method, path, body] of [
        ['GET', '/tenants/globex'],
        ['GET', '/tenants/globex/members'],
        ['GET', '/tenants/globex/members/greg'],
        ['POST', '/tenants/globex/members/greg/unlock'],
        ['POST', '/tenants/globex/members/greg/reset-password', { password: 'Stolen-password-9' }],
        ['DELETE', '/tenants/globex/members/greg'],
        ['PATCH', '/tenants/globex/policy', { mfa: 'off' }],
        ['GET', '/tenants/globex/events'],
        ['GET', '/tenants/globex/audit'],
        ['GET', '/tenants/nowhere/members'],
      ] as const) {
        const res = await api(anna, method, path, body);
        expect([method, path, res.status, res.body.error]).toEqual([method, path, 403, 'forbidden']);
      }
      // Nor reach a member of the other tenant through their own tenant's path.
      expect((await api(anna, 'GET', '/tenants/acme/members/greg')).status).toBe(404);
      expect((await api(anna, 'POST', '/tenants/acme/members/greg/unlock')).status).toBe(404);
      expect((await api(operator, 'GET', '/tenants/globex')).body.policy.mfa).toBe('optional');
    });

    it("cannot use the operator's routes", async () => {
      for (const [method, path, body] of [
        ['GET', '/tenants'],
        ['POST', '/tenants', { id: 'mine', name: 'Mine' }],
        ['PUT', '/tenants/acme', { name: 'Renamed' }],
        ['DELETE', '/tenants/acme'],
        ['GET', '/users'],
        ['GET', '/users/greg'],
        ['POST', '/users/greg/reset-password', { password: 'Stolen-password-9' }],
        ['GET', '/clients'],
        ['POST', '/keys/rotate'],
        ['GET', '/events'],
      ] as const) {
        const res = await api(anna, method, path, body);
        expect([method, path, res.status, res.body.error]).toEqual([method, path, 403, 'insufficient_scope']);
        expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      }
    });

    it('creates a member who must change the initial password, and gives an existing login the membership only', async () => {
      const created = await api(anna, 'POST', '/tenants/acme/members', { login: 'newbie', name: 'New Bie', password: 'Initial-pass-22' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ created: true, passwordIgnored: false, member: { login: 'newbie', mustChangePassword: true, role: 'member' } });
      expect(created.headers.get('location')).toBe(`/admin/v1/tenants/acme/members/${created.body.member.id}`);
      expect((await api(anna, 'POST', '/tenants/acme/members', { login: 'newbie', password: 'Initial-pass-22' })).status).toBe(409);
      const weak = await api(anna, 'POST', '/tenants/acme/members', { login: 'weakling', password: 'short' });
      expect(weak.status).toBe(400);
      expect(weak.body.error_description).toMatch(/^password: /);

      // greg is Globex's: he gains Acme's membership, keeps his own password.
      const joined = await api(anna, 'POST', '/tenants/acme/members', { login: 'greg', password: 'Overwrite-attempt-3' });
      expect(joined.status).toBe(201);
      expect(joined.body).toMatchObject({ created: false, passwordIgnored: true, member: { login: 'greg', shared: true } });
      const greg = await server.sesam.directory.users.findByIdentifier('greg');
      expect(greg!.mustChangePassword).toBe(false);
      expect((await api(anna, 'DELETE', '/tenants/acme/members/greg')).status).toBe(204);
      expect((await api(anna, 'GET', '/tenants/acme/members/greg')).status).toBe(404);
    });

    it('unlocks, resets the password and second factors, changes the phone and role, disables a member of their tenant alone', async () => {
      await server.sesam.db('users').where({ login: 'mark' }).update({ locked: true, failed_attempts: 10 });
      const unlocked = await api(anna, 'POST', '/tenants/acme/members/mark/unlock');
      expect(unlocked.status).toBe(200);
      expect(unlocked.body).toMatchObject({ login: 'mark', locked: false });

      const reset = await api(anna, 'POST', '/tenants/acme/members/mark/reset-password', { password: 'Mark-new-initial-4' });
      expect(reset.status).toBe(200);
      expect(reset.body.mustChangePassword).toBe(true);
      expect((await api(anna, 'POST', '/tenants/acme/members/mark/reset-password', {})).status).toBe(400);

      expect((await api(anna, 'POST', '/tenants/acme/members/mark/reset-second-factors')).status).toBe(200);

      const phone = await api(anna, 'PUT', '/tenants/acme/members/mark/phone', { phone: '0470 12 34 56' });
      expect(phone.status).toBe(200);
      expect(phone.body).toMatchObject({ phone: '+32470123456', phoneVerified: false });
      const badPhone = await api(anna, 'PUT', '/tenants/acme/members/mark/phone', { phone: '02 123 45 67' });
      expect(badPhone.status).toBe(400);
      expect(badPhone.body.error_description).toContain('not a Belgian mobile number');

      expect((await api(anna, 'PUT', '/tenants/acme/members/mark/role', { role: 'admin' })).body.role).toBe('admin');
      expect((await api(anna, 'PUT', '/tenants/acme/members/mark/role', { role: 'member' })).body.role).toBe('member');
      expect((await api(anna, 'PUT', '/tenants/acme/members/mark/role', { role: 'owner' })).status).toBe(400);

      expect((await api(anna, 'POST', '/tenants/acme/members/mark/disable')).body.disabled).toBe(true);
      expect((await api(anna, 'POST', '/tenants/acme/members/mark/enable')).body.disabled).toBe(false);
      const self = await api(anna, 'POST', '/tenants/acme/members/anna/disable');
      expect(self.status).toBe(400);
    });

    it("refuses a shared account's password, second factors and disabling (shared_account), but unlocks it", async () => {
      for (const [path, body] of [
        ['/tenants/acme/members/sam/reset-password', { password: 'Sam-taken-over-5' }],
        ['/tenants/acme/members/sam/reset-second-factors'],
        ['/tenants/acme/members/sam/disable'],
      ] as const) {
        const res = await api(anna, 'POST', path, body);
        expect([path, res.status, res.body.error]).toEqual([path, 409, 'shared_account']);
        expect(res.body.error_description).toContain('also belongs to another tenant');
      }
      const sam = await server.sesam.directory.users.findByIdentifier('sam');
      expect(sam!.mustChangePassword).toBe(false);
      expect(sam!.disabled).toBe(false);
      expect((await api(anna, 'POST', '/tenants/acme/members/sam/unlock')).status).toBe(200);
    });

    it('sets the tenant policy, validated', async () => {
      const set = await api(anna, 'PATCH', '/tenants/acme/policy', { mfa: 'required', lockout: { threshold: 7 } });
      expect(set.status).toBe(200);
      expect(set.body.policy).toMatchObject({ mfa: 'required', lockout: { threshold: 7 } });
      const bad = await api(anna, 'PATCH', '/tenants/acme/policy', { mfa: 'sometimes' });
      expect(bad.status).toBe(400);
      expect(bad.body.error_description).toMatch(/^policy\.mfa: /);
      expect((await api(anna, 'PATCH', '/tenants/acme/policy', { mfa: 'off' })).status).toBe(200);
    });

    it('records every change in the audit trail as the tenant admin, through the CLI client, readable by them', async () => {
      const audit = await api(anna, 'GET', '/tenants/acme/audit?limit=200');
      expect(audit.status).toBe(200);
      const annaId = (await server.sesam.directory.users.findByIdentifier('anna'))!.id;
      const mine = audit.body.events.filter((e: StoredEvent) => e.actorUserId === annaId);
      const types = new Set(mine.map((e: StoredEvent) => e.type));
      for (const type of ['admin.user_created', 'admin.membership_added', 'admin.membership_removed', 'account.unlocked', 'admin.password_reset', 'admin.second_factors_reset', 'admin.role_changed', 'admin.tenant_updated']) {
        expect([type, types.has(type)]).toEqual([type, true]);
      }
      for (const e of mine) {
        expect(e).toMatchObject({ actorType: 'tenant_admin', clientId: 'sesam-cli', tenantId: 'acme', userAgent: 'TenantAdminApiTest/1.0' });
        expect(JSON.stringify(e)).not.toMatch(/Mark-new-initial-4|Initial-pass-22/);
      }
    });
  });

  it('an admin of two tenants acts only in the one chosen at sign-in', async () => {
    const { accessToken, claims } = await signIn('duo', { tenant: 'globex' });
    expect(claims.org_id).toBe('globex');
    expect((await api(accessToken, 'GET', '/tenants/globex/members')).status).toBe(200);
    const other = await api(accessToken, 'GET', '/tenants/acme/members');
    expect(other.status).toBe(403);
    expect(other.body.error_description).toContain('globex');
  });

  it("refuses a plain member's token, whatever it asked for", async () => {
    const { accessToken } = await signIn('greg');
    const res = await api(accessToken, 'GET', '/tenants/globex/members');
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('forbidden');
    expect((await api(accessToken, 'GET', '/tenants/globex')).status).toBe(403);
  });

  it('refuses the token of an app not allowed the tenant-admin scope, even for an admin', async () => {
    const shop = { clientId: 'shop', secret: 'shop-secret-0123456789', redirect: 'http://127.0.0.1:1/cb' };
    // Asking for it is refused by the engine at the authorization request.
    const rp = await relyingParty(server.issuer, shop.clientId, shop.secret, shop.redirect);
    const journey = new JourneyClient(server.issuer, rp);
    await journey.start({ scope: 'openid tenant-admin' });
    expect(journey.callback?.searchParams.get('error')).toBe('invalid_scope');
    // And the app's ordinary token is no admin token.
    const { accessToken } = await signIn('gina', { ...shop, scope: 'openid profile' });
    const res = await api(accessToken, 'GET', '/tenants/globex/members');
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('insufficient_scope');
  });

  it('stops a token at once when its user is no longer an admin, or when their sessions end', async () => {
    const demoted = await signIn('gina');
    expect((await api(demoted.accessToken, 'GET', '/tenants/globex/members')).status).toBe(200);
    // Gina makes greg admin, then the operator demotes gina: her token (still valid) stops working.
    expect((await api(demoted.accessToken, 'PUT', '/tenants/globex/members/greg/role', { role: 'admin' })).status).toBe(200);
    expect((await api(operator, 'PUT', '/tenants/globex/members/gina/role', { role: 'member' })).status).toBe(200);
    const after = await api(demoted.accessToken, 'GET', '/tenants/globex/members');
    expect(after.status).toBe(403);
    expect(after.body.error).toBe('forbidden');
    expect((await api(operator, 'PUT', '/tenants/globex/members/gina/role', { role: 'admin' })).status).toBe(200);

    // A password reset ends every session and grant: the token is gone.
    const signedOut = await signIn('gina');
    expect((await api(signedOut.accessToken, 'GET', '/tenants/globex/members')).status).toBe(200);
    expect((await api(operator, 'POST', '/users/gina/reset-password', { password: 'Gina-reset-by-op-6' })).status).toBe(200);
    const gone = await api(signedOut.accessToken, 'GET', '/tenants/globex/members');
    expect(gone.status).toBe(401);
    expect(gone.body.error).toBe('invalid_token');
  });

  it('asks an admin who has a second factor to have proved it at the sign-in behind the token (RFC 9470)', async () => {
    // Initech does not ask for two-step verification, so a plain sign-in spares hugo his proven phone.
    await server.sesam.db('users').where({ login: 'hugo' }).update({ phone: '+32470999888', phone_verified_at: new Date() });
    const spared = await signIn('hugo');
    const refused = await api(spared.accessToken, 'GET', '/tenants/initech/members');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('insufficient_user_authentication');
    const challenge = refused.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_user_authentication"');
    const acrValues = /acr_values="([^"]+)"/.exec(challenge)?.[1];
    expect(acrValues).toBe('urn:sesam:acr:2fa');
    // Signing in again asking for what the challenge names (as sesam login does) asks for the code: that token administers.
    const proved = await signIn('hugo', { extra: { acr_values: acrValues! } });
    expect(proved.claims.acr).toBe('urn:sesam:acr:2fa');
    expect((await api(proved.accessToken, 'GET', '/tenants/initech/members')).status).toBe(200);
  });

  it('lets the operator act in any tenant on the same routes, as the operator', async () => {
    const members = await api(operator, 'GET', '/tenants/globex/members');
    expect(members.status).toBe(200);
    expect(members.body.members.map((m: { login: string }) => m.login)).toContain('gina');
    expect((await api(operator, 'GET', '/tenants/nowhere/members')).status).toBe(404);
    const before = Number((await server.sesam.db('events').max('id as max').first())?.max ?? 0);
    expect((await api(operator, 'POST', '/tenants/globex/members/greg/unlock')).status).toBe(200);
    const event = await server.sesam.db('events').where('id', '>', before).andWhere({ type: 'account.unlocked' }).first();
    expect(event).toMatchObject({ actor_type: 'operator', actor_user_id: null, client_id: server.sesam.adminCredentials.clientId });
  });
});
