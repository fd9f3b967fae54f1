/**
 * SQL for the identities at upstream providers linked to accounts (issue 12): one row per
 * provider subject, at most one per account and provider. A conflicting link never raises the
 * database's unique violation (which would abort a surrounding transaction): the insert does
 * nothing and the conflict is reported as a FederatedIdentityConflict.
 */
import { affectedRows, type Queryable } from '../storage/database.js';
import type { FederatedIdentity } from '../model/upstream-provider.js';

/** Why a link was refused. */
export type FederatedIdentityConflictReason =
  /** That subject of the provider is already linked, to another account. */
  | 'subject_linked'
  /** The account already has an identity (another subject) at that provider. */
  | 'account_linked';

export class FederatedIdentityConflict extends Error {
  constructor(
    readonly reason: FederatedIdentityConflictReason,
    /** The link that stands in the way. */
    readonly existing: FederatedIdentity,
  ) {
    super(
      reason === 'subject_linked'
        ? `this ${existing.providerId} identity is already linked to another account`
        : `this account already has another ${existing.providerId} identity linked`,
    );
    this.name = 'FederatedIdentityConflict';
  }
}

export interface NewFederatedIdentity {
  providerId: string;
  subject: string;
  userId: string;
  email?: string | null;
}

const toIdentity = (r: any): FederatedIdentity => ({
  providerId: r.provider_id,
  subject: r.subject,
  userId: r.user_id,
  email: r.email ?? null,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class FederatedIdentitiesRepository {
  constructor(private readonly db: Queryable) {}

  with(db: Queryable): FederatedIdentitiesRepository {
    return new FederatedIdentitiesRepository(db);
  }

  /** The account linked to a provider's subject. */
  async find(providerId: string, subject: string): Promise<FederatedIdentity | undefined> {
    const r = await this.db('federated_identities').where({ provider_id: providerId, subject }).first();
    return r ? toIdentity(r) : undefined;
  }

  /** An account's identity at one provider. */
  async findForUser(userId: string, providerId: string): Promise<FederatedIdentity | undefined> {
    if (!UUID.test(userId)) return undefined;
    const r = await this.db('federated_identities').where({ user_id: userId, provider_id: providerId }).first();
    return r ? toIdentity(r) : undefined;
  }

  /** An account's identities, oldest link first. */
  async listByUser(userId: string): Promise<FederatedIdentity[]> {
    if (!UUID.test(userId)) return [];
    return (await this.db('federated_identities').where({ user_id: userId }).orderBy([{ column: 'created_at' }, { column: 'provider_id' }])).map(toIdentity);
  }

  async countByUser(userId: string): Promise<number> {
    if (!UUID.test(userId)) return 0;
    const r = await this.db('federated_identities').where({ user_id: userId }).count('* as n').first();
    return Number(r?.n ?? 0);
  }

  async countByProvider(providerId: string): Promise<number> {
    const r = await this.db('federated_identities').where({ provider_id: providerId }).count('* as n').first();
    return Number(r?.n ?? 0);
  }

  /**
   * Links a provider's subject to an account. The very same link made again is no change (the
   * existing one is returned); a subject linked to another account, or an account with another
   * subject at that provider, throws FederatedIdentityConflict.
   */
  async link(identity: NewFederatedIdentity): Promise<FederatedIdentity> {
    // A link removed between the insert and the look-up: the next try finds a settled state.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [r] = await this.db('federated_identities')
        .insert({ provider_id: identity.providerId, subject: identity.subject, user_id: identity.userId, email: identity.email ?? null })
        .onConflict()
        .ignore()
        .returning('*');
      if (r) return toIdentity(r);
      const bySubject = await this.find(identity.providerId, identity.subject);
      if (bySubject?.userId === identity.userId) return bySubject;
      if (bySubject) throw new FederatedIdentityConflict('subject_linked', bySubject);
      const byUser = await this.findForUser(identity.userId, identity.providerId);
      if (byUser) throw new FederatedIdentityConflict('account_linked', byUser);
    }
    throw new Error(`could not link ${identity.providerId} identity: it kept changing concurrently`);
  }

  /**
   * A sign-in through the identity: when it was last used, and the e-mail the provider gave this
   * time (kept when it gave none). Undefined when the identity is not linked (any more).
   */
  async touch(providerId: string, subject: string, email: string | null): Promise<FederatedIdentity | undefined> {
    const [r] = await this.db('federated_identities')
      .where({ provider_id: providerId, subject })
      .update({ last_used_at: new Date(), ...(email ? { email } : {}) })
      .returning('*');
    return r ? toIdentity(r) : undefined;
  }

  /** Removes an account's identity at a provider; false when there was none. */
  async unlink(userId: string, providerId: string): Promise<boolean> {
    if (!UUID.test(userId)) return false;
    return affectedRows(await this.db('federated_identities').where({ user_id: userId, provider_id: providerId }).delete()) > 0;
  }
}
