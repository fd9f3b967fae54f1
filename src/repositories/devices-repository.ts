/** SQL for trusted devices: a browser that may skip the second factor until it expires. */
import { affectedRows, type Queryable } from '../storage/database.js';

export interface TrustedDeviceRow {
  id: string;
  userId: string;
  /** sha256 (hex) of the device's cookie token; the token itself is never stored. */
  tokenHash: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
  revokedAt: Date | null;
  /** Wrong passwords typed on this device while the account was locked (its own budget). */
  failedAttempts: number;
}

export interface NewTrustedDevice {
  id: string;
  userId: string;
  tokenHash: string;
  userAgent?: string | null;
  ip?: string | null;
  expiresAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toDevice = (r: any): TrustedDeviceRow => ({
  id: r.id,
  userId: r.user_id,
  tokenHash: r.token_hash,
  userAgent: r.user_agent ?? null,
  ip: r.ip ?? null,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
  expiresAt: new Date(r.expires_at),
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
  failedAttempts: Number(r.failed_attempts ?? 0),
});

/** The columns' sizes (migration 002): a long User-Agent is cut, not refused. */
const clip = (v: string | null | undefined, max: number): string | null => (v ? v.slice(0, max) : null);

export class DevicesRepository {
  constructor(private readonly db: Queryable) {}

  with(db: Queryable): DevicesRepository {
    return new DevicesRepository(db);
  }

  async insert(d: NewTrustedDevice): Promise<TrustedDeviceRow> {
    const [r] = await this.db('trusted_devices')
      .insert({
        id: d.id,
        user_id: d.userId,
        token_hash: d.tokenHash,
        user_agent: clip(d.userAgent, 512),
        ip: clip(d.ip, 64),
        expires_at: d.expiresAt,
      })
      .returning('*');
    return toDevice(r);
  }

  /**
   * The user's device with this token hash, if it is neither revoked nor expired (database clock)
   * and, with `maxAgeDays`, was trusted less than that many days ago.
   */
  async findValid(userId: string, tokenHash: string, maxAgeDays?: number): Promise<TrustedDeviceRow | undefined> {
    const q = this.db('trusted_devices').where({ user_id: userId, token_hash: tokenHash }).whereNull('revoked_at').andWhere('expires_at', '>', this.db.fn.now());
    if (maxAgeDays !== undefined) q.andWhereRaw('created_at > now() - make_interval(days => ?)', [maxAgeDays]);
    const r = await q.first();
    return r ? toDevice(r) : undefined;
  }

  /** Reserves one wrong-password attempt of the device's own budget, atomically; undefined when spent. */
  async reserveAttempt(id: string, threshold: number): Promise<number | undefined> {
    const rows = await this.db('trusted_devices')
      .where({ id })
      .andWhere('failed_attempts', '<', threshold)
      .increment('failed_attempts', 1)
      .returning('failed_attempts');
    return rows[0] ? Number((rows[0] as { failed_attempts: number }).failed_attempts) : undefined;
  }

  async resetAttempts(id: string): Promise<void> {
    await this.db('trusted_devices').where({ id }).whereNot({ failed_attempts: 0 }).update({ failed_attempts: 0 });
  }

  /** Gives every device of the user its full budget again (an admin unlock). */
  async resetAllAttempts(userId: string): Promise<void> {
    await this.db('trusted_devices').where({ user_id: userId }).whereNot({ failed_attempts: 0 }).update({ failed_attempts: 0 });
  }

  async touch(id: string): Promise<void> {
    await this.db('trusted_devices').where({ id }).update({ last_used_at: this.db.fn.now() });
  }

  /** The user's devices that are still trusted (not revoked, not expired), newest first. */
  async listByUser(userId: string): Promise<TrustedDeviceRow[]> {
    const rows = await this.db('trusted_devices')
      .where({ user_id: userId })
      .whereNull('revoked_at')
      .andWhere('expires_at', '>', this.db.fn.now())
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    return rows.map(toDevice);
  }

  /** Revokes one device, only if it belongs to `userId` and is not revoked yet. */
  async revoke(id: string, userId: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    return affectedRows(await this.db('trusted_devices').where({ id, user_id: userId }).whereNull('revoked_at').update({ revoked_at: this.db.fn.now() })) > 0;
  }

  /** Revokes all of the user's devices still trusted (not revoked, not expired); returns how many. */
  async revokeAll(userId: string): Promise<number> {
    return affectedRows(
      await this.db('trusted_devices')
        .where({ user_id: userId })
        .whereNull('revoked_at')
        .andWhere('expires_at', '>', this.db.fn.now())
        .update({ revoked_at: this.db.fn.now() }),
    );
  }
}
