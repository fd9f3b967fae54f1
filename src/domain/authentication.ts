/**
 * Password verification with lockout. Unknown, disabled, locked and wrong all answer alike and
 * spend one argon2 verification, so neither the answer nor its timing tells them apart.
 */
import type { UsersRepository } from '../repositories/users-repository.js';
import type { PasswordHasher } from './passwords.js';
import { strictestLockout } from '../model/tenant-policy.js';
import type { EventLog, RequestMeta } from './events.js';
import type { Membership, User } from '../model/types.js';

export type PasswordOutcome =
  /** `memberships`: the user's tenants, read for the lockout rule (the caller need not read them again). */
  | { ok: true; user: User; memberships: Membership[] }
  | { ok: false; reason: 'unknown' | 'disabled' | 'locked' | 'wrong'; userId?: string; lockedNow?: boolean }
  /** Too many failures from this source: no account was looked at; try again at `retryAt`. */
  | { ok: false; reason: 'throttled'; retryAt: Date };

export interface VerifyOptions {
  /** The valid trusted device of that user the request comes from, if any. */
  trustedDevice?: (userId: string) => Promise<{ id: string } | undefined>;
}

/** A trusted device's own budget of wrong passwords past a lock (src/domain/trusted-devices.ts). */
export interface DeviceBudget {
  reserveAttempt(deviceId: string, threshold: number): Promise<number | undefined>;
  resetAttempts(deviceId: string): Promise<void>;
}

/**
 * Failures counted per source before any account is touched (see src/security/rate-limits.ts):
 * a try is reserved before the check, atomically, and refunded when the password was right.
 */
export interface SourceThrottle {
  reserve(ip: string | null | undefined): Promise<{ granted: true; refund(): Promise<void> } | { granted: false; retryAt: Date }>;
}

export class PasswordAuthenticator {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly events: EventLog,
    private readonly throttle?: SourceThrottle,
    private readonly devices?: DeviceBudget,
  ) {}

  /**
   * `options.trustedDevice(userId)` names the device that user trusted the request comes from;
   * it is asked only for a locked account.
   */
  async verify(identifier: string, password: string, meta: RequestMeta, options: VerifyOptions = {}): Promise<PasswordOutcome> {
    // The source first: one that guessed too much is slowed down before any account is touched.
    // Its try is reserved before the hash is checked, so a parallel burst cannot overrun the limit.
    const reservation = await this.throttle?.reserve(meta.ip);
    if (reservation && !reservation.granted) {
      const { retryAt } = reservation;
      await this.events.record({ type: 'login.throttled', ...meta, method: 'pwd', details: { retryAt: retryAt.toISOString() } });
      return { ok: false, reason: 'throttled', retryAt };
    }
    const outcome = await this.check(identifier, password, meta, options);
    if (outcome.ok) await reservation?.refund(); // a success does not use up the source's budget
    return outcome;
  }

  private async check(identifier: string, password: string, meta: RequestMeta, options: VerifyOptions): Promise<PasswordOutcome> {
    const user = await this.users.findByIdentifier(identifier);
    if (!user || !user.passwordHash) {
      await this.hasher.verifyNothing(password);
      await this.events.record({ type: 'login.unknown_identifier', ...meta, method: 'pwd', details: { identifier: identifier.slice(0, 200) } });
      return { ok: false, reason: 'unknown' };
    }
    if (user.disabled) {
      await this.hasher.verifyNothing(password);
      await this.events.record({ type: 'login.disabled', userId: user.id, ...meta, method: 'pwd' });
      return { ok: false, reason: 'disabled', userId: user.id };
    }
    const memberships = await this.users.memberships(user.id);
    const rule = strictestLockout(memberships.map((m) => m.policy));
    const attempt = await this.users.reserveAttempt(user.id, rule.threshold);
    if (attempt === undefined) {
      // A lock others can trigger must not shut the owner out: on a device the owner trusted
      // (after a second factor), the right password still gets in, within the device's own budget
      // of wrong passwords. The lock stays for everyone else, and for every device when the
      // tenant chose `strict`.
      const device = rule.trustedDevices === 'separate' && this.devices ? await options.trustedDevice?.(user.id) : undefined;
      const deviceAttempt = device ? await this.devices!.reserveAttempt(device.id, rule.threshold) : undefined;
      if (device && deviceAttempt !== undefined) {
        const { ok } = await this.hasher.verify(user.passwordHash, password);
        if (ok) await this.devices!.resetAttempts(device.id);
        await this.events.record({
          type: ok ? 'login.locked_trusted_device' : 'login.locked',
          userId: user.id,
          ...meta,
          method: 'pwd',
          details: { deviceId: device.id, ...(ok ? {} : { deviceAttempt }) },
        });
        return ok ? { ok: true, user, memberships } : { ok: false, reason: 'locked', userId: user.id };
      }
      await this.hasher.verifyNothing(password);
      await this.events.record({ type: 'login.locked', userId: user.id, ...meta, method: 'pwd' });
      return { ok: false, reason: 'locked', userId: user.id };
    }
    const { ok, rehash } = await this.hasher.verify(user.passwordHash, password);
    if (ok) {
      await this.users.recordSuccess(user.id);
      if (rehash) await this.users.replaceHash(user.id, user.passwordHash, await this.hasher.hash(password));
      await this.events.record({ type: 'login.password_ok', userId: user.id, ...meta, method: 'pwd' });
      return { ok: true, user, memberships };
    }
    const lockedNow = await this.users.settleFailure(user.id, attempt, rule);
    await this.events.record({ type: 'login.wrong_password', userId: user.id, ...meta, method: 'pwd', details: { attempt } });
    if (lockedNow) {
      await this.events.record({ type: 'account.locked', userId: user.id, ...meta, method: 'pwd', details: { mode: rule.mode, threshold: rule.threshold } });
    }
    return { ok: false, reason: 'wrong', userId: user.id, lockedNow };
  }
}
