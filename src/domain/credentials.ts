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
}

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
      await users.update(userId, { phoneVerifiedAt: null, preferredFactor: null });
      await events.record({
        type: 'admin.second_factors_reset',
        userId,
        ...actorMeta(actor),
        details: { totp, recoveryCodes, passkeys, trustedDevices: devices, sms: !!user.phoneVerifiedAt, preferredFactor: user.preferredFactor },
      });
    });
    await this.endSessions(userId, 'second_factors_reset', actorMeta(actor));
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

/** An admin's client and address, as events and session endings record them. */
export function actorMeta(actor: Actor): RequestMeta {
  return { clientId: actor.clientId, ip: actor.ip };
}
