/** SQL for users and their tenant memberships. */
import crypto from 'node:crypto';
import { affectedRows, type Queryable } from '../storage/database.js';
import { parsePolicy } from '../model/tenant-policy.js';
import type { Membership, MfaEnabledBy, Role, User } from '../model/types.js';

const toUser = (r: any): User => ({
  id: r.id,
  login: r.login,
  email: r.email ?? null,
  name: r.name ?? null,
  passwordHash: r.password_hash ?? null,
  mustChangePassword: !!r.must_change_password,
  phone: r.phone ?? null,
  phoneVerifiedAt: r.phone_verified_at ? new Date(r.phone_verified_at) : null,
  preferredFactor: r.preferred_factor ?? null,
  locale: r.locale ?? null,
  disabled: !!r.disabled,
  failedAttempts: Number(r.failed_attempts),
  secondFactorFailures: Number(r.second_factor_failures ?? 0),
  lockouts: Number(r.lockouts),
  lockedUntil: r.locked_until ? new Date(r.locked_until) : null,
  locked: !!r.locked,
  passwordChangedAt: r.password_changed_at ? new Date(r.password_changed_at) : null,
  mfaEnabledBy: r.mfa_enabled_by ?? null,
  createdAt: new Date(r.created_at),
});

export interface NewUser {
  login: string;
  email?: string | null;
  name?: string | null;
  passwordHash?: string | null;
  mustChangePassword?: boolean;
  phone?: string | null;
  locale?: string | null;
}

export class UsersRepository {
  constructor(private readonly db: Queryable) {}

  with(db: Queryable): UsersRepository {
    return new UsersRepository(db);
  }

  async findById(id: string): Promise<User | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const r = await this.db('users').where({ id }).first();
    return r ? toUser(r) : undefined;
  }

  /** By login name or e-mail, case-insensitively. */
  async findByIdentifier(identifier: string): Promise<User | undefined> {
    const v = identifier.trim().toLowerCase();
    const r = await this.db('users').where({ login: v }).orWhere({ email: v }).orderByRaw('login = ? desc', [v]).first();
    return r ? toUser(r) : undefined;
  }

  /** `search`: part of the login, e-mail or name, case-insensitively. */
  async list(options: { tenantId?: string; search?: string; limit?: number; offset?: number } = {}): Promise<User[]> {
    const q = this.db('users').select('users.*').orderBy('users.login').limit(options.limit ?? 100).offset(options.offset ?? 0);
    if (options.tenantId) q.join('memberships', 'memberships.user_id', 'users.id').where('memberships.tenant_id', options.tenantId);
    if (options.search) {
      const like = `%${options.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q.where((w) => void w.whereRaw('users.login like ?', [like]).orWhereRaw('users.email like ?', [like]).orWhereRaw('lower(users.name) like ?', [like]));
    }
    return (await q).map(toUser);
  }

  /**
   * The tenant's admins, their membership rows locked until the transaction `db` ends: two
   * admins demoting each other at once cannot leave the tenant without one.
   */
  async lockAdmins(tenantId: string): Promise<string[]> {
    const rows = await this.db('memberships').where({ tenant_id: tenantId, role: 'admin' }).select('user_id').forUpdate();
    return rows.map((r) => String(r.user_id));
  }

  async insert(u: NewUser): Promise<User> {
    const [r] = await this.db('users')
      .insert({
        id: crypto.randomUUID(),
        login: u.login.trim().toLowerCase(),
        email: u.email ? u.email.trim().toLowerCase() : null,
        name: u.name ?? null,
        password_hash: u.passwordHash ?? null,
        must_change_password: u.mustChangePassword ?? false,
        phone: u.phone ?? null,
        locale: u.locale ?? null,
        password_changed_at: u.passwordHash ? new Date() : null,
      })
      .returning('*');
    return toUser(r);
  }

  async update(
    id: string,
    changes: Partial<Omit<NewUser, 'login'>> & { disabled?: boolean; login?: string; phoneVerifiedAt?: Date | null; preferredFactor?: string | null; mfaEnabledBy?: MfaEnabledBy | null },
  ): Promise<User | undefined> {
    const row: Record<string, unknown> = { updated_at: new Date() };
    if (changes.login !== undefined) row.login = changes.login.trim().toLowerCase();
    if (changes.email !== undefined) row.email = changes.email ? changes.email.trim().toLowerCase() : null;
    if (changes.name !== undefined) row.name = changes.name;
    if (changes.phone !== undefined) {
      row.phone = changes.phone;
      // A new number must be proven again by an SMS code; the same number keeps its proof.
      row.phone_verified_at = this.db.raw('case when phone is distinct from ? then null else phone_verified_at end', [changes.phone]);
    }
    if (changes.phoneVerifiedAt !== undefined) row.phone_verified_at = changes.phoneVerifiedAt;
    if (changes.preferredFactor !== undefined) row.preferred_factor = changes.preferredFactor;
    if (changes.mfaEnabledBy !== undefined) row.mfa_enabled_by = changes.mfaEnabledBy;
    if (changes.locale !== undefined) row.locale = changes.locale;
    if (changes.disabled !== undefined) row.disabled = changes.disabled;
    if (changes.mustChangePassword !== undefined) row.must_change_password = changes.mustChangePassword;
    if (changes.passwordHash !== undefined) {
      row.password_hash = changes.passwordHash;
      row.password_changed_at = new Date();
    }
    const [r] = await this.db('users').where({ id }).update(row).returning('*');
    return r ? toUser(r) : undefined;
  }

  /** Notes who switched two-step verification on, unless someone already did (the first factor decides). */
  async noteMfaEnabled(id: string, by: MfaEnabledBy): Promise<void> {
    await this.db('users').where({ id }).whereNull('mfa_enabled_by').update({ mfa_enabled_by: by });
  }

  async delete(id: string): Promise<boolean> {
    return affectedRows(await this.db('users').where({ id }).delete()) > 0;
  }

  /** Replaces the stored hash only if it is still `expected` (rehash on login must not undo a concurrent change). */
  async replaceHash(id: string, expected: string, hash: string): Promise<void> {
    await this.db('users').where({ id, password_hash: expected }).update({ password_hash: hash });
  }

  /**
   * Reserves one password attempt before the hash is checked, atomically: it succeeds only
   * while the account is not locked and fewer than `threshold` attempts are counted, so a
   * parallel burst of guesses cannot get more than `threshold` checks. An expired temporary
   * lock starts new series (passwords and codes). Returns the attempt's number, or undefined
   * when locked.
   */
  async reserveAttempt(id: string, threshold: number): Promise<number | undefined> {
    return this.reserve(id, 'failed_attempts', 'second_factor_failures', threshold);
  }

  /**
   * The same for a second-factor code (SMS, authenticator, recovery), counted per account across
   * journeys, devices and sources, apart from passwords.
   */
  async reserveCodeAttempt(id: string, threshold: number): Promise<number | undefined> {
    return this.reserve(id, 'second_factor_failures', 'failed_attempts', threshold);
  }

  private async reserve(id: string, counter: string, other: string, threshold: number): Promise<number | undefined> {
    const expired = 'locked_until is not null and locked_until <= now()';
    const result = await this.db.raw(
      `update users set
         ${counter} = case when ${expired} then 1 else ${counter} + 1 end,
         ${other} = case when ${expired} then 0 else ${other} end,
         locked_until = case when ${expired} then null else locked_until end
       where id = ? and not locked
         and (locked_until is null or locked_until <= now())
         and (${counter} < ? or (${expired}))
       returning ${counter} as attempt`,
      [id, threshold],
    );
    return result.rows[0] ? Number(result.rows[0].attempt) : undefined;
  }

  /** A reserved attempt turned out wrong: lock when it was the last one allowed. Returns true when it locked. */
  async settleFailure(id: string, attempt: number, rule: { threshold: number; mode: 'permanent' | 'temporary'; baseMinutes: number }): Promise<boolean> {
    if (attempt < rule.threshold) return false;
    if (rule.mode === 'permanent') {
      await this.db('users').where({ id }).update({ locked: true, updated_at: new Date() });
    } else {
      // Each temporary lock in a row lasts twice as long as the one before (capped at 2^10).
      await this.db.raw(
        `update users set locked_until = now() + make_interval(mins => (? * power(2, least(lockouts, 10)))::int),
           lockouts = lockouts + 1, updated_at = now() where id = ?`,
        [rule.baseMinutes, id],
      );
    }
    return true;
  }

  /**
   * A right password ends the series of wrong ones. It does not end a series of wrong codes,
   * nor the growth of temporary locks: someone who knows the password must not get fresh code
   * guesses by typing it again.
   */
  async recordSuccess(id: string): Promise<void> {
    await this.db('users').where({ id }).update({ failed_attempts: 0 });
  }

  /** A right second-factor code ends the series of wrong ones (NIST SP 800-63B §5.2.2). */
  async recordCodeSuccess(id: string): Promise<void> {
    await this.db('users').where({ id }).whereNot({ second_factor_failures: 0 }).update({ second_factor_failures: 0 });
  }

  /** A complete sign-in: temporary locks start from their base delay again. */
  async recordSignIn(id: string): Promise<void> {
    await this.db('users').where({ id }).whereNot({ lockouts: 0 }).update({ lockouts: 0 });
  }

  async unlock(id: string): Promise<User | undefined> {
    const [r] = await this.db('users')
      .where({ id })
      .update({ failed_attempts: 0, second_factor_failures: 0, lockouts: 0, locked_until: null, locked: false, updated_at: new Date() })
      .returning('*');
    return r ? toUser(r) : undefined;
  }

  async memberships(userId: string): Promise<Membership[]> {
    const rows = await this.db('memberships')
      .join('tenants', 'tenants.id', 'memberships.tenant_id')
      .where('memberships.user_id', userId)
      .orderBy('tenants.name')
      .select('memberships.tenant_id', 'memberships.role', 'memberships.first_login_at', 'tenants.name', 'tenants.policy');
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      tenantName: r.name,
      role: r.role as Role,
      policy: parsePolicy(r.policy),
      firstLoginAt: r.first_login_at ? new Date(r.first_login_at) : null,
    }));
  }

  async setMembership(userId: string, tenantId: string, role: Role): Promise<void> {
    await this.db('memberships').insert({ user_id: userId, tenant_id: tenantId, role }).onConflict(['user_id', 'tenant_id']).merge(['role']);
  }

  async removeMembership(userId: string, tenantId: string): Promise<boolean> {
    return affectedRows(await this.db('memberships').where({ user_id: userId, tenant_id: tenantId }).delete()) > 0;
  }

  async markFirstLogin(userId: string, tenantId: string): Promise<void> {
    await this.db('memberships').where({ user_id: userId, tenant_id: tenantId }).whereNull('first_login_at').update({ first_login_at: new Date() });
  }
}
