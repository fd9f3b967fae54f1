/**
 * The credentials service: the only writer of passwords, phones, second factors and trusted
 * devices, for the login journey, the admin API and (next) the account portal. Each change is
 * one transaction with its event; a change that others could abuse (a password, a reset of
 * second factors, a phone replaced by an admin) then ends the account's other browser sessions
 * and revokes its grants, so an app on a stolen phone stops working "until the password changes"
 * means exactly that (seed 001). Knows no HTTP and no SQL.
 */
import type { Database, Queryable } from '../storage/database.js';
import { UsersRepository } from '../repositories/users-repository.js';
import { FactorsRepository } from '../repositories/factors-repository.js';
import { DevicesRepository } from '../repositories/devices-repository.js';
import { checkNewPassword, type PasswordHasher, type PasswordProblem } from './passwords.js';
import type { EventLog, RequestMeta } from './events.js';
import type { TotpService } from './totp.js';
import type { RecoveryCodes } from './recovery-codes.js';
import { TrustedDevices, type TrustedDevice } from './trusted-devices.js';
import type { User } from '../model/types.js';

/** Ends an account's browser sessions and revokes its grants (implemented over the OIDC engine's store). */
export interface SessionTerminator {
  endAll(accountId: string, options?: { exceptSessionUid?: string }): Promise<{ sessions: number; grants: number }>;
}

/** Who made an admin change. */
export interface Actor {
  clientId?: string;
  ip?: string;
}

export interface SecondFactorStatus {
  /** The phone number was proven by an SMS code: SMS is a usable second factor. */
  sms: boolean;
  /** A confirmed authenticator app. */
  totp: boolean;
  recoveryCodesRemaining: number;
  /** Devices still trusted (neither revoked nor expired). */
  trustedDevices: number;
}

export interface CredentialsDeps {
  db: Database;
  hasher: PasswordHasher;
  events: EventLog;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  sessions: SessionTerminator;
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
   * refresh tokens die: `keepSessionUid` is the browser doing the change.
   */
  async changeOwnPassword(user: User, candidate: string, options: { minLength: number; meta: RequestMeta; keepSessionUid?: string }): Promise<PasswordProblem | undefined> {
    const problem = checkNewPassword(candidate, [user.login, user.email], options.minLength);
    if (problem) return problem;
    if (user.passwordHash && (await this.deps.hasher.verify(user.passwordHash, candidate)).ok) return 'same_as_current';
    const hash = await this.deps.hasher.hash(candidate);
    await this.transaction(async (q, events) => {
      await new UsersRepository(q).update(user.id, { passwordHash: hash, mustChangePassword: false });
      await events.record({ type: 'account.password_changed', userId: user.id, ...options.meta });
    });
    await this.endSessions(user.id, 'password_changed', options.meta, options.keepSessionUid);
    return undefined;
  }

  /** An admin sets an initial password: the account is unlocked, must choose its own at the next sign-in, and is signed out everywhere. */
  async resetPassword(userId: string, password: string, actor: Actor = {}): Promise<User> {
    const hash = await this.deps.hasher.hash(password);
    const user = await this.transaction(async (q, events) => {
      const users = new UsersRepository(q);
      await users.update(userId, { passwordHash: hash, mustChangePassword: true });
      const unlocked = await users.unlock(userId);
      await new DevicesRepository(q).resetAllAttempts(userId);
      await events.record({ type: 'admin.password_reset', userId, clientId: actor.clientId, ip: actor.ip });
      return unlocked!;
    });
    await this.endSessions(userId, 'password_reset', { clientId: actor.clientId, ip: actor.ip });
    return user;
  }

  /** Lifts a lock (passwords and codes), and gives every trusted device its budget back. */
  async unlock(userId: string, actor: Actor = {}): Promise<User> {
    return this.transaction(async (q, events) => {
      const unlocked = await new UsersRepository(q).unlock(userId);
      await new DevicesRepository(q).resetAllAttempts(userId);
      await events.record({ type: 'account.unlocked', userId, clientId: actor.clientId, ip: actor.ip });
      return unlocked!;
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
  async confirmTotp(user: User, secret: string, code: string, meta: RequestMeta): Promise<boolean> {
    return this.transaction(async (q, events) => {
      if (!(await this.deps.totp.confirm(user.id, secret, code, q))) return false;
      if (!user.preferredFactor) await new UsersRepository(q).update(user.id, { preferredFactor: 'totp' });
      await events.record({ type: 'mfa.enrolled', userId: user.id, ...meta, method: 'totp' });
      return true;
    });
  }

  /** The factor the user just proved comes first next time. */
  async preferFactor(user: User, factor: Factor): Promise<void> {
    if (user.preferredFactor !== factor) await this.users.update(user.id, { preferredFactor: factor });
  }

  /** New recovery codes replacing all earlier ones; returned to be shown once. */
  async issueRecoveryCodes(userId: string, by: { meta?: RequestMeta; actor?: Actor }): Promise<string[]> {
    return this.transaction(async (q, events) => {
      const codes = await this.deps.recoveryCodes.regenerate(userId, q);
      await events.record(
        by.actor
          ? { type: 'admin.recovery_codes_regenerated', userId, clientId: by.actor.clientId, ip: by.actor.ip }
          : { type: 'mfa.recovery_codes_issued', userId, ...by.meta },
      );
      return codes;
    });
  }

  /**
   * Switches every second factor off, for a user who lost their phone, in one transaction: the
   * authenticator app, the recovery codes, the phone's proof (the number stays: an SMS code
   * proves it again), the preferred factor and every trusted device; then the account is signed
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
      await users.update(userId, { phoneVerifiedAt: null, preferredFactor: null });
      await events.record({
        type: 'admin.second_factors_reset',
        userId,
        clientId: actor.clientId,
        ip: actor.ip,
        details: { totp, recoveryCodes, trustedDevices: devices, sms: !!user.phoneVerifiedAt, preferredFactor: user.preferredFactor },
      });
    });
    await this.endSessions(userId, 'second_factors_reset', { clientId: actor.clientId, ip: actor.ip });
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
      await events.record({ type: 'admin.phone_changed', userId: user.id, clientId: actor.clientId, ip: actor.ip, details: { wasFactor, trustedDevices: devices } });
    });
    if (wasFactor) await this.endSessions(user.id, 'phone_changed', { clientId: actor.clientId, ip: actor.ip });
  }

  async status(userId: string): Promise<SecondFactorStatus> {
    const user = await this.users.findById(userId);
    const [totp, recoveryCodesRemaining, devices] = await Promise.all([
      this.deps.totp.isEnrolled(userId),
      this.deps.recoveryCodes.remaining(userId),
      this.devices.list(userId),
    ]);
    return { sms: !!user?.phone && !!user.phoneVerifiedAt, totp, recoveryCodesRemaining, trustedDevices: devices.length };
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
    if (revoked) await this.deps.events.record({ type: 'admin.device_revoked', userId, clientId: actor.clientId, ip: actor.ip, details: { deviceId } });
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
  async signedIn(userId: string, options: { proved: boolean; firstToTenant?: string }): Promise<void> {
    if (options.proved) await this.users.recordSignIn(userId);
    if (options.firstToTenant) await this.users.markFirstLogin(userId, options.firstToTenant);
  }

  /** Runs `work` in one transaction, its events with it (on PGlite only the transaction may be used inside). */
  private transaction<T>(work: (q: Queryable, events: EventLog) => Promise<T>): Promise<T> {
    return this.deps.db.transaction((trx) => work(trx, this.deps.events.with(trx)));
  }
}
