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

  /** The user's device with this token hash, if it is neither revoked nor expired (database clock). */
  async findValid(userId: string, tokenHash: string): Promise<TrustedDeviceRow | undefined> {
    const r = await this.db('trusted_devices')
      .where({ user_id: userId, token_hash: tokenHash })
      .whereNull('revoked_at')
      .andWhere('expires_at', '>', this.db.fn.now())
      .first();
    return r ? toDevice(r) : undefined;
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
