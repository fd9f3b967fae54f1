/**
 * Wrong second-factor codes (SMS, authenticator, recovery) counted per account, across journeys,
 * devices and sources: a journey's own limit is no limit when anyone can start another. Each try
 * reserves its place atomically before the code is checked, so a parallel burst gets no more
 * checks than the budget; after CODE_FAILURES_BEFORE_LOCK wrong codes in a row the account is
 * locked under its tenants' lockout rule (temporary or until an admin unlocks), with the same
 * events as a password lock; a right code resets the count (NIST SP 800-63B §5.2.2).
 */
import type { UsersRepository } from '../repositories/users-repository.js';
import type { EventLog, RequestMeta } from './events.js';
import { strictestLockout, type TenantPolicy } from '../model/tenant-policy.js';

export const CODE_FAILURES_BEFORE_LOCK = 10;

export class CodeAttempts {
  constructor(
    private readonly users: UsersRepository,
    private readonly events: EventLog,
  ) {}

  /**
   * Runs `check` within the account's budget. `locked`: the account is locked (by passwords or
   * codes) and the code was not checked, or this wrong code used up the budget and locked it.
   */
  async guard<R extends string>(
    userId: string,
    policies: TenantPolicy[],
    meta: RequestMeta & { method: string },
    check: () => Promise<R | 'ok'>,
  ): Promise<R | 'ok' | 'locked'> {
    const attempt = await this.users.reserveCodeAttempt(userId, CODE_FAILURES_BEFORE_LOCK);
    if (attempt === undefined) {
      await this.events.record({ type: 'login.locked', userId, ...meta });
      return 'locked';
    }
    const result = await check();
    if (result === 'ok') {
      await this.users.recordCodeSuccess(userId);
      return result;
    }
    if (attempt >= CODE_FAILURES_BEFORE_LOCK) {
      const rule = { ...strictestLockout(policies), threshold: CODE_FAILURES_BEFORE_LOCK };
      await this.users.settleFailure(userId, attempt, rule);
      await this.events.record({ type: 'account.locked', userId, ...meta, details: { mode: rule.mode, threshold: rule.threshold, reason: 'second_factor' } });
      return 'locked';
    }
    return result;
  }
}
