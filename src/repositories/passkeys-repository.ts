/** SQL for passkeys (WebAuthn credentials): see src/domain/passkeys.ts for what they mean. */
import { affectedRows, type Queryable } from '../storage/database.js';

export type PasskeyDeviceType = 'singleDevice' | 'multiDevice';

export interface PasskeyRow {
  id: string;
  userId: string;
  /** The WebAuthn credential id, base64url. */
  credentialId: string;
  /** The credential's COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter last seen (0 for synced passkeys, which never count). */
  counter: number;
  transports: string[];
  aaguid: string | null;
  /** multiDevice: backup eligible (a synced passkey); singleDevice: bound to one authenticator. */
  deviceType: PasskeyDeviceType;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Set when a counter that went backwards showed a cloned credential: never usable again. */
  flaggedAt: Date | null;
}

/** A passkey to store: what registration verified, before any use. */
export type NewPasskey = Omit<PasskeyRow, 'createdAt' | 'lastUsedAt' | 'flaggedAt'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toTransports = (v: unknown): string[] => {
  const parsed = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
};

const toPasskey = (r: any): PasskeyRow => ({
  id: r.id,
  userId: r.user_id,
  credentialId: r.credential_id,
  publicKey: r.public_key,
  counter: Number(r.counter ?? 0),
  transports: toTransports(r.transports),
  aaguid: r.aaguid ?? null,
  deviceType: r.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
  backedUp: !!r.backed_up,
  name: r.name,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
  flaggedAt: r.flagged_at ? new Date(r.flagged_at) : null,
});

export class PasskeysRepository {
  constructor(private readonly db: Queryable) {}

  with(db: Queryable): PasskeysRepository {
    return new PasskeysRepository(db);
  }

  /** Stores a new passkey; a credential id already stored (for anyone) violates its unique index (23505). */
  async insert(p: NewPasskey): Promise<PasskeyRow> {
    const [r] = await this.db('passkeys')
      .insert({
        id: p.id,
        user_id: p.userId,
        credential_id: p.credentialId,
        public_key: p.publicKey,
        counter: p.counter,
        transports: JSON.stringify(p.transports),
        aaguid: p.aaguid,
        device_type: p.deviceType,
        backed_up: p.backedUp,
        name: p.name.slice(0, 100),
      })
      .returning('*');
    return toPasskey(r);
  }

  async findByCredentialId(credentialId: string): Promise<PasskeyRow | undefined> {
    const r = await this.db('passkeys').where({ credential_id: credentialId }).first();
    return r ? toPasskey(r) : undefined;
  }

  /** The user's passkey `id`, if it is theirs. */
  async find(userId: string, id: string): Promise<PasskeyRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const r = await this.db('passkeys').where({ id, user_id: userId }).first();
    return r ? toPasskey(r) : undefined;
  }

  /** Whether a credential id is already stored, for anyone. */
  async exists(credentialId: string): Promise<boolean> {
    return !!(await this.db('passkeys').where({ credential_id: credentialId }).first('id'));
  }

  /** Every passkey of the user, flagged ones too, newest first. */
  async listByUser(userId: string): Promise<PasskeyRow[]> {
    const rows = await this.db('passkeys')
      .where({ user_id: userId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    return rows.map(toPasskey);
  }

  /** The user's passkeys that can still sign in (not flagged). */
  async countUsable(userId: string): Promise<number> {
    const [r] = await this.db('passkeys').where({ user_id: userId }).whereNull('flagged_at').count({ n: '*' });
    return Number((r as { n: number | string }).n);
  }

  /**
   * Records a verified use, atomically with the counter rule: the row changes only if it is not
   * flagged and `newCounter` is higher than the stored counter, or both are 0 (a synced passkey).
   * False when that no longer holds (a replay, a clone, or a flag set meanwhile).
   */
  async recordUse(id: string, use: { newCounter: number; backedUp: boolean }): Promise<boolean> {
    const rows = await this.db('passkeys')
      .where({ id })
      .whereNull('flagged_at')
      .andWhere((q) => {
        q.where('counter', '<', use.newCounter);
        if (use.newCounter === 0) q.orWhere('counter', 0);
      })
      .update({ counter: use.newCounter, backed_up: use.backedUp, last_used_at: this.db.fn.now() })
      .returning('id');
    return rows.length > 0;
  }

  /** Marks a passkey as cloned: it never signs in again. False when it was flagged already. */
  async flag(id: string): Promise<boolean> {
    return affectedRows(await this.db('passkeys').where({ id }).whereNull('flagged_at').update({ flagged_at: this.db.fn.now() })) > 0;
  }

  /** Renames the user's passkey; undefined when they have no such passkey. */
  async rename(userId: string, id: string, name: string): Promise<PasskeyRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const [r] = await this.db('passkeys').where({ id, user_id: userId }).update({ name: name.slice(0, 100) }).returning('*');
    return r ? toPasskey(r) : undefined;
  }

  /** Deletes the user's passkey; false when they have no such passkey. */
  async delete(userId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    return affectedRows(await this.db('passkeys').where({ id, user_id: userId }).delete()) > 0;
  }

  /** Deletes every passkey of the user (flagged ones too); returns how many. */
  async deleteAll(userId: string): Promise<number> {
    return affectedRows(await this.db('passkeys').where({ user_id: userId }).delete());
  }
}
