/**
 * The credentials service: the only writer of passwords, phones, second factors, passkeys and
 * trusted devices, for the login journey, the admin API and (next) the account portal. Each change is
 * one transaction with its event; a change that others could abuse (a password, a reset of
 * second factors, a phone replaced by an admin) then ends the account's other browser sessions
 * and revokes its grants, so an app on a stolen phone stops working "until the password changes"
 * means exactly that (seed 001). Knows no HTTP and no SQL.
 */
import crypto from 'node:crypto';
import type { Database, Queryable } from '../storage/database.js';
import { UsersRepository } from '../repositories/users-repository.js';
import { FactorsRepository } from '../repositories/factors-repository.js';
import { DevicesRepository } from '../repositories/devices-repository.js';
import { PasskeysRepository } from '../repositories/passkeys-repository.js';
import { checkNewPassword, type PasswordHasher, type PasswordProblem } from './passwords.js';
import type { EventLog, RequestMeta } from './events.js';
import type { TotpService } from './totp.js';
import type { RecoveryCodes } from './recovery-codes.js';
import { TrustedDevices, type TrustedDevice } from './trusted-devices.js';
import { defaultPasskeyName, passkeyName, passkeyView, type Passkeys, type PasskeyView, type VerifiedRegistration } from './passkeys.js';
import type { MfaEnabledBy, User } from '../model/types.js';

/** Ends an account's browser sessions and revokes its grants (implemented over the OIDC engine's store). */
export interface SessionTerminator {
  endAll(accountId: string, options?: { exceptSessionUid?: string }): Promise<{ sessions: number; grants: number }>;
}

/** Told after a user changed their own password (the "your password was changed" mail); never rejects. */
export interface CredentialNotifier {
  /** `locale`: the language of the page the change was made on (for an account without one). */
  passwordChanged(user: User, locale?: string): Promise<void>;
}

/** Who made an admin change: an operator client, or a tenant admin (`userId`), and from where. */
export interface Actor {
  clientId?: string;
  ip?: string;
  userAgent?: string;
  /** A tenant admin acting in their tenant. */
  userId?: string;
  /** The tenant a tenant admin acts in: the events of their changes belong to it. */
  tenantId?: string;
}

export interface SecondFactorStatus {
  /** The phone number was proven by an SMS code: SMS is a usable second factor. */
  sms: boolean;
  /** A confirmed authenticator app. */
  totp: boolean;
  recoveryCodesRemaining: number;
  /** Devices still trusted (neither revoked nor expired). */
  trustedDevices: number;
  /** Passkeys that can sign in (not flagged as cloned). */
  passkeys: number;
}

export interface CredentialsDeps {
  db: Database;
  hasher: PasswordHasher;
  events: EventLog;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  sessions: SessionTerminator;
  /** Passkey ceremonies and reads; passkeys are written here. */
  passkeys: Passkeys;
  /** Mails the user after a change of their own password (not awaited: the answer does not wait for the mail). */
  notifier?: CredentialNotifier;
}

/** Why two-step verification stays on (seed 002): a tenant requires it, or a requirement switched it on. */
export type TwoStepRefusal = 'required_by_tenant' | 'enabled_by_requirement';

/** Who changed a credential: the user in a journey or the portal (`meta`), or an admin (`actor`). */
export interface ChangedBy {
  meta?: RequestMeta;
  actor?: Actor;
}

type Factor = 'sms' | 'totp';

export class Credentials {
  private readonly users: UsersRepository;
  private readonly devices: TrustedDevices;

  constructor(private readonly deps: CredentialsDeps) {
    this.users = new UsersRepository(deps.db);
    this.devices = new TrustedDevices(new DevicesRepository(deps.db));
  }

  // --- passwords

  /**
   * The user replaces their own password (a forced change in the journey; the portal next).
   * Refused with the rule it breaks; otherwise every other session of the account ends and its
   * refresh tokens die: `keepSessionUid` is the browser doing the change. `recovered`: set through
   * an e-mailed link (issue 10): a lock on wrong passwords is lifted too, and `password.reset_done`
   * recorded. Either way the user is told by mail (in `locale` when the account has no language).
   */
  async changeOwnPassword(
    user: User,
    candidate: string,
    options: { minLength: number; meta: RequestMeta; keepSessionUid?: string; recovered?: boolean; locale?: string },
  ): Promise<PasswordProblem | undefined> {
    const problem = checkNewPassword(candidate, [user.login, user.email], options.minLength);
    if (problem) return problem;
    if (user.passwordHash && (await this.deps.hasher.verify(user.passwordHash, candidate)).ok) return 'same_as_current';
    const hash = await this.deps.hasher.hash(candidate);
    await this.transaction(async (q, events) => {
      await new UsersRepository(q).update(user.id, { passwordHash: hash, mustChangePassword: false });
      await events.record({ type: 'account.password_changed', userId: user.id, ...options.meta });
      if (options.recovered) {
        await lift(q, user.id);
        await events.record({ type: 'password.reset_done', userId: user.id, ...options.meta });
      }
    });
    await this.endSessions(user.id, 'password_changed', options.meta, options.keepSessionUid);
    void this.deps.notifier?.passwordChanged(user, options.locale);
    return undefined;
  }

  /** An admin sets an initial password: the account is unlocked, must choose its own at the next sign-in, and is signed out everywhere. */
  async resetPassword(userId: string, password: string, actor: Actor = {}): Promise<User> {
    const hash = await this.deps.hasher.hash(password);
    const user = await this.transaction(async (q, events) => {
      await new UsersRepository(q).update(userId, { passwordHash: hash, mustChangePassword: true });
      const unlocked = await lift(q, userId);
      await events.record({ type: 'admin.password_reset', userId, ...actorMeta(actor) });
      return unlocked;
    });
    await this.endSessions(userId, 'password_reset', actorMeta(actor));
    return user;
  }

  /** Lifts a lock (passwords and codes), and gives every trusted device its budget back. */
  async unlock(userId: string, actor: Actor = {}): Promise<User> {
    return this.transaction(async (q, events) => {
      const unlocked = await lift(q, userId);
      await events.record({ type: 'account.unlocked', userId, ...actorMeta(actor) });
      return unlocked;
    });
  }

  // --- second factors

  /**
   * A phone number proven by an SMS code in a journey becomes the user's SMS factor. The flow
   * only gets here after the user proved any factor they already had, so a verified phone is
   * only ever replaced by someone who proved it. The preferred factor is kept when there is one.
   */
  async confirmPhone(user: User, phone: string, meta: RequestMeta): Promise<void> {
    await this.transaction(async (q, events) => {
      await new UsersRepository(q).update(user.id, { phone, phoneVerifiedAt: new Date(), ...(user.preferredFactor ? {} : { preferredFactor: 'sms' }) });
      await events.record({ type: 'mfa.enrolled', userId: user.id, ...meta, method: 'sms', details: user.phoneVerifiedAt && user.phone !== phone ? { replaced: true } : undefined });
    });
  }

  /** Stores an authenticator app once a code proves the user holds `secret`. False when the code is wrong. */
  async confirmTotp(user: User, secret: string, code: string, meta: RequestMeta, enabledBy?: MfaEnabledBy): Promise<boolean> {
    return this.transaction(async (q, events) => {
      if (!(await this.deps.totp.confirm(user.id, secret, code, q))) return false;
      if (!user.preferredFactor) await new UsersRepository(q).update(user.id, { preferredFactor: 'totp' });
      if (enabledBy) await new UsersRepository(q).noteMfaEnabled(user.id, enabledBy);
      await events.record({ type: 'mfa.enrolled', userId: user.id, ...meta, method: 'totp' });
      return true;
    });
  }

  /** The factor the user just proved comes first next time. */
  async preferFactor(user: User, factor: Factor): Promise<void> {
    if (user.preferredFactor !== factor) await this.users.update(user.id, { preferredFactor: factor });
  }

  /** New recovery codes replacing all earlier ones; returned to be shown once. */
  async issueRecoveryCodes(userId: string, by: ChangedBy): Promise<string[]> {
    return this.transaction(async (q, events) => {
      const codes = await this.deps.recoveryCodes.regenerate(userId, q);
      await events.record(
        by.actor
          ? { type: 'admin.recovery_codes_regenerated', userId, ...actorMeta(by.actor) }
          : { type: 'mfa.recovery_codes_issued', userId, ...by.meta },
      );
      return codes;
    });
  }

  /**
   * Switches every second factor off, for a user who lost their phone, in one transaction: the
   * authenticator app, the recovery codes, the phone's proof (the number stays: an SMS code
   * proves it again), the preferred factor, every passkey and every trusted device; then the account is signed
   * out everywhere (the thief's sessions and tokens too). The user enrols again at the next
   * sign-in when their tenant requires a second factor.
   */
  async resetSecondFactors(userId: string, actor: Actor = {}): Promise<void> {
    await this.transaction(async (q, events) => {
      const users = new UsersRepository(q);
      const factors = new FactorsRepository(q);
      const user = (await users.findById(userId))!;
      const devices = await new DevicesRepository(q).revokeAll(userId);
      const totp = await factors.deleteTotp(userId);
      const recoveryCodes = await this.deps.recoveryCodes.remove(userId, q);
      const passkeys = await new PasskeysRepository(q).deleteAll(userId);
      await users.update(userId, { phoneVerifiedAt: null, preferredFactor: null, mfaEnabledBy: null });
      await events.record({
        type: 'admin.second_factors_reset',
        userId,
        ...actorMeta(actor),
        details: { totp, recoveryCodes, passkeys, trustedDevices: devices, sms: !!user.phoneVerifiedAt, preferredFactor: user.preferredFactor },
      });
    });
    await this.endSessions(userId, 'second_factors_reset', actorMeta(actor));
  }

  /** A sign-in's required set-up gave the user their first second factor (seed 002: then only an admin switches it off). */
  async noteTwoStepOn(userId: string, by: MfaEnabledBy): Promise<void> {
    await this.users.noteMfaEnabled(userId, by);
  }

  /**
   * Why the user may not switch two-step verification off (seed 002), or undefined when they may:
   * a tenant of theirs requires it, or a requirement made them set it up (only an admin undoes
   * that). Read in `q`, the transaction about to make the change.
   */
  async twoStepLock(userId: string, q: Queryable = this.deps.db): Promise<TwoStepRefusal | undefined> {
    const users = new UsersRepository(q);
    if ((await users.memberships(userId)).some((m) => m.policy.mfa === 'required')) return 'required_by_tenant';
    if ((await users.findById(userId))?.mfaEnabledBy === 'required') return 'enabled_by_requirement';
    return undefined;
  }

  /**
   * The user switches two-step verification off (account portal): the authenticator app, the
   * phone's proof (the number stays), the recovery codes and the trusted devices go in one
   * transaction, then the account's other sessions end. Refused, changing nothing, when
   * `twoStepLock` says so.
   */
  async switchOffTwoStep(user: User, options: { meta: RequestMeta; keepSessionUid?: string }): Promise<TwoStepRefusal | undefined> {
    const refused = await this.transaction(async (q, events) => {
      const lock = await this.twoStepLock(user.id, q);
      if (lock) return lock;
      const details = await dropSecondFactors(q, user.id, this.deps.recoveryCodes);
      await events.record({ type: 'mfa.disabled', userId: user.id, ...options.meta, details: { ...details, by: 'user' } });
      return undefined;
    });
    if (!refused) await this.endSessions(user.id, 'mfa_disabled', options.meta, options.keepSessionUid);
    return refused;
  }

  /**
   * The user removes their authenticator app. When it was their last second factor this switches
   * two-step verification off, under the same rule (fail closed where a tenant requires it).
   */
  async removeTotp(user: User, options: { meta: RequestMeta; keepSessionUid?: string }): Promise<TwoStepRefusal | 'not_enrolled' | undefined> {
    let last = false;
    const refused = await this.transaction(async (q, events) => {
      const factors = new FactorsRepository(q);
      if (!(await factors.findTotp(user.id))?.confirmedAt) return 'not_enrolled' as const;
      const current = (await new UsersRepository(q).findById(user.id))!;
      last = !(current.phone && current.phoneVerifiedAt);
      if (last) {
        const lock = await this.twoStepLock(user.id, q);
        if (lock) return lock;
        await dropSecondFactors(q, user.id, this.deps.recoveryCodes);
      } else {
        await factors.deleteTotp(user.id);
        if (current.preferredFactor === 'totp') await new UsersRepository(q).update(user.id, { preferredFactor: 'sms' });
      }
      await events.record({ type: 'mfa.removed', userId: user.id, ...options.meta, method: 'totp', details: { lastFactor: last } });
      return undefined;
    });
    if (!refused && last) await this.endSessions(user.id, 'mfa_disabled', options.meta, options.keepSessionUid);
    return refused;
  }

  /**
   * The user replaces their own phone number with one an SMS code just proved. The new number
   * takes the old one's role: a second factor when the old one was (or with `asFactor`, switching
   * two-step verification on with it), else a number on file. When the old one was a factor, the
   * devices it let skip the code are forgotten and the account's other sessions end (as when an
   * admin replaces it).
   */
  async changeOwnPhone(user: User, phone: string, options: { asFactor?: boolean; meta: RequestMeta; keepSessionUid?: string }): Promise<{ wasFactor: boolean; isFactor: boolean }> {
    const wasFactor = !!user.phone && !!user.phoneVerifiedAt;
    const isFactor = wasFactor || !!options.asFactor;
    await this.transaction(async (q, events) => {
      const users = new UsersRepository(q);
      const hadFactor = wasFactor || !!(await new FactorsRepository(q).findTotp(user.id))?.confirmedAt;
      await users.update(user.id, { phone, phoneVerifiedAt: isFactor ? new Date() : null, ...(isFactor && !user.preferredFactor ? { preferredFactor: 'sms' } : {}) });
      if (isFactor && !hadFactor) await users.noteMfaEnabled(user.id, 'user');
      const devices = wasFactor ? await new DevicesRepository(q).revokeAll(user.id) : 0;
      await events.record({ type: 'account.phone_changed', userId: user.id, ...options.meta, method: 'sms', details: { wasFactor, isFactor, trustedDevices: devices, by: 'user' } });
    });
    if (wasFactor) await this.endSessions(user.id, 'phone_changed', options.meta, options.keepSessionUid);
    return { wasFactor, isFactor };
  }

  /**
   * An admin replaces or removes the phone number. A new number must be proven again by an SMS
   * code; when the old one was proven, it was a second factor: the browsers it let skip the code
   * are forgotten and the account is signed out everywhere.
   */
  async replacePhoneByAdmin(user: User, phone: string | null, actor: Actor = {}): Promise<void> {
    if (phone === user.phone) return;
    const wasFactor = !!user.phone && !!user.phoneVerifiedAt;
    await this.transaction(async (q, events) => {
      await new UsersRepository(q).update(user.id, { phone, ...(user.preferredFactor === 'sms' && wasFactor ? { preferredFactor: null } : {}) });
      const devices = wasFactor ? await new DevicesRepository(q).revokeAll(user.id) : 0;
      await events.record({ type: 'admin.phone_changed', userId: user.id, ...actorMeta(actor), details: { wasFactor, trustedDevices: devices } });
    });
    if (wasFactor) await this.endSessions(user.id, 'phone_changed', actorMeta(actor));
  }

  async status(userId: string): Promise<SecondFactorStatus> {
    const user = await this.users.findById(userId);
    const [totp, recoveryCodesRemaining, devices, passkeys] = await Promise.all([
      this.deps.totp.isEnrolled(userId),
      this.deps.recoveryCodes.remaining(userId),
      this.devices.list(userId),
      this.deps.passkeys.count(userId),
    ]);
    return { sms: !!user?.phone && !!user.phoneVerifiedAt, totp, recoveryCodesRemaining, trustedDevices: devices.length, passkeys };
  }

  // --- passkeys

  /** The user's passkeys, newest first (flagged ones marked); never their keys. */
  async passkeysOf(userId: string): Promise<PasskeyView[]> {
    return this.deps.passkeys.list(userId);
  }

  /**
   * Stores a passkey whose registration verified for `user` (`Passkeys.verifyRegistration`), with
   * its `passkey.created` event, in one transaction. Its name comes from the authenticator's
   * AAGUID when known, else from the browser ("Passkey (Chrome on Linux)"), unless `name` is
   * given. `duplicate` when the credential was stored meanwhile.
   */
  async addPasskey(
    user: User,
    registration: VerifiedRegistration,
    meta: RequestMeta,
    name?: string,
  ): Promise<{ ok: true; passkey: PasskeyView } | { ok: false; reason: 'duplicate' }> {
    if (registration.userId !== user.id) throw new Error('the registration was verified for another user');
    const label = passkeyName(name) ?? defaultPasskeyName(registration.aaguid, meta.userAgent);
    try {
      return await this.transaction(async (q, events) => {
        const passkeys = new PasskeysRepository(q);
        if (await passkeys.exists(registration.credentialId)) return { ok: false as const, reason: 'duplicate' as const };
        const row = await passkeys.insert({
          id: crypto.randomUUID(),
          userId: user.id,
          credentialId: registration.credentialId,
          publicKey: registration.publicKey,
          counter: registration.counter,
          transports: registration.transports,
          aaguid: registration.aaguid,
          deviceType: registration.deviceType,
          backedUp: registration.backedUp,
          name: label,
        });
        await events.record({
          type: 'passkey.created',
          userId: user.id,
          ...meta,
          method: 'passkey',
          details: { passkeyId: row.id, name: row.name, aaguid: row.aaguid, deviceType: row.deviceType, backedUp: row.backedUp },
        });
        return { ok: true as const, passkey: passkeyView(row) };
      });
    } catch (err) {
      // Two registrations of one credential at once: the unique index settles it.
      if ((err as { code?: string }).code === '23505') return { ok: false, reason: 'duplicate' };
      throw err;
    }
  }

  /**
   * Renames one of the user's passkeys (trimmed, 1 to 100 characters: a RangeError otherwise);
   * undefined when they have no such passkey. Records `passkey.renamed`.
   */
  async renamePasskey(userId: string, id: string, name: string, by: ChangedBy): Promise<PasskeyView | undefined> {
    const clean = passkeyName(name);
    if (!clean) throw new RangeError('a passkey name has 1 to 100 characters');
    return this.transaction(async (q, events) => {
      const passkeys = new PasskeysRepository(q);
      const before = await passkeys.find(userId, id);
      if (!before) return undefined;
      const row = (await passkeys.rename(userId, id, clean))!;
      await events.record({ type: 'passkey.renamed', userId, ...byWhom(by), method: 'passkey', details: { passkeyId: id, name: clean, previous: before.name, by: by.actor ? 'admin' : 'user' } });
      return passkeyView(row);
    });
  }

  /**
   * The user removes one of their own passkeys, never their last way in: without a password, the
   * last usable passkey stays (`last_way_in`); where a tenant signs in with passkeys only, too
   * (`required_by_tenant`). `not_found` when they have no such passkey (someone else's id included).
   */
  async removeOwnPasskey(user: User, id: string, meta: RequestMeta): Promise<'removed' | 'not_found' | 'last_way_in' | 'required_by_tenant'> {
    return this.transaction(async (q, events) => {
      const passkeys = new PasskeysRepository(q);
      const before = await passkeys.find(user.id, id);
      if (!before) return 'not_found';
      // A flagged passkey signs nobody in: removing it never removes a way in.
      if (!before.flaggedAt && (await passkeys.countUsable(user.id)) <= 1) {
        const users = new UsersRepository(q);
        if (!(await users.findById(user.id))?.passwordHash) return 'last_way_in';
        const passkeysOnly = (await users.memberships(user.id)).some((m) => m.policy.mfa === 'required' && m.policy.methods.every((x) => x === 'passkey'));
        if (passkeysOnly) return 'required_by_tenant';
      }
      if (!(await passkeys.delete(user.id, id))) return 'not_found';
      await events.record({ type: 'passkey.removed', userId: user.id, ...meta, method: 'passkey', details: { passkeyId: id, name: before.name, by: 'user' } });
      return 'removed';
    });
  }

  /** Removes one of the user's passkeys; false when they have no such passkey. Records `passkey.removed`. */
  async removePasskey(userId: string, id: string, by: ChangedBy): Promise<boolean> {
    return this.transaction(async (q, events) => {
      const passkeys = new PasskeysRepository(q);
      const before = await passkeys.find(userId, id);
      if (!before || !(await passkeys.delete(userId, id))) return false;
      await events.record({ type: 'passkey.removed', userId, ...byWhom(by), method: 'passkey', details: { passkeyId: id, name: before.name, by: by.actor ? 'admin' : 'user' } });
      return true;
    });
  }

  // --- trusted devices

  /** Remembers this browser for `days` after a second factor; the token goes into a cookie, once. */
  async trustDevice(userId: string, days: number, meta: RequestMeta): Promise<{ id: string; token: string; expiresAt: Date }> {
    const device = await this.devices.trust(userId, { userAgent: meta.userAgent ?? undefined, ip: meta.ip ?? undefined, days });
    await this.deps.events.record({ type: 'device.trusted', userId, ...meta, details: { deviceId: device.id } });
    return device;
  }

  async devicesOf(userId: string): Promise<TrustedDevice[]> {
    return this.devices.list(userId);
  }

  /** False when the user has no such trusted device (unknown, someone else's, already revoked). */
  async revokeDevice(userId: string, deviceId: string, actor: Actor = {}): Promise<boolean> {
    const revoked = await this.devices.revoke(userId, deviceId);
    if (revoked) await this.deps.events.record({ type: 'admin.device_revoked', userId, ...actorMeta(actor), details: { deviceId } });
    return revoked;
  }

  /** The user forgets one of their own trusted devices (the portal); false when they have no such device. */
  async revokeOwnDevice(userId: string, deviceId: string, meta: RequestMeta): Promise<boolean> {
    const revoked = await this.devices.revoke(userId, deviceId);
    if (revoked) await this.deps.events.record({ type: 'device.revoked_by_user', userId, ...meta, details: { deviceId } });
    return revoked;
  }

  // --- sessions

  /**
   * Signs the account out everywhere (but `keepSessionUid`): every browser session ends and every
   * grant is revoked with its codes and tokens. Used after credential changes, and when an
   * account is disabled or deleted.
   */
  async endSessions(userId: string, reason: string, meta: RequestMeta = {}, keepSessionUid?: string): Promise<void> {
    const ended = await this.deps.sessions.endAll(userId, keepSessionUid ? { exceptSessionUid: keepSessionUid } : undefined);
    await this.deps.events.record({ type: 'account.sessions_ended', userId, ...meta, details: { reason, ...ended } });
  }

  /**
   * A sign-in went all the way: temporary locks start from their base delay again (when the
   * account proved itself now, not from a session), and a first sign-in to the tenant is noted
   * (seed 000: a second factor is always asked at the first one).
   */
  /** `lockouts`: the count as the caller read it in this request; 0 spares the write that would reset it. */
  async signedIn(userId: string, options: { proved: boolean; firstToTenant?: string; lockouts?: number }): Promise<void> {
    if (options.proved && options.lockouts !== 0) await this.users.recordSignIn(userId);
    if (options.firstToTenant) await this.users.markFirstLogin(userId, options.firstToTenant);
  }

  /** Runs `work` in one transaction, its events with it (on PGlite only the transaction may be used inside). */
  private transaction<T>(work: (q: Queryable, events: EventLog) => Promise<T>): Promise<T> {
    return this.deps.db.transaction((trx) => work(trx, this.deps.events.with(trx)));
  }
}

/**
 * Two-step verification off, in `q`: the authenticator app, the recovery codes, the trusted
 * devices and the phone's proof (the number stays); who switched it on is forgotten. What went.
 */
async function dropSecondFactors(q: Queryable, userId: string, recoveryCodes: RecoveryCodes): Promise<Record<string, unknown>> {
  const users = new UsersRepository(q);
  const before = (await users.findById(userId))!;
  const trustedDevices = await new DevicesRepository(q).revokeAll(userId);
  const totp = await new FactorsRepository(q).deleteTotp(userId);
  const codes = await recoveryCodes.remove(userId, q);
  await users.update(userId, { phoneVerifiedAt: null, preferredFactor: null, mfaEnabledBy: null });
  return { totp, sms: !!before.phoneVerifiedAt, recoveryCodes: codes, trustedDevices, enabledBy: before.mfaEnabledBy };
}

/** Lifts a lock (passwords and codes) and gives every trusted device its budget back, in `q`. */
async function lift(q: Queryable, userId: string): Promise<User> {
  const unlocked = await new UsersRepository(q).unlock(userId);
  await new DevicesRepository(q).resetAllAttempts(userId);
  return unlocked!;
}

/** The event fields of who made a change: an admin's client and address, or the request's meta. */
function byWhom(by: ChangedBy): RequestMeta {
  return by.actor ? actorMeta(by.actor) : { ...by.meta };
}

/** An admin's client, user, address and browser, as events (audit rows) and session endings record them. */
/** The account can prove more than its password (a proven phone, an authenticator app, a passkey). */
export function hasSecondFactor(status: SecondFactorStatus): boolean {
  return status.sms || status.totp || status.passkeys > 0;
}

export function actorMeta(actor: Actor): RequestMeta {
  const actorType = actor.userId ? 'tenant_admin' : actor.clientId ? 'operator' : undefined;
  return { clientId: actor.clientId, ip: actor.ip, userAgent: actor.userAgent, actorType, actorUserId: actor.userId, ...(actor.tenantId ? { tenantId: actor.tenantId } : {}) };
}
