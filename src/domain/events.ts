/**
 * The event log: every sign-in attempt, tenant choice, lockout and admin action, with time,
 * tenant, client, IP, user agent and method. A failure to record never breaks a sign-in.
 */
import type { Logger } from 'pino';
import { EventsRepository } from '../repositories/events-repository.js';
import type { Queryable } from '../storage/database.js';
import type { EventRecord } from '../model/types.js';

export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
  clientId?: string | null;
  tenantId?: string | null;
}

export class EventLog {
  constructor(private readonly repo: EventsRepository, private readonly logger: Logger) {}

  /** The same log writing through `db` (a transaction: events commit or roll back with it). */
  with(db: Queryable): EventLog {
    return new EventLog(new EventsRepository(db), this.logger);
  }

  async record(event: EventRecord): Promise<void> {
    try {
      await this.repo.insert(event);
      this.logger.info({ event: event.type, userId: event.userId, tenantId: event.tenantId, clientId: event.clientId, ip: event.ip }, 'event');
    } catch (error) {
      this.logger.error({ err: error, event: event.type }, 'could not record event');
    }
  }
}
