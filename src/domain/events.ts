/**
 * The event log: every sign-in attempt, tenant choice, lockout and admin action, with time,
 * tenant, client, IP, user agent and method. A failure to record never breaks a sign-in.
 */
import type { Logger } from 'pino';
import { EventsRepository } from '../repositories/events-repository.js';
import type { Queryable } from '../storage/database.js';
import type { AuditActorType, EventRecord } from '../model/types.js';

export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
  clientId?: string | null;
  tenantId?: string | null;
  /** Set for an admin's change (an audit row), see actorMeta. */
  actorType?: AuditActorType | null;
  actorUserId?: string | null;
}

/** How long rows are kept: audit rows (an admin acted) and the others (sign-ins, lockouts...). */
export interface EventRetention {
  auditDays: number;
  eventDays: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const SWEEP_BATCH = 1000;
/** A run deletes at most this many batches of each kind: a backlog goes over several runs, never in one long lock. */
const SWEEP_MAX_BATCHES = 20;

/** Deletes rows past their retention, in bounded batches; returns how many of each kind went. */
export async function sweepEvents(repo: EventsRepository, retention: EventRetention, now = new Date()): Promise<{ audit: number; plain: number }> {
  const deleted = { audit: 0, plain: 0 };
  for (const [kind, days] of [['audit', retention.auditDays], ['plain', retention.eventDays]] as const) {
    const before = new Date(now.getTime() - days * DAY_MS);
    for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
      const n = await repo.deleteOlderThan(before, kind, SWEEP_BATCH);
      deleted[kind] += n;
      if (n < SWEEP_BATCH) break;
    }
  }
  return deleted;
}

export class EventLog {
  constructor(
    private readonly repo: EventsRepository,
    private readonly logger: Logger,
    /** Told of every event, stored or not (the metrics count sign-ins and lockouts from here). */
    private readonly observe?: (event: EventRecord) => void,
  ) {}

  /** The same log writing through `db` (a transaction: events commit or roll back with it). */
  with(db: Queryable): EventLog {
    return new EventLog(new EventsRepository(db), this.logger, this.observe);
  }

  async record(event: EventRecord): Promise<void> {
    this.observe?.(event);
    try {
      await this.repo.insert(event);
      this.logger.info({ event: event.type, userId: event.userId, tenantId: event.tenantId, clientId: event.clientId, ip: event.ip }, 'event');
    } catch (error) {
      this.logger.error({ err: error, event: event.type }, 'could not record event');
    }
  }
}
