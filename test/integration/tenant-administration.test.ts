/**
 * Tenant administration on a real server (PostgreSQL + Redis): two tenants, an admin of each, a
 * shared account member of both. A tenant admin acts in their tenant only, a plain member not at
 * all; a shared account's password, second factors and disabling are refused; an existing login
 * only gains the membership; the last admin stays; every action names the acting admin.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { EventLog } from '../../src/domain/events.js';
import { TenantAdministration, TenantAdminError, type TenantAdmin } from '../../src/domain/tenant-administration.js';
import type { User } from '../../src/model/types.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';

const PASSWORD = 'correct-horse-battery-staple-1';

describe('tenant administration', () => {
  let server: TestServer;
  let admin: TenantAdministration;
  const ids: Record<string, string> = {};
  let asA: TenantAdmin;
  let asB: TenantAdmin;

  const user = async (login: string): Promise<User> => (await server.sesam.directory.users.findByIdentifier(login))!;
  const code = async (work: Promise<unknown>): Promise<string> => {
    try {
      await work;
    } catch (err) {
      if (err instanceof TenantAdminError) return err.code;
      throw err;
    }
    return 'ok';
  };
  const eventsOf = (type: string, userId?: string) => server.sesam.events.list({ type, ...(userId ? { userId } : {}) });

  beforeAll(async () => {
    server = await startTestServer({
      redis: true,
      import: {
        tenants: [
          { id: 'office-a', name: 'Office A' },
          { id: 'office-b', name: 'Office B' },
        ],
        users: [
          { login: 'admin-a', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'office-a', role: 'admin' }] },
          { login: 'admin-b', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'office-b', role: 'admin' }] },
          { login: 'shared', email: 'shared@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['office-a', 'office-b'] },
          { login: 'only-a', name: 'Anna Alone', password: PASSWORD, mustChangePassword: false, tenants: ['office-a'] },
          { login: 'plain-a', password: PASSWORD, mustChangePassword: false, tenants: ['office-a'] },
          { login: 'only-b', password: PASSWORD, mustChangePassword: false, tenants: ['office-b'] },
        ],
      },
    });
    const { sesam } = server;
    admin = new TenantAdministration({ db: sesam.db, directory: sesam.directory, credentials: sesam.credentials, events: new EventLog(sesam.events, sesam.logger), eventsRepo: sesam.events });
    for (const login of ['admin-a', 'admin-b', 'shared', 'only-a', 'plain-a', 'only-b']) ids[login] = (await user(login)).id;
    asA = { userId: ids['admin-a'], tenantId: 'office-a', ip: '192.0.2.1', userAgent: 'test' };
    asB = { userId: ids['admin-b'], tenantId: 'office-b', ip: '192.0.2.2' };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("lists and searches the tenant's members only, a shared account marked as such", async () => {
    const { members } = await admin.members(asA);
    expect(members.map((m) => m.login).sort()).toEqual(['admin-a', 'only-a', 'plain-a', 'shared']);
    expect(members.find((m) => m.login === 'shared')?.shared).toBe(true);
    expect(members.find((m) => m.login === 'only-a')?.shared).toBe(false);
    expect((await admin.members(asA, { search: 'ALONE' })).members.map((m) => m.login)).toEqual(['only-a']);
    expect((await admin.members(asA, { search: 'shared@' })).members.map((m) => m.login)).toEqual(['shared']);
    expect((await admin.members(asA, { search: '%' })).members).toEqual([]);
    const page = await admin.members(asA, { limit: 2 });
    expect(page.members).toHaveLength(2);
    expect(page.nextOffset).toBe(2);
    expect((await admin.members(asA, { limit: 2, offset: 2 })).nextOffset).toBeUndefined();
    const one = await admin.member(asA, ids['only-a']);
    expect(one.role).toBe('member');
    expect(one.secondFactors.totp).toBe(false);
  });

  it("cannot read or touch another tenant's users or policy", async () => {
    const other = ids['only-b'];
    expect(await code(admin.member(asA, other))).toBe('not_found');
    expect(await code(admin.member(asA, 'only-b'))).toBe('not_found');
    expect(await code(admin.unlock(asA, other))).toBe('not_found');
    expect(await code(admin.resetPassword(asA, other, 'a-brand-new-password-42'))).toBe('not_found');
    expect(await code(admin.resetSecondFactors(asA, other))).toBe('not_found');
    expect(await code(admin.setDisabled(asA, other, true))).toBe('not_found');
    expect(await code(admin.changePhone(asA, other, '0470123456'))).toBe('not_found');
    expect(await code(admin.setRole(asA, other, 'admin'))).toBe('not_found');
    expect(await code(admin.removeMember(asA, other))).toBe('not_found');
    // Acting in the other tenant: not an admin there.
    const inB = { ...asA, tenantId: 'office-b' };
    expect(await code(admin.members(inB))).toBe('forbidden');
    expect(await code(admin.tenant(inB))).toBe('forbidden');
    expect(await code(admin.updatePolicy(inB, { mfa: 'required' }))).toBe('forbidden');
    expect(await code(admin.events(inB))).toBe('forbidden');
    expect(await code(admin.members({ ...asA, tenantId: 'no-such-tenant' }))).toBe('forbidden');
    expect((await server.sesam.directory.requireTenant('office-b')).policy.mfa).toBe('off');
    expect((await user('only-b')).disabled).toBe(false);
  });

  it('refuses a plain member every action', async () => {
    const plain = { userId: ids['plain-a'], tenantId: 'office-a' };
    const target = ids['only-a'];
    expect(await code(admin.members(plain))).toBe('forbidden');
    expect(await code(admin.member(plain, target))).toBe('forbidden');
    expect(await code(admin.createMember(plain, { login: 'sneaky', password: 'a-brand-new-password-42' }))).toBe('forbidden');
    expect(await code(admin.unlock(plain, target))).toBe('forbidden');
    expect(await code(admin.resetPassword(plain, target, 'a-brand-new-password-42'))).toBe('forbidden');
    expect(await code(admin.setRole(plain, ids['plain-a'], 'admin'))).toBe('forbidden');
    expect(await code(admin.updatePolicy(plain, { mfa: 'off' }))).toBe('forbidden');
    expect(await code(admin.events(plain))).toBe('forbidden');
    expect(await user('sneaky')).toBeUndefined();
    expect((await server.sesam.directory.users.memberships(ids['plain-a']))[0].role).toBe('member');
  });

  it("refuses to reset, disable or re-phone a shared account, saying why; unlocks it", async () => {
    const shared = ids['shared'];
    const before = await user('shared');
    for (const attempt of [
      admin.resetPassword(asA, shared, 'a-brand-new-password-42'),
      admin.resetSecondFactors(asA, shared),
      admin.setDisabled(asA, shared, true),
      admin.resetPassword(asB, shared, 'a-brand-new-password-42'),
    ]) {
      const err = await attempt.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(TenantAdminError);
      expect((err as TenantAdminError).code).toBe('shared_account');
      expect((err as TenantAdminError).message).toMatch(/also belongs to another tenant/);
    }
    const after = await user('shared');
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(after.disabled).toBe(false);
    // The number is the account's, proven or not: no tenant adds, replaces or removes it.
    expect(await code(admin.changePhone(asA, shared, '0470 12 34 56'))).toBe('shared_account');
    expect((await user('shared')).phone).toBeNull();
    await server.sesam.directory.users.update(shared, { phone: '+32470123456' });
    expect(await code(admin.changePhone(asB, shared, '0470654321'))).toBe('shared_account');
    expect(await code(admin.changePhone(asA, shared, null))).toBe('shared_account');
    await server.sesam.directory.users.update(shared, { phoneVerifiedAt: new Date() });
    expect(await code(admin.changePhone(asA, shared, '0470654321'))).toBe('shared_account');
    expect(await code(admin.changePhone(asA, shared, null))).toBe('shared_account');
    expect(await user('shared')).toMatchObject({ phone: '+32470123456', phoneVerifiedAt: expect.any(Date) });
    expect(await eventsOf('admin.phone_changed', shared)).toEqual([]);
    // The lock is the account's: any of its tenants' admins lifts it.
    await server.sesam.db('users').where({ id: shared }).update({ locked: true, failed_attempts: 3 });
    expect((await admin.unlock(asA, shared)).locked).toBe(false);
    const [unlocked] = await eventsOf('account.unlocked', shared);
    expect(unlocked).toMatchObject({ actorUserId: ids['admin-a'], actorType: 'tenant_admin', tenantId: 'office-a', ip: '192.0.2.1' });
  });

  it('resets the password and second factors of an account of this tenant alone', async () => {
    const id = ids['only-a'];
    const before = await user('only-a');
    expect(await code(admin.resetPassword(asA, id, 'short'))).toBe('invalid');
    const view = await admin.resetPassword(asA, id, 'a-brand-new-password-42');
    expect(view.mustChangePassword).toBe(true);
    expect((await user('only-a')).passwordHash).not.toBe(before.passwordHash);
    expect((await eventsOf('admin.password_reset', id))[0]).toMatchObject({ actorUserId: ids['admin-a'], tenantId: 'office-a' });
    expect((await eventsOf('account.sessions_ended', id))[0]).toMatchObject({ actorUserId: ids['admin-a'], details: expect.objectContaining({ reason: 'password_reset' }) });
    await server.sesam.directory.users.update(id, { phone: '+32470111111', phoneVerifiedAt: new Date(), preferredFactor: 'sms' });
    const reset = await admin.resetSecondFactors(asA, id);
    expect(reset.phoneVerified).toBe(false);
    expect((await eventsOf('admin.second_factors_reset', id))[0]).toMatchObject({ actorUserId: ids['admin-a'], tenantId: 'office-a' });
    // The phone is no second factor now: the admin may change it.
    expect((await admin.changePhone(asA, id, '0470222222')).phone).toBe('+32470222222');
    expect((await eventsOf('admin.phone_changed', id))[0]).toMatchObject({ actorUserId: ids['admin-a'] });
    expect(await code(admin.changePhone(asA, id, '12345'))).toBe('invalid');
  });

  it("changes the phone of an account of this tenant alone (seed 000): the new number is no factor until proven", async () => {
    const id = ids['plain-a'];
    // The lost phone was the member's proven second factor, and spared the code on a trusted browser.
    await server.sesam.directory.users.update(id, { phone: '+32470333333', phoneVerifiedAt: new Date(), preferredFactor: 'sms' });
    await new TrustedDevices(new DevicesRepository(server.sesam.db)).trust(id, { userAgent: 'the lost phone', days: 30 });
    expect((await server.sesam.credentials.status(id)).trustedDevices).toBe(1);

    const view = await admin.changePhone(asA, id, '+32 470 44 44 44');
    expect(view).toMatchObject({ phone: '+32470444444', phoneVerified: false });
    const after = await user('plain-a');
    expect(after).toMatchObject({ phone: '+32470444444', phoneVerifiedAt: null, preferredFactor: null });
    expect(await server.sesam.credentials.status(id)).toMatchObject({ sms: false, trustedDevices: 0 });
    expect((await eventsOf('admin.phone_changed', id))[0]).toMatchObject({ actorUserId: ids['admin-a'], tenantId: 'office-a', details: { wasFactor: true, trustedDevices: 1 } });
    expect((await eventsOf('account.sessions_ended', id))[0]).toMatchObject({ actorUserId: ids['admin-a'], details: expect.objectContaining({ reason: 'phone_changed' }) });

    // An unproven number replaced or removed: nothing else to end.
    const ended = (await eventsOf('account.sessions_ended', id)).length;
    expect((await admin.changePhone(asA, id, '0470555555')).phone).toBe('+32470555555');
    expect((await admin.changePhone(asA, id, null)).phone).toBeNull();
    expect((await admin.changePhone(asA, id, '   ')).phone).toBeNull();
    expect(await eventsOf('account.sessions_ended', id)).toHaveLength(ended);
    expect((await eventsOf('admin.phone_changed', id))[0].details).toMatchObject({ wasFactor: false });

    // Only a Belgian mobile: not a landline, a foreign number or junk; nothing changes.
    for (const bad of ['02 123 45 67', '+33 6 12 34 56 78', '12345', 'call me']) expect(await code(admin.changePhone(asA, id, bad))).toBe('invalid');
    expect((await user('plain-a')).phone).toBeNull();
  });

  it('disables and enables an account of this tenant alone, never their own', async () => {
    const id = ids['only-a'];
    expect((await admin.setDisabled(asA, id, true)).disabled).toBe(true);
    expect((await eventsOf('account.sessions_ended', id))[0].details).toMatchObject({ reason: 'disabled' });
    expect((await eventsOf('admin.user_updated', id))[0]).toMatchObject({ actorUserId: ids['admin-a'], tenantId: 'office-a' });
    expect((await admin.setDisabled(asA, id, false)).disabled).toBe(false);
    expect(await code(admin.setDisabled(asA, ids['admin-a'], true))).toBe('invalid');
  });

  it('creates a user with an initial password; an existing login only gains the membership', async () => {
    expect(await code(admin.createMember(asA, { login: 'new-one', password: '123' }))).toBe('invalid');
    expect(await code(admin.createMember(asA, { login: 'has space', password: 'a-brand-new-password-42' }))).toBe('invalid');
    const made = await admin.createMember(asA, { login: 'New-One', email: 'new@example.be', password: 'a-brand-new-password-42' });
    expect(made).toMatchObject({ created: true, passwordIgnored: false, member: { login: 'new-one', mustChangePassword: true, hasPassword: true, shared: false } });
    expect((await server.sesam.directory.users.memberships(made.member.id)).map((m) => m.tenantId)).toEqual(['office-a']);
    expect((await eventsOf('admin.user_created', made.member.id))[0]).toMatchObject({ actorUserId: ids['admin-a'], tenantId: 'office-a' });
    expect(await code(admin.createMember(asA, { login: 'new-one', password: 'a-brand-new-password-42' }))).toBe('conflict');
    // Someone else's e-mail is no login to take.
    expect(await code(admin.createMember(asA, { login: 'shared@example.be', password: 'a-brand-new-password-42' }))).toBe('conflict');

    const before = await user('only-b');
    const joined = await admin.createMember(asA, { login: 'only-b', email: 'other@example.be', name: 'Renamed', password: 'a-brand-new-password-42' });
    expect(joined).toMatchObject({ created: false, passwordIgnored: true, member: { id: ids['only-b'], shared: true, role: 'member' } });
    const after = await user('only-b');
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(after.mustChangePassword).toBe(false);
    expect(after.email).toBeNull();
    expect(after.name).toBeNull();
    expect((await server.sesam.directory.users.memberships(ids['only-b'])).map((m) => m.tenantId).sort()).toEqual(['office-a', 'office-b']);
    expect((await eventsOf('admin.membership_added', ids['only-b']))[0]).toMatchObject({ actorUserId: ids['admin-a'], tenantId: 'office-a' });
    // Now shared: neither tenant resets it.
    expect(await code(admin.resetPassword(asB, ids['only-b'], 'a-brand-new-password-42'))).toBe('shared_account');
  });

  it('keeps the last admin: no self-demotion or self-removal; a demoted admin can no longer act', async () => {
    expect(await code(admin.setRole(asA, ids['admin-a'], 'member'))).toBe('conflict');
    expect(await code(admin.removeMember(asA, ids['admin-a']))).toBe('conflict');
    expect((await admin.setRole(asA, ids['plain-a'], 'admin')).role).toBe('admin');
    expect((await eventsOf('admin.role_changed', ids['plain-a']))[0]).toMatchObject({ actorUserId: ids['admin-a'], details: { from: 'member', to: 'admin' } });
    const asPlain = { userId: ids['plain-a'], tenantId: 'office-a' };
    // Two admins demoting each other at once: one of them stays.
    const both = await Promise.all([code(admin.setRole(asA, ids['plain-a'], 'member')), code(admin.setRole(asPlain, ids['admin-a'], 'member'))]);
    expect(both.filter((c) => c === 'ok').length).toBeGreaterThanOrEqual(1);
    const roles = await Promise.all(['admin-a', 'plain-a'].map(async (l) => (await server.sesam.directory.users.memberships(ids[l]))[0].role));
    expect(roles).toContain('admin');
    // Put admin-a back as the only admin for the other tests.
    const stillAdmin = roles[0] === 'admin' ? asA : asPlain;
    await admin.setRole(stillAdmin, ids['admin-a'], 'admin');
    await admin.setRole(asA, ids['plain-a'], 'member');
    expect(await code(admin.members(asPlain))).toBe('forbidden');
  });

  it('removes a member from the tenant: the account stays, its sessions end', async () => {
    const id = ids['only-b'];
    await admin.removeMember(asA, id);
    expect((await server.sesam.directory.users.memberships(id)).map((m) => m.tenantId)).toEqual(['office-b']);
    expect(await user('only-b')).toBeDefined();
    expect((await eventsOf('admin.membership_removed', id))[0]).toMatchObject({ actorUserId: ids['admin-a'], tenantId: 'office-a' });
    expect((await eventsOf('account.sessions_ended', id))[0]).toMatchObject({ tenantId: 'office-a', details: expect.objectContaining({ reason: 'removed_from_tenant' }) });
    expect(await code(admin.member(asA, id))).toBe('not_found');
    expect(await code(admin.removeMember(asA, id))).toBe('not_found');
  });

  it('sets the tenant policy, validated and merged', async () => {
    await admin.updatePolicy(asA, { lockout: { threshold: 5 } });
    const t = await admin.updatePolicy(asA, { mfa: 'required', methods: ['totp'] });
    expect(t.policy).toMatchObject({ mfa: 'required', methods: ['totp'], lockout: { threshold: 5, mode: 'permanent' } });
    expect(await code(admin.updatePolicy(asA, { mfa: 'always' }))).toBe('invalid');
    expect(await code(admin.updatePolicy(asA, { lockout: { threshold: 0 } }))).toBe('invalid');
    expect(await code(admin.updatePolicy(asA, { unknownKey: 1 }))).toBe('invalid');
    expect((await admin.tenant(asA)).policy.lockout.threshold).toBe(5);
    expect((await server.sesam.directory.requireTenant('office-b')).policy.mfa).toBe('off');
    const [updated] = await eventsOf('admin.tenant_updated');
    expect(updated).toMatchObject({ actorUserId: ids['admin-a'], tenantId: 'office-a', targetType: 'tenant', targetId: 'office-a' });
  });

  it("reads the tenant's events, not another tenant's admin actions on a shared account", async () => {
    await server.sesam.db('users').where({ id: ids['shared'] }).update({ locked: true });
    await admin.unlock(asB, ids['shared']);
    await server.sesam.events.insert({ type: 'login.wrong_password', userId: ids['shared'], ip: '198.51.100.1' });
    await server.sesam.events.insert({ type: 'account.password_changed', userId: ids['shared'] });
    const { events } = await admin.events(asA, { limit: 200 });
    expect(events.length).toBeGreaterThan(5);
    expect(events.every((e) => e.tenantId === 'office-a' || (e.tenantId === null && e.type.startsWith('login.')))).toBe(true);
    expect(events.some((e) => e.type === 'login.wrong_password' && e.userId === ids['shared'])).toBe(true);
    expect(events.some((e) => e.type === 'account.password_changed')).toBe(false);
    expect(events.some((e) => e.actorUserId === ids['admin-b'])).toBe(false);
    expect((await admin.events(asB, { limit: 200 })).events.some((e) => e.actorUserId === ids['admin-b'] && e.type === 'account.unlocked')).toBe(true);
    const first = await admin.events(asA, { limit: 3 });
    expect(first.next).toBeDefined();
    const second = await admin.events(asA, { limit: 3, before: first.next });
    expect(second.events[0].id).toBeLessThan(first.events[2].id);
  });
});
