/**
 * Trusted devices: after a second factor, a browser may be remembered for some days. It holds
 * a random token (32 bytes, base64url, in a cookie); only the token's sha256 is stored, bound
 * to the user, with an expiry and a revocation.
 */
import crypto from 'node:crypto';
import type { DevicesRepository } from '../repositories/devices-repository.js';

export interface TrustedDevice {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class TrustedDevices {
  constructor(private readonly devices: DevicesRepository) {}

  /** Remembers a device for `days`; the returned token is shown (set as a cookie) once. */
  async trust(userId: string, meta: { userAgent?: string; ip?: string; days: number }): Promise<{ id: string; token: string; expiresAt: Date }> {
    if (!Number.isFinite(meta.days) || meta.days <= 0) throw new RangeError('days must be a positive number');
    const token = crypto.randomBytes(32).toString('base64url');
    const id = crypto.randomUUID();
    const expiresAt = new Date(Date.now() + meta.days * DAY_MS);
    const row = await this.devices.insert({ id, userId, tokenHash: hashToken(token), userAgent: meta.userAgent, ip: meta.ip, expiresAt });
    return { id, token, expiresAt: row.expiresAt };
  }

  /**
   * Whether `token` is one of the user's trusted devices (not revoked, not expired) and, with
   * `withinDays`, was trusted less than that many days ago: sparing follows the policy of the
   * tenant being entered, whichever tenant the device was trusted in. Records the use.
   */
  async isTrusted(userId: string, token: string | undefined, withinDays?: number): Promise<boolean> {
    if (withinDays !== undefined && withinDays <= 0) return false;
    const device = await this.find(userId, token, withinDays);
    if (!device) return false;
    await this.devices.touch(device.id);
    return true;
  }

  /** The user's valid trusted device holding `token`, if any (its id, for its own lockout budget). */
  async find(userId: string, token: string | undefined, withinDays?: number): Promise<{ id: string } | undefined> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 128) return undefined;
    const device = await this.devices.findValid(userId, hashToken(token), withinDays);
    return device ? { id: device.id } : undefined;
  }

  /** Reserves one wrong-password try of the device's own budget past a lock; undefined when spent. */
  reserveAttempt(deviceId: string, threshold: number): Promise<number | undefined> {
    return this.devices.reserveAttempt(deviceId, threshold);
  }

  /** The right password on the device: its budget is full again. */
  resetAttempts(deviceId: string): Promise<void> {
    return this.devices.resetAttempts(deviceId);
  }

  /** The user's trusted devices, newest first (never the token hash). */
  async list(userId: string): Promise<TrustedDevice[]> {
    return (await this.devices.listByUser(userId)).map((d) => ({
      id: d.id,
      userAgent: d.userAgent,
      ip: d.ip,
      createdAt: d.createdAt,
      lastUsedAt: d.lastUsedAt,
      expiresAt: d.expiresAt,
    }));
  }

  async revoke(userId: string, id: string): Promise<boolean> {
    return this.devices.revoke(id, userId);
  }

  async revokeAll(userId: string): Promise<number> {
    return this.devices.revokeAll(userId);
  }
}

function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}
