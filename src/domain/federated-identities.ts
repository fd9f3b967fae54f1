/**
 * What an operator does with the identities at upstream providers linked to an account (issue
 * 12): list them, and unlink one (a lost or compromised Google account, a person who left).
 * Linking happens in the sign-in (federation.ts, through the repository).
 *
 * Unlinking is a credential change: the account's sessions and grants end with it, as after a
 * password reset, so that a session opened through that identity does not outlive the link. An
 * operator may unlink an account's last way in (it can get a password again by a reset).
 */
import type { FederatedIdentity } from '../model/upstream-provider.js';
import type { User } from '../model/types.js';
import type { FederatedIdentitiesRepository } from '../repositories/federated-identities-repository.js';
import type { EventLog } from './events.js';
import { actorMeta, type Actor, type Credentials } from './credentials.js';
import { DirectoryError } from './directory-error.js';

export interface FederatedIdentitiesDeps {
  identities: FederatedIdentitiesRepository;
  /** A user by id, login or e-mail, or DirectoryError not_found (Directory.requireUser). */
  requireUser: (idOrIdentifier: string) => Promise<User>;
  credentials: Pick<Credentials, 'endSessions'>;
  events: EventLog;
}

export class FederatedIdentities {
  constructor(private readonly deps: FederatedIdentitiesDeps) {}

  /** A user's linked identities, oldest first. */
  async listFor(idOrIdentifier: string): Promise<FederatedIdentity[]> {
    const user = await this.deps.requireUser(idOrIdentifier);
    return this.deps.identities.listByUser(user.id);
  }

  /** Unlinks a user's identity at a provider and ends their sessions; not_found when there is none. */
  async unlink(idOrIdentifier: string, providerId: string, actor: Actor = {}): Promise<void> {
    const user = await this.deps.requireUser(idOrIdentifier);
    const identity = await this.deps.identities.findForUser(user.id, providerId);
    if (!identity || !(await this.deps.identities.unlink(user.id, providerId))) {
      throw new DirectoryError('not_found', `user ${idOrIdentifier} has no identity linked at provider ${providerId}`);
    }
    await this.deps.events.record({ type: 'admin.identity_unlinked', userId: user.id, ...actorMeta(actor), details: { provider: providerId, subject: identity.subject } });
    await this.deps.credentials.endSessions(user.id, 'identity_unlinked', actorMeta(actor));
  }
}
