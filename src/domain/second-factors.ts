/**
 * What a tenant admin or an operator does to a user's second factors: see them, switch them
 * all off (a lost phone), list and revoke the browsers that skip the second factor, and issue
 * new recovery codes. Knows no HTTP and no SQL; the admin API (and so the CLI) calls it.
 */
import type { UsersRepository } from '../repositories/users-repository.js';
import type { TotpService } from './totp.js';
import type { RecoveryCodes } from './recovery-codes.js';
import type { TrustedDevice, TrustedDevices } from './trusted-devices.js';
import type { EventLog } from './events.js';
import { DirectoryError, type Actor } from './directory.js';

export interface SecondFactorStatus {
  /** The phone number was proven by an SMS code: SMS is a usable second factor. */
  sms: boolean;
  /** A confirmed authenticator app. */
  totp: boolean;
  recoveryCodesRemaining: number;
  /** Devices still trusted (neither revoked nor expired). */
  trustedDevices: number;
}

export interface SecondFactorsDeps {
  users: UsersRepository;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  trustedDevices: TrustedDevices;
  events: EventLog;
}

export class SecondFactors {
  constructor(private readonly deps: SecondFactorsDeps) {}

  /**
   * Switches every second factor off, for a user who lost their phone: the authenticator app,
   * the recovery codes, the phone's proof (the number stays: an SMS code proves it again), the
   * preferred factor and every trusted device. Idempotent: run it again after a failure.
   * The user enrols again at the next sign-in when their tenant requires a second factor.
   */
  async reset(userId: string, actor: Actor = {}): Promise<void> {
    const user = await this.requireUser(userId);
    // Trusted devices first: they are what lets a browser skip the second factor right now.
    const devices = await this.deps.trustedDevices.revokeAll(user.id);
    const totp = await this.deps.totp.remove(user.id);
    const recoveryCodes = await this.deps.recoveryCodes.remove(user.id);
    await this.deps.users.update(user.id, { phoneVerifiedAt: null, preferredFactor: null });
    await this.deps.events.record({
      type: 'admin.second_factors_reset',
      userId: user.id,
      clientId: actor.clientId,
      ip: actor.ip,
      details: { totp, recoveryCodes, trustedDevices: devices, sms: !!user.phoneVerifiedAt, preferredFactor: user.preferredFactor },
    });
  }

  async status(userId: string): Promise<SecondFactorStatus> {
    const user = await this.requireUser(userId);
    const [totp, recoveryCodesRemaining, devices] = await Promise.all([
      this.deps.totp.isEnrolled(user.id),
      this.deps.recoveryCodes.remaining(user.id),
      this.deps.trustedDevices.list(user.id),
    ]);
    return { sms: !!user.phone && !!user.phoneVerifiedAt, totp, recoveryCodesRemaining, trustedDevices: devices.length };
  }

  /** The user's trusted devices, newest first; never their token hash. */
  async devices(userId: string): Promise<TrustedDevice[]> {
    const user = await this.requireUser(userId);
    return this.deps.trustedDevices.list(user.id);
  }

  /** False when the user has no such trusted device (unknown, someone else's, already revoked). */
  async revokeDevice(userId: string, deviceId: string, actor: Actor = {}): Promise<boolean> {
    const user = await this.requireUser(userId);
    const revoked = await this.deps.trustedDevices.revoke(user.id, deviceId);
    if (revoked) {
      await this.deps.events.record({ type: 'admin.device_revoked', userId: user.id, clientId: actor.clientId, ip: actor.ip, details: { deviceId } });
    }
    return revoked;
  }

  /** New recovery codes, replacing all earlier ones; returned to be shown once. */
  async regenerateRecoveryCodes(userId: string, actor: Actor = {}): Promise<string[]> {
    const user = await this.requireUser(userId);
    const codes = await this.deps.recoveryCodes.regenerate(user.id);
    await this.deps.events.record({ type: 'admin.recovery_codes_regenerated', userId: user.id, clientId: actor.clientId, ip: actor.ip });
    return codes;
  }

  private async requireUser(userId: string) {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new DirectoryError('not_found', `user ${userId} does not exist`);
    return user;
  }
}
