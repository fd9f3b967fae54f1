/** SQL for the event log (sign-in attempts, lockouts, admin actions). */
import type { Queryable } from '../storage/database.js';
import type { Knex } from 'knex';
import type { EventRecord } from '../model/types.js';

export interface StoredEvent extends EventRecord {
  id: number;
  at: Date;
}

/**
 * Where a page of events ends: the last event's time, to the microsecond as the database keeps
 * it (a JavaScript Date would round it to the millisecond and skip or repeat events), and its id.
 */
export interface EventCursor {
  at: string;
  id: number;
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6})Z_(\d{1,18})$/;

/** A cursor as a URL-safe string (`2027-01-03T13:05:00.123456Z_42`). */
export function formatEventCursor(cursor: EventCursor): string {
  return `${cursor.at}_${cursor.id}`;
}

/** The cursor a string names, or undefined when it is not one (a real date and a positive id). */
export function parseEventCursor(value: unknown): EventCursor | undefined {
  const m = typeof value === 'string' ? CURSOR.exec(value) : null;
  if (!m) return undefined;
  const ms = new Date(`${m[1].slice(0, 23)}Z`);
  if (Number.isNaN(ms.getTime()) || ms.toISOString().slice(0, 23) !== m[1].slice(0, 23)) return undefined;
  const id = Number(m[2]);
  return Number.isSafeInteger(id) && id > 0 ? { at: `${m[1]}Z`, id } : undefined;
}

const toEvent = (r: any): StoredEvent => ({
  id: Number(r.id),
  at: new Date(r.at),
  type: r.type,
  userId: r.user_id,
  tenantId: r.tenant_id,
  clientId: r.client_id,
  ip: r.ip,
  userAgent: r.user_agent,
  method: r.method,
  details: r.details,
  actorType: r.actor_type,
  actorUserId: r.actor_user_id,
  targetType: r.target_type,
  targetId: r.target_id,
});

const AT_KEY = `to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at_key`;

export class EventsRepository {
  constructor(private readonly db: Queryable) {}

  async insert(e: EventRecord): Promise<void> {
    await this.db('events').insert({
      type: e.type,
      user_id: e.userId ?? null,
      tenant_id: e.tenantId ?? null,
      client_id: e.clientId ?? null,
      ip: e.ip ?? null,
      user_agent: e.userAgent ? e.userAgent.slice(0, 512) : null,
      method: e.method ?? null,
      details: e.details ? JSON.stringify(e.details) : null,
      actor_type: e.actorType ?? null,
      actor_user_id: e.actorUserId ?? null,
      // An admin change on a user is a change on that user unless the event names another target.
      target_type: e.targetType ?? (e.actorType && e.userId ? 'user' : null),
      target_id: e.targetType ? (e.targetId ?? null) : e.actorType && e.userId ? e.userId : null,
    });
  }

  async list(filter: { userId?: string; tenantId?: string; type?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    const q = this.db('events').orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000));
    if (filter.userId) q.where('user_id', filter.userId);
    if (filter.tenantId) q.where('tenant_id', filter.tenantId);
    if (filter.type) q.where('type', filter.type);
    return (await q).map(toEvent);
  }

  /**
   * One page of a user's events of the given types, newest first, older than `before` when given
   * (keyset paging on time then id: a page stays right while new events arrive). `next` names the
   * following page when there is one.
   */
  async page(filter: { userId: string; types: readonly string[]; before?: EventCursor; limit: number }): Promise<{ events: StoredEvent[]; next?: EventCursor }> {
    return this.keysetPage(this.db('events').where('user_id', filter.userId).whereIn('type', [...filter.types]), filter);
  }

  /**
   * One page of the audit rows (an actor made them) concerning a tenant, newest first: those that
   * name the tenant, and those without a tenant (an operator's) on a user who is a member of it
   * now. An action of another tenant's admin on a shared account names that other tenant: it is
   * not shown here.
   */
  async auditPage(filter: { tenantId: string; before?: EventCursor; limit: number }): Promise<{ events: StoredEvent[]; next?: EventCursor }> {
    const members = this.db('memberships').select('user_id').where('tenant_id', filter.tenantId);
    const rows = this.db('events')
      .whereNotNull('actor_type')
      .where((w) => {
        void w.where('tenant_id', filter.tenantId).orWhere((o) => void o.whereNull('tenant_id').whereIn('user_id', members));
      });
    return this.keysetPage(rows, filter);
  }

  /**
   * One page of a tenant's events, newest first: those that name the tenant, and those without a
   * tenant of the `memberTypes` (a sign-in before the tenant is chosen, a lock) on a user who is a
   * member of it now.
   */
  async tenantPage(filter: { tenantId: string; memberTypes: readonly string[]; before?: EventCursor; limit: number }): Promise<{ events: StoredEvent[]; next?: EventCursor }> {
    const members = this.db('memberships').select('user_id').where('tenant_id', filter.tenantId);
    const rows = this.db('events').where((w) => {
      void w.where('tenant_id', filter.tenantId).orWhere((o) => void o.whereNull('tenant_id').whereIn('type', [...filter.memberTypes]).whereIn('user_id', members));
    });
    return this.keysetPage(rows, filter);
  }

  /** Newest first, `limit` rows (at most 200) older than `before`: keyset paging on time then id, steady while new events arrive. */
  private async keysetPage(rows: Knex.QueryBuilder, filter: { before?: EventCursor; limit: number }): Promise<{ events: StoredEvent[]; next?: EventCursor }> {
    const limit = Math.max(1, Math.min(filter.limit, 200));
    const q = rows
      .select('*', this.db.raw(AT_KEY))
      .orderBy([
        { column: 'at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit + 1);
    if (filter.before) q.whereRaw('(at, id) < (cast(? as timestamptz), ?)', [filter.before.at, filter.before.id]);
    return pageOf(await q, limit);
  }

  /**
   * Deletes up to `batch` rows older than `before`: audit rows (with an actor) or the others.
   * Returns how many went; the caller repeats while a batch comes back full.
   */
  async deleteOlderThan(before: Date, kind: 'audit' | 'plain', batch: number): Promise<number> {
    const ids = this.db('events')
      .select('id')
      .where('at', '<', before)
      .modify((q) => void (kind === 'audit' ? q.whereNotNull('actor_type') : q.whereNull('actor_type')))
      .orderBy('id')
      .limit(batch);
    return Number(await this.db('events').whereIn('id', ids).delete());
  }
}

function pageOf(rows: any[], limit: number): { events: StoredEvent[]; next?: EventCursor } {
  const events = rows.slice(0, limit).map(toEvent);
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { events, next: last ? { at: String(last.at_key), id: Number(last.id) } : undefined };
}
