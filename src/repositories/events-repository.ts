/** SQL for the event log (sign-in attempts, lockouts, admin actions). */
import type { Queryable } from '../storage/database.js';
import type { EventRecord } from '../model/types.js';

export interface StoredEvent extends EventRecord {
  id: number;
  at: Date;
}

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
    });
  }

  async list(filter: { userId?: string; tenantId?: string; type?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    const q = this.db('events').orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000));
    if (filter.userId) q.where('user_id', filter.userId);
    if (filter.tenantId) q.where('tenant_id', filter.tenantId);
    if (filter.type) q.where('type', filter.type);
    return (await q).map((r) => ({
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
    }));
  }
}
