/**
 * What a tenant admin (a member with the `admin` role) may do, enforced here rather than in the
 * routes: everything is scoped to the tenant they act in, and their role is read again at every
 * call (never trusted from a token). A shared account (a member of another tenant too) keeps what
 * is not this tenant's alone: its password, phone number, second factors and the switch that
 * disables it are refused (`shared_account`). Writes go through the Directory and Credentials; knows no HTTP.
 */
import { z } from 'zod';
import type { Database } from '../storage/database.js';
import { UsersRepository } from '../repositories/users-repository.js';
import type { EventCursor, EventsRepository, StoredEvent } from '../repositories/events-repository.js';
import type { Role, Tenant, User } from '../model/types.js';
import type { TenantPolicy } from '../model/tenant-policy.js';
import { DirectoryError, type Directory } from './directory.js';
import { actorMeta, type Actor, type Credentials, type SecondFactorStatus } from './credentials.js';
import type { EventLog } from './events.js';
import { checkNewPassword } from './passwords.js';
import { normalizeBelgianMobile } from './phone.js';
import { describeZodError, userInputSchema } from './schemas.js';

export type TenantAdminErrorCode = 'forbidden' | 'not_found' | 'shared_account' | 'invalid' | 'conflict';

/** A refusal the caller shows as is: 403, 404, 409 (`shared_account`, `conflict`), 400. */
export class TenantAdminError extends Error {
  constructor(
    readonly code: TenantAdminErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TenantAdminError';
  }
}

interface ActingIn {
  tenantId: string;
  ip?: string;
  userAgent?: string;
  /** The client app the admin acts through (the console, or the app holding their token). */
  clientId?: string;
}

/**
 * Who acts in a tenant, from where (for the events): a user, who must be an admin of it at the
 * time of each call; or the operator (a client the admin API authenticated with the `admin`
 * scope), who may act in every tenant under the same rules but the role.
 */
export type TenantAdmin = (ActingIn & { userId: string; operator?: false }) | (ActingIn & { operator: true; clientId: string; userId?: undefined });

/** A member as their tenant's admins see them: nothing of the account's other tenants but that there are some. */
export interface MemberView {
  id: string;
  login: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  phoneVerified: boolean;
  locale: string | null;
  role: Role;
  disabled: boolean;
  /** Locked by wrong passwords or codes (permanently, or until `lockedUntil`). */
  locked: boolean;
  lockedUntil: Date | null;
  mustChangePassword: boolean;
  hasPassword: boolean;
  /** A member of another tenant too: its password, phone number, second factors and disabling are not this tenant's. */
  shared: boolean;
  firstLoginAt: Date | null;
  createdAt: Date;
}

export const newMemberSchema = userInputSchema
  .pick({ login: true, email: true, name: true, phone: true, locale: true })
  .extend({ password: z.string().min(1).max(256), role: z.enum(['member', 'admin']).default('member') })
  .strict();
export type NewMember = z.input<typeof newMemberSchema>;

/** Events without a tenant that still concern the tenant of a member: a sign-in before the tenant is chosen, a lock. */
export const MEMBER_SIGN_IN_TYPES = [
  'login.wrong_password',
  'login.password_ok',
  'login.locked',
  'login.locked_trusted_device',
  'login.disabled',
  'login.throttled',
  'login.second_factor_failed',
  'login.passkey_failed',
  'account.locked',
] as const;

export interface TenantAdministrationDeps {
  db: Database;
  directory: Directory;
  credentials: Credentials;
  events: EventLog;
  eventsRepo: EventsRepository;
}

export class TenantAdministration {
  private readonly users: UsersRepository;

  constructor(private readonly deps: TenantAdministrationDeps) {
    this.users = deps.directory.users;
  }

  // --- members

  /** The tenant's members by login, optionally those whose login, e-mail or name contains `search`. */
  async members(admin: TenantAdmin, options: { search?: string; limit?: number; offset?: number } = {}): Promise<{ members: MemberView[]; nextOffset?: number }> {
    await this.authorize(admin);
    const limit = Math.max(1, Math.min(options.limit ?? 50, 200));
    const offset = Math.max(0, options.offset ?? 0);
    const search = options.search?.trim().slice(0, 200) || undefined;
    const users = await this.users.list({ tenantId: admin.tenantId, search, limit: limit + 1, offset });
    const members = await Promise.all(users.slice(0, limit).map((u) => this.view(u, admin.tenantId)));
    return { members, nextOffset: users.length > limit ? offset + limit : undefined };
  }

  /** One member with the state of their second factors; `not_found` for anyone not a member of this tenant. */
  async member(admin: TenantAdmin, memberId: string): Promise<MemberView & { secondFactors: SecondFactorStatus }> {
    await this.authorize(admin);
    const user = await this.requireMember(admin, memberId);
    return { ...(await this.view(user, admin.tenantId)), secondFactors: await this.deps.credentials.status(user.id) };
  }

  /**
   * Creates a user with an initial password (to change at the first sign-in), member of this
   * tenant. A login that exists already only gains the membership: the account keeps its own
   * password, factors and profile, and `passwordIgnored` says the initial password was not used.
   */
  async createMember(admin: TenantAdmin, input: NewMember): Promise<{ member: MemberView; created: boolean; passwordIgnored: boolean }> {
    const { tenant } = await this.authorize(admin);
    const parsed = newMemberSchema.safeParse(input);
    if (!parsed.success) throw new TenantAdminError('invalid', describeZodError(parsed.error));
    const m = parsed.data;
    const login = m.login.toLowerCase();
    const existing = await this.users.findByIdentifier(login);
    if (existing && existing.login === login) {
      if ((await this.users.memberships(existing.id)).some((x) => x.tenantId === tenant.id)) {
        throw new TenantAdminError('conflict', `${login} is already a member of this tenant`);
      }
      await this.users.setMembership(existing.id, tenant.id, m.role);
      await this.deps.events.record({ type: 'admin.membership_added', userId: existing.id, ...actorMeta(this.actor(admin)), details: { role: m.role, existingAccount: true } });
      return { member: await this.view(existing, tenant.id), created: false, passwordIgnored: true };
    }
    this.checkPassword(m.password, tenant.policy, [m.login, m.email]);
    const user = await this.guard(() =>
      this.deps.directory.createUser(
        { login: m.login, email: m.email, name: m.name, phone: m.phone, locale: m.locale, password: m.password, mustChangePassword: true, tenants: [{ id: tenant.id, role: m.role }] },
        this.actor(admin),
      ),
    );
    return { member: await this.view(user, tenant.id), created: true, passwordIgnored: false };
  }

  async unlock(admin: TenantAdmin, memberId: string): Promise<MemberView> {
    await this.authorize(admin);
    const user = await this.requireMember(admin, memberId);
    return this.view(await this.deps.credentials.unlock(user.id, this.actor(admin)), admin.tenantId);
  }

  /** An initial password (unlocks, signs out everywhere, to change at the next sign-in); only for an account of this tenant alone. */
  async resetPassword(admin: TenantAdmin, memberId: string, password: string): Promise<MemberView> {
    const { tenant } = await this.authorize(admin);
    const user = await this.requireMember(admin, memberId);
    await this.refuseShared(user, tenant.id, 'its password can only be reset by the operator or the account holder');
    this.checkPassword(password, tenant.policy, [user.login, user.email]);
    return this.view(await this.deps.credentials.resetPassword(user.id, password, this.actor(admin)), tenant.id);
  }

  /** Every second factor off, signed out everywhere; only for an account of this tenant alone. */
  async resetSecondFactors(admin: TenantAdmin, memberId: string): Promise<MemberView> {
    await this.authorize(admin);
    const user = await this.requireMember(admin, memberId);
    await this.refuseShared(user, admin.tenantId, 'its second factors can only be reset by the operator or the account holder');
    await this.deps.credentials.resetSecondFactors(user.id, this.actor(admin));
    return this.view((await this.users.findById(user.id))!, admin.tenantId);
  }

  /** Disables (signing out everywhere) or enables an account of this tenant alone; never the acting admin's own. */
  async setDisabled(admin: TenantAdmin, memberId: string, disabled: boolean): Promise<MemberView> {
    await this.authorize(admin);
    const user = await this.requireMember(admin, memberId);
    if (!admin.operator && user.id === admin.userId && disabled) throw new TenantAdminError('invalid', 'an admin cannot disable their own account');
    await this.refuseShared(user, admin.tenantId, 'disabling it would shut it out of its other tenants too');
    if (user.disabled === disabled) return this.view(user, admin.tenantId);
    return this.view(await this.guard(() => this.deps.directory.updateUser(user.id, { disabled }, this.actor(admin))), admin.tenantId);
  }

  /**
   * Replaces (or with null removes) the phone number (seed 000: a worker lost their phone). The
   * new number is not proven: SMS is no second factor until the member proves it with a code; a
   * proven old number takes the trusted devices and sessions with it (Credentials). Only for an
   * account of this tenant alone: the number is the account's, proven or not (the second factor
   * and the `phone_number` every tenant's apps read, the number offered when another tenant asks
   * for a second factor).
   */
  async changePhone(admin: TenantAdmin, memberId: string, phone: string | null): Promise<MemberView> {
    await this.authorize(admin);
    const user = await this.requireMember(admin, memberId);
    await this.refuseShared(user, admin.tenantId, 'its phone number can only be changed by the operator or the account holder');
    const e164 = phone === null || phone.trim() === '' ? null : normalizeBelgianMobile(phone);
    if (e164 === undefined) throw new TenantAdminError('invalid', `phone ${phone} is not a Belgian mobile number`);
    if (e164 === user.phone) return this.view(user, admin.tenantId);
    await this.deps.credentials.replacePhoneByAdmin(user, e164, this.actor(admin));
    return this.view((await this.users.findById(user.id))!, admin.tenantId);
  }

  /** Makes a member an admin or a plain member; the tenant always keeps one admin. */
  async setRole(admin: TenantAdmin, memberId: string, role: Role): Promise<MemberView> {
    await this.authorize(admin);
    if (role !== 'admin' && role !== 'member') throw new TenantAdminError('invalid', `role must be admin or member`);
    const user = await this.requireMember(admin, memberId);
    await this.deps.db.transaction(async (trx) => {
      const users = new UsersRepository(trx);
      const admins = await users.lockAdmins(admin.tenantId);
      const before: Role = admins.includes(user.id) ? 'admin' : 'member';
      if (before === role) return;
      if (role === 'member' && admins.length <= 1) throw new TenantAdminError('conflict', 'the tenant would have no admin left');
      await users.setMembership(user.id, admin.tenantId, role);
      await this.deps.events.with(trx).record({ type: 'admin.role_changed', userId: user.id, ...actorMeta(this.actor(admin)), details: { from: before, to: role } });
    });
    return this.view(user, admin.tenantId);
  }

  /**
   * Takes the member out of the tenant; the account stays (it may belong elsewhere). Its
   * sessions and grants all end: a browser session and the account index are per account, not
   * per tenant, and a grant issued for this tenant would otherwise keep minting tokens naming it.
   */
  async removeMember(admin: TenantAdmin, memberId: string): Promise<void> {
    await this.authorize(admin);
    const user = await this.requireMember(admin, memberId);
    await this.deps.db.transaction(async (trx) => {
      const users = new UsersRepository(trx);
      const admins = await users.lockAdmins(admin.tenantId);
      if (admins.includes(user.id) && admins.length <= 1) throw new TenantAdminError('conflict', 'the tenant would have no admin left');
      if (!(await users.removeMembership(user.id, admin.tenantId))) throw new TenantAdminError('not_found', `no member ${memberId} in this tenant`);
      await this.deps.events.with(trx).record({ type: 'admin.membership_removed', userId: user.id, ...actorMeta(this.actor(admin)), details: { login: user.login } });
    });
    await this.deps.credentials.endSessions(user.id, 'removed_from_tenant', actorMeta(this.actor(admin)));
  }

  // --- the tenant

  async tenant(admin: TenantAdmin): Promise<Tenant> {
    return (await this.authorize(admin)).tenant;
  }

  /** Merges `patch` into the policy (the operator's PATCH: `lockout` merged key by key), validated. */
  async updatePolicy(admin: TenantAdmin, patch: Record<string, unknown>): Promise<Tenant> {
    await this.authorize(admin);
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new TenantAdminError('invalid', 'policy: expected an object');
    let updated: Tenant;
    try {
      updated = await this.deps.directory.updateTenantPolicy(admin.tenantId, patch);
    } catch (err) {
      if (err instanceof z.ZodError) throw new TenantAdminError('invalid', describeZodError(err, 'policy'));
      throw err;
    }
    await this.deps.events.record({
      type: 'admin.tenant_updated',
      ...actorMeta(this.actor(admin)),
      targetType: 'tenant',
      targetId: admin.tenantId,
      details: { policyKeys: Object.keys(patch) },
    });
    return updated;
  }

  /**
   * The tenant's events, newest first: those recorded in it (sign-ins to it, its admins' actions)
   * and its members' sign-in failures and locks before a tenant was chosen. Not their own changes
   * in the account portal, nor what another tenant's admins did.
   */
  async events(admin: TenantAdmin, options: { before?: EventCursor; limit?: number } = {}): Promise<{ events: StoredEvent[]; next?: EventCursor }> {
    await this.authorize(admin);
    return this.deps.eventsRepo.tenantPage({ tenantId: admin.tenantId, memberTypes: MEMBER_SIGN_IN_TYPES, before: options.before, limit: options.limit ?? 50 });
  }

  /** The tenant's audit trail: admin actions naming it, or on its members (events-repository.ts `auditPage`). */
  async audit(admin: TenantAdmin, options: { before?: EventCursor; limit?: number } = {}): Promise<{ events: StoredEvent[]; next?: EventCursor }> {
    await this.authorize(admin);
    return this.deps.eventsRepo.auditPage({ tenantId: admin.tenantId, before: options.before, limit: options.limit ?? 50 });
  }

  // --- rules

  /**
   * The acting user is, now, an enabled admin member of an existing tenant; else `forbidden` (the
   * same answer for each reason). The operator needs only the tenant to exist.
   */
  private async authorize(admin: TenantAdmin): Promise<{ tenant: Tenant }> {
    if (admin.operator) {
      const tenant = await this.deps.directory.tenants.find(admin.tenantId);
      if (!tenant) throw new TenantAdminError('not_found', `no tenant ${admin.tenantId}`);
      return { tenant };
    }
    const refused = new TenantAdminError('forbidden', 'only an admin of this tenant may do this');
    if (!admin.userId) throw refused;
    const [tenant, self] = await Promise.all([this.deps.directory.tenants.find(admin.tenantId), this.users.findById(admin.userId)]);
    if (!tenant || !self || self.disabled) throw refused;
    const membership = (await this.users.memberships(self.id)).find((m) => m.tenantId === tenant.id);
    if (membership?.role !== 'admin') throw refused;
    return { tenant };
  }

  /** A member of the admin's tenant by id or login; anyone else is `not_found`, as if they did not exist. */
  private async requireMember(admin: TenantAdmin, idOrLogin: string): Promise<User> {
    const user = (await this.users.findById(idOrLogin)) ?? (await this.users.findByIdentifier(idOrLogin));
    if (!user || !(await this.users.memberships(user.id)).some((m) => m.tenantId === admin.tenantId)) {
      throw new TenantAdminError('not_found', `no member ${idOrLogin} in this tenant`);
    }
    return user;
  }

  private async refuseShared(user: User, tenantId: string, why: string): Promise<void> {
    if ((await this.users.memberships(user.id)).some((m) => m.tenantId !== tenantId)) {
      throw new TenantAdminError('shared_account', `${user.login} also belongs to another tenant: ${why}`);
    }
  }

  private checkPassword(password: string, policy: TenantPolicy, identifiers: (string | null | undefined)[]): void {
    const problem = checkNewPassword(password, identifiers, policy.minPasswordLength);
    if (problem) throw new TenantAdminError('invalid', `password: ${problem.replaceAll('_', ' ')}`);
  }

  private actor(admin: TenantAdmin): Actor {
    return { userId: admin.userId, tenantId: admin.tenantId, ip: admin.ip, userAgent: admin.userAgent, clientId: admin.clientId };
  }

  /** The Directory's refusals as this service's. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof DirectoryError) throw new TenantAdminError(err.code, err.message);
      throw err;
    }
  }

  private async view(user: User, tenantId: string): Promise<MemberView> {
    const memberships = await this.users.memberships(user.id);
    const here = memberships.find((m) => m.tenantId === tenantId);
    const lockedUntil = user.lockedUntil && user.lockedUntil > new Date() ? user.lockedUntil : null;
    return {
      id: user.id,
      login: user.login,
      email: user.email,
      name: user.name,
      phone: user.phone,
      phoneVerified: !!user.phone && !!user.phoneVerifiedAt,
      locale: user.locale,
      role: here?.role ?? 'member',
      disabled: user.disabled,
      locked: user.locked || lockedUntil !== null,
      lockedUntil,
      mustChangePassword: user.mustChangePassword,
      hasPassword: !!user.passwordHash,
      shared: memberships.some((m) => m.tenantId !== tenantId),
      firstLoginAt: here?.firstLoginAt ?? null,
      createdAt: user.createdAt,
    };
  }
}
