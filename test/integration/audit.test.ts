/**
 * The audit trail on real PostgreSQL: every mutating admin route records who acted (the operator
 * client), on what (target kind and id) and from where (address, user agent); a tenant's trail
 * reads page by page; retention sweeps old rows and keeps recent ones; and no event ever holds
 * a secret an admin action carried (client secrets, passwords, recovery codes).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { adminRoutes } from '../../src/admin/route-table.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';
import { PasskeysRepository } from '../../src/repositories/passkeys-repository.js';
import { FederatedIdentitiesRepository } from '../../src/repositories/federated-identities-repository.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { sweepEvents } from '../../src/domain/events.js';
import type { StoredEvent } from '../../src/repositories/events-repository.js';

const UA = 'AuditTest/1.0 (an operator console)';

interface Answer {
  status: number;
  body: any;
}

interface Expected {
  type: string;
  targetType: 'user' | 'tenant' | 'client' | 'key' | 'initial_token' | 'provider';
  targetId?: string;
}

describe('audit trail (PostgreSQL)', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    // Dynamic registration on: its initial-access-token routes are walked too.
    server = await startTestServer({ backend: 'postgres', redis: false, env: { DYNAMIC_REGISTRATION: 'initial-access-token' } });
    token = await adminToken(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function api(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'user-agent': UA };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  const lastId = async () => Number((await server.sesam.db('events').max('id as max').first())?.max ?? 0);
  const eventsSince = async (id: number): Promise<StoredEvent[]> =>
    (await server.sesam.events.list({ limit: 1000 })).filter((e) => e.id > id).reverse();

  describe('every mutating route records actor, target and origin', () => {
    let userId: string;
    let memberId: string;
    let iatId: string;
    const devices = () => new TrustedDevices(new DevicesRepository(server.sesam.db));
    const passkeys = () => new PasskeysRepository(server.sesam.db);
    const newPasskey = () =>
      passkeys().insert({
        id: crypto.randomUUID(),
        userId,
        credentialId: crypto.randomBytes(32).toString('base64url'),
        publicKey: crypto.randomBytes(77).toString('base64url'),
        counter: 0,
        transports: ['internal'],
        aaguid: null,
        deviceType: 'singleDevice',
        backedUp: false,
        name: 'Laptop',
      });

    /** One call (or two) per mutating route, in an order where each finds what it needs. */
    const steps: [string, () => Promise<Expected[]>][] = [
      ['createTenant', async () => {
        expect((await api('POST', '/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
        return [{ type: 'admin.tenant_created', targetType: 'tenant', targetId: 'acme' }];
      }],
      ['putTenant', async () => {
        expect((await api('PUT', '/tenants/beta', { name: 'Beta' })).status).toBe(201);
        expect((await api('PUT', '/tenants/beta', { name: 'Beta SA' })).status).toBe(200);
        return [
          { type: 'admin.tenant_created', targetType: 'tenant', targetId: 'beta' },
          { type: 'admin.tenant_updated', targetType: 'tenant', targetId: 'beta' },
        ];
      }],
      ['patchTenantPolicy', async () => {
        expect((await api('PATCH', '/tenants/acme/policy', { mfa: 'optional' })).status).toBe(200);
        return [{ type: 'admin.tenant_updated', targetType: 'tenant', targetId: 'acme' }];
      }],
      ['deleteTenant', async () => {
        expect((await api('DELETE', '/tenants/beta')).status).toBe(204);
        return [{ type: 'admin.tenant_deleted', targetType: 'tenant', targetId: 'beta' }];
      }],
      ['createUser', async () => {
        const res = await api('POST', '/users', { login: 'walker', password: 'Walker-initial-1', tenants: ['acme'] });
        expect(res.status).toBe(201);
        userId = res.body.id;
        return [{ type: 'admin.user_created', targetType: 'user', targetId: userId }];
      }],
      ['patchUser', async () => {
        expect((await api('PATCH', '/users/walker', { name: 'Walker' })).status).toBe(200);
        return [{ type: 'admin.user_updated', targetType: 'user', targetId: userId }];
      }],
      ['unlockUser', async () => {
        expect((await api('POST', '/users/walker/unlock')).status).toBe(200);
        return [{ type: 'account.unlocked', targetType: 'user', targetId: userId }];
      }],
      ['resetUserPassword', async () => {
        expect((await api('POST', '/users/walker/reset-password', { password: 'Walker-reset-2' })).status).toBe(200);
        return [
          { type: 'admin.password_reset', targetType: 'user', targetId: userId },
          { type: 'account.sessions_ended', targetType: 'user', targetId: userId },
        ];
      }],
      ['resetUserSecondFactors', async () => {
        expect((await api('DELETE', '/users/walker/second-factors')).status).toBe(204);
        return [{ type: 'admin.second_factors_reset', targetType: 'user', targetId: userId }];
      }],
      ['revokeUserDevice', async () => {
        const device = await devices().trust(userId, { days: 30 });
        expect((await api('DELETE', `/users/walker/devices/${device.id}`)).status).toBe(204);
        return [{ type: 'admin.device_revoked', targetType: 'user', targetId: userId }];
      }],
      ['renameUserPasskey', async () => {
        const passkey = await newPasskey();
        expect((await api('PATCH', `/users/walker/passkeys/${passkey.id}`, { name: 'Office laptop' })).status).toBe(200);
        return [{ type: 'passkey.renamed', targetType: 'user', targetId: userId }];
      }],
      ['deleteUserPasskey', async () => {
        const passkey = await newPasskey();
        expect((await api('DELETE', `/users/walker/passkeys/${passkey.id}`)).status).toBe(204);
        return [{ type: 'passkey.removed', targetType: 'user', targetId: userId }];
      }],
      ['regenerateUserRecoveryCodes', async () => {
        expect((await api('POST', '/users/walker/recovery-codes')).status).toBe(200);
        return [{ type: 'admin.recovery_codes_regenerated', targetType: 'user', targetId: userId }];
      }],
      ['createMember', async () => {
        const res = await api('POST', '/tenants/acme/members', { login: 'member-walk', password: 'Member-walk-initial-1' });
        expect(res.status).toBe(201);
        memberId = res.body.member.id;
        return [{ type: 'admin.user_created', targetType: 'user', targetId: memberId }];
      }],
      ['unlockMember', async () => {
        expect((await api('POST', '/tenants/acme/members/member-walk/unlock')).status).toBe(200);
        return [{ type: 'account.unlocked', targetType: 'user', targetId: memberId }];
      }],
      ['resetMemberPassword', async () => {
        expect((await api('POST', '/tenants/acme/members/member-walk/reset-password', { password: 'Member-walk-reset-2' })).status).toBe(200);
        return [{ type: 'admin.password_reset', targetType: 'user', targetId: memberId }];
      }],
      ['resetMemberSecondFactors', async () => {
        expect((await api('POST', '/tenants/acme/members/member-walk/reset-second-factors')).status).toBe(200);
        return [{ type: 'admin.second_factors_reset', targetType: 'user', targetId: memberId }];
      }],
      ['setMemberPhone', async () => {
        expect((await api('PUT', '/tenants/acme/members/member-walk/phone', { phone: '+32470111222' })).status).toBe(200);
        return [{ type: 'admin.phone_changed', targetType: 'user', targetId: memberId }];
      }],
      ['setMemberRole', async () => {
        // A second admin, so that the tenant keeps one when member-walk is removed below.
        expect((await api('POST', '/tenants/acme/members', { login: 'member-two', password: 'Member-two-initial-1', role: 'admin' })).status).toBe(201);
        expect((await api('PUT', '/tenants/acme/members/member-walk/role', { role: 'admin' })).status).toBe(200);
        return [{ type: 'admin.role_changed', targetType: 'user', targetId: memberId }];
      }],
      ['disableMember', async () => {
        expect((await api('POST', '/tenants/acme/members/member-walk/disable')).status).toBe(200);
        return [{ type: 'admin.user_updated', targetType: 'user', targetId: memberId }];
      }],
      ['enableMember', async () => {
        expect((await api('POST', '/tenants/acme/members/member-walk/enable')).status).toBe(200);
        return [{ type: 'admin.user_updated', targetType: 'user', targetId: memberId }];
      }],
      ['removeMember', async () => {
        expect((await api('DELETE', '/tenants/acme/members/member-walk')).status).toBe(204);
        return [{ type: 'admin.membership_removed', targetType: 'user', targetId: memberId }];
      }],
      ['deleteUser', async () => {
        expect((await api('DELETE', '/users/walker')).status).toBe(204);
        return [{ type: 'admin.user_deleted', targetType: 'user', targetId: userId }];
      }],
      ['createClient', async () => {
        expect((await api('POST', '/clients', { client_id: 'walk-app', redirect_uris: ['https://walk.example/cb'] })).status).toBe(201);
        return [{ type: 'admin.client_created', targetType: 'client', targetId: 'walk-app' }];
      }],
      ['putClient', async () => {
        expect((await api('PUT', '/clients/walk-put', { redirect_uris: ['https://walk.example/cb'] })).status).toBe(201);
        expect((await api('PUT', '/clients/walk-put', { redirect_uris: ['https://walk.example/cb2'] })).status).toBe(200);
        return [
          { type: 'admin.client_created', targetType: 'client', targetId: 'walk-put' },
          { type: 'admin.client_updated', targetType: 'client', targetId: 'walk-put' },
        ];
      }],
      ['rotateClientSecret', async () => {
        const confidential = { client_id: 'walk-secret', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://walk.example/cb'] };
        expect((await api('POST', '/clients', confidential)).status).toBe(201);
        expect((await api('POST', '/clients/walk-secret/rotate-secret')).status).toBe(200);
        return [{ type: 'admin.client_secret_rotated', targetType: 'client', targetId: 'walk-secret' }];
      }],
      ['createInitialAccessToken', async () => {
        const res = await api('POST', '/initial-access-tokens', { tenants: ['acme'] });
        expect(res.status).toBe(201);
        iatId = res.body.id;
        return [{ type: 'admin.initial_access_token_created', targetType: 'initial_token', targetId: iatId }];
      }],
      ['revokeInitialAccessToken', async () => {
        expect((await api('DELETE', `/initial-access-tokens/${iatId}`)).status).toBe(204);
        return [{ type: 'admin.initial_access_token_revoked', targetType: 'initial_token', targetId: iatId }];
      }],
      ['putClientNotice', async () => {
        expect((await api('PUT', '/clients/walk-app/notice', { en: 'Maintenance on Sunday.' })).status).toBe(200);
        return [{ type: 'admin.client_updated', targetType: 'client', targetId: 'walk-app' }];
      }],
      ['deleteClientNotice', async () => {
        expect((await api('DELETE', '/clients/walk-app/notice')).status).toBe(200);
        return [{ type: 'admin.client_updated', targetType: 'client', targetId: 'walk-app' }];
      }],
      ['deleteClient', async () => {
        expect((await api('DELETE', '/clients/walk-put')).status).toBe(204);
        return [{ type: 'admin.client_deleted', targetType: 'client', targetId: 'walk-put' }];
      }],
      ['putProvider', async () => {
        expect((await api('PUT', '/providers/walk-idp', { issuer: 'https://idp.walk.example', clientId: 'sesam', clientSecret: 'walk-idp-secret' })).status).toBe(201);
        expect((await api('PUT', '/providers/walk-idp', { issuer: 'https://idp.walk.example', clientId: 'sesam-2' })).status).toBe(200);
        return [
          { type: 'admin.provider_created', targetType: 'provider', targetId: 'walk-idp' },
          { type: 'admin.provider_updated', targetType: 'provider', targetId: 'walk-idp' },
        ];
      }],
      ['deleteUserIdentity', async () => {
        const linked = await api('POST', '/users', { login: 'linked-walker', tenants: ['acme'] });
        expect(linked.status).toBe(201);
        await new FederatedIdentitiesRepository(server.sesam.db).link({ providerId: 'walk-idp', subject: 'walk-subject', userId: linked.body.id });
        expect((await api('DELETE', '/users/linked-walker/identities/walk-idp')).status).toBe(204);
        return [
          { type: 'admin.identity_unlinked', targetType: 'user', targetId: linked.body.id },
          { type: 'account.sessions_ended', targetType: 'user', targetId: linked.body.id },
        ];
      }],
      ['deleteProvider', async () => {
        expect((await api('DELETE', '/providers/walk-idp')).status).toBe(204);
        return [{ type: 'admin.provider_deleted', targetType: 'provider', targetId: 'walk-idp' }];
      }],
      ['rotateKeys', async () => {
        expect((await api('POST', '/keys/rotate')).status).toBe(200);
        return [{ type: 'admin.keys_rotated', targetType: 'key' }];
      }],
    ];

    it('covers every mutating route of the table', () => {
      const mutating = adminRoutes.filter((r) => r.method !== 'get').map((r) => r.operationId);
      expect(steps.map(([id]) => id).sort()).toEqual([...mutating].sort());
    });

    it('records each route’s events with the operator, the target, the address and the user agent', async () => {
      const seen = new Map<string, Set<string>>();
      for (const [operationId, step] of steps) {
        const before = await lastId();
        const expected = await step();
        const recorded = await eventsSince(before);
        seen.set(operationId, new Set(recorded.map((e) => e.type)));
        for (const want of expected) {
          const event = recorded.find((e) => e.type === want.type && e.targetType === want.targetType && (want.targetId === undefined || e.targetId === want.targetId));
          expect({ operationId, event }).toEqual({ operationId, event: expect.objectContaining({ type: want.type }) });
          expect(event).toMatchObject({
            actorType: 'operator',
            clientId: server.sesam.adminCredentials.clientId,
            actorUserId: null,
            userAgent: UA,
            ip: expect.stringMatching(/127\.0\.0\.1|::1/),
          });
          if (want.targetType === 'key') expect(event!.targetId).toBeTruthy();
        }
      }
      // Every audit event a route declares is one it was seen to record.
      for (const r of adminRoutes) {
        for (const type of r.audit ?? []) expect({ route: r.operationId, type, seen: seen.get(r.operationId)?.has(type) }).toEqual({ route: r.operationId, type, seen: true });
      }
    });
  });

  describe("a tenant's audit trail", () => {
    it('lists the admin actions naming the tenant or on its members, newest first, page by page, and nothing else', async () => {
      expect((await api('POST', '/tenants', { id: 'north', name: 'North' })).status).toBe(201);
      expect((await api('POST', '/tenants', { id: 'south', name: 'South' })).status).toBe(201);
      const ann = (await api('POST', '/users', { login: 'ann-north', tenants: ['north'] })).body;
      const bob = (await api('POST', '/users', { login: 'bob-south', tenants: ['south'] })).body;
      expect((await api('POST', '/users/ann-north/unlock')).status).toBe(200);
      expect((await api('POST', '/users/bob-south/unlock')).status).toBe(200);
      expect((await api('PATCH', '/tenants/north/policy', { mfa: 'required' })).status).toBe(200);
      // A sign-in-like event of a member, without an actor: not an audit row.
      await server.sesam.events.insert({ type: 'login.failure', userId: ann.id, tenantId: 'north', ip: '192.0.2.1' });
      // Another tenant's admin acting on a shared account names that tenant: not North's.
      await server.sesam.events.insert({ type: 'admin.user_updated', userId: ann.id, tenantId: 'south', actorType: 'tenant_admin', actorUserId: bob.id });

      const first = await api('GET', '/tenants/north/audit?limit=2');
      expect(first.status).toBe(200);
      expect(first.body.events.map((e: StoredEvent) => e.type)).toEqual(['admin.tenant_updated', 'account.unlocked']);
      expect(typeof first.body.next).toBe('string');
      const second = await api('GET', `/tenants/north/audit?limit=2&before=${encodeURIComponent(first.body.next)}`);
      expect(second.status).toBe(200);
      expect(second.body.events.map((e: StoredEvent) => e.type)).toEqual(['admin.user_created', 'admin.tenant_created']);
      expect(second.body.next).toBeNull();
      const all = [...first.body.events, ...second.body.events];
      expect(all.every((e: StoredEvent) => e.userId !== bob.id && e.targetId !== 'south')).toBe(true);
      expect(all.find((e: StoredEvent) => e.type === 'account.unlocked')).toMatchObject({ userId: ann.id, targetType: 'user', targetId: ann.id, actorType: 'operator' });

      const south = await api('GET', '/tenants/south/audit');
      expect(south.body.events.map((e: StoredEvent) => e.type)).toEqual(['admin.user_updated', 'account.unlocked', 'admin.user_created', 'admin.tenant_created']);
      expect(south.body.events[0]).toMatchObject({ actorType: 'tenant_admin', actorUserId: bob.id, targetType: 'user', targetId: ann.id });

      expect((await api('GET', '/tenants/nowhere/audit')).status).toBe(404);
      expect((await api('GET', '/tenants/north/audit?before=yesterday')).status).toBe(400);
      expect((await api('GET', '/tenants/north/audit?limit=0')).status).toBe(400);
    });
  });

  describe('retention', () => {
    it('deletes audit rows after AUDIT_RETENTION_DAYS and the others after EVENT_RETENTION_DAYS, keeping recent ones', async () => {
      expect(server.sesam.settings.retention).toEqual({ auditDays: 400, eventDays: 180 });
      const db = server.sesam.db;
      const daysAgo = (d: number) => new Date(Date.now() - d * 24 * 3600 * 1000);
      const marker = `retention-${crypto.randomUUID()}`;
      const row = (type: string, days: number, audit: boolean) => ({ type, at: daysAgo(days), actor_type: audit ? 'operator' : null, method: marker.slice(0, 32), details: JSON.stringify({ marker }) });
      // 2,500 old sign-ins: more than one batch.
      const oldPlain = Array.from({ length: 2500 }, () => row('login.failure', 200, false));
      for (let i = 0; i < oldPlain.length; i += 500) await db('events').insert(oldPlain.slice(i, i + 500));
      await db('events').insert([
        row('login.success', 170, false),
        row('admin.user_updated', 200, true),
        row('admin.user_deleted', 401, true),
        row('admin.client_created', 390, true),
      ]);
      const left = async () => db('events').whereRaw(`details->>'marker' = ?`, [marker]).orderBy('type').pluck('type');

      const swept = await sweepEvents(server.sesam.events, server.sesam.settings.retention);
      expect(swept.plain).toBeGreaterThanOrEqual(2500);
      expect(swept.audit).toBeGreaterThanOrEqual(1);
      expect(await left()).toEqual(['admin.client_created', 'admin.user_updated', 'login.success']);
      // Fresh events (the walk above) stay.
      expect(Number((await db('events').where('type', 'admin.tenant_created').count('* as n').first())?.n)).toBeGreaterThan(0);
      // Shorter settings sweep more.
      await sweepEvents(server.sesam.events, { auditDays: 30, eventDays: 7 });
      expect(await left()).toEqual([]);
    });
  });

  describe('never a secret', () => {
    it('keeps no client secret, password or recovery code in any event', async () => {
      const secrets: string[] = [];
      const s1 = `client-secret-${crypto.randomBytes(24).toString('hex')}`;
      const s2 = `client-secret-${crypto.randomBytes(24).toString('hex')}`;
      const s3 = `client-secret-${crypto.randomBytes(24).toString('hex')}`;
      secrets.push(s1, s2, s3);
      expect((await api('POST', '/tenants', { id: 'vault', name: 'Vault' })).status).toBe(201);
      const created = await api('POST', '/clients', { client_id: 'vault-app', client_secret: s1, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://vault.example/cb'], tenants: ['vault'] });
      expect(created.status).toBe(201);
      // Rotation: a new secret given, then a generated one.
      expect((await api('PUT', '/clients/vault-app', { client_secret: s2, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://vault.example/cb'] })).status).toBe(200);
      const generated = await api('POST', '/clients', { client_id: 'vault-gen', token_endpoint_auth_method: 'client_secret_post', redirect_uris: ['https://vault.example/cb'] });
      expect(typeof generated.body.client_secret).toBe('string');
      secrets.push(generated.body.client_secret);
      const putNew = await api('PUT', '/clients/vault-put', { client_secret: s3, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://vault.example/cb'] });
      expect(putNew.status).toBe(201);
      expect((await api('PUT', '/clients/vault-app/notice', { en: 'Never share your code.' })).status).toBe(200);
      // Rotation by Sesam: the new secret is in the answer only; an initial access token likewise.
      const rotated = await api('POST', '/clients/vault-app/rotate-secret');
      expect(typeof rotated.body.client_secret).toBe('string');
      secrets.push(rotated.body.client_secret);
      const iat = await api('POST', '/initial-access-tokens', { tenants: ['vault'] });
      expect(typeof iat.body.token).toBe('string');
      secrets.push(iat.body.token);

      const p1 = `Initial-${crypto.randomBytes(12).toString('hex')}`;
      const p2 = `Reset-${crypto.randomBytes(12).toString('hex')}`;
      secrets.push(p1, p2);
      const user = await api('POST', '/users', { login: 'vault-user', email: 'vault@example.be', password: p1, tenants: ['vault'] });
      expect(user.status).toBe(201);
      expect((await api('PATCH', '/users/vault-user', { password: 'nope-123456' })).status).toBe(400);
      expect((await api('POST', '/users/vault-user/reset-password', { password: p2 })).status).toBe(200);
      const codes = await api('POST', '/users/vault-user/recovery-codes');
      expect(codes.body.codes).toHaveLength(10);
      secrets.push(...codes.body.codes, ...codes.body.codes.map((c: string) => c.replace('-', '')));
      expect((await api('DELETE', '/users/vault-user/second-factors')).status).toBe(204);
      // What the database keeps of them (hashes, sealed secrets) must not reach the log either.
      const stored = await server.sesam.db('users').where('id', user.body.id).first();
      secrets.push(String(stored.password_hash));
      secrets.push(server.sesam.adminCredentials.clientSecret, token);

      const rows = await server.sesam.db('events').select('*');
      expect(rows.length).toBeGreaterThan(10);
      const dump = rows.map((r) => JSON.stringify(r));
      for (const secret of secrets) {
        const leaks = dump.filter((d) => d.includes(secret));
        expect({ secret: secret.slice(0, 12), leaks }).toEqual({ secret: secret.slice(0, 12), leaks: [] });
      }
      // No such field anywhere (the event type admin.client_secret_rotated names one, unquoted).
      expect(dump.join('\n')).not.toMatch(/\$argon2|"client_secret"|"password"/);
      const trail = JSON.stringify((await api('GET', '/tenants/vault/audit?limit=200')).body);
      for (const secret of secrets) expect(trail).not.toContain(secret);
      expect(trail).toContain('admin.password_reset');
    });
  });
});
