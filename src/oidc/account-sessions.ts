/**
 * Ends everything one account holds in the OIDC engine: its browser sessions (telling each app
 * by back-channel logout) and its grants, with every code and token issued under them. Called
 * when a credential changes or is reset, after the change is stored, so nothing minted with the
 * old credential outlives it. The engine has no lookup by account: the adapters keep an account
 * index beside the artifacts (see adapters/account-index.ts).
 */
import type { Client, Provider, Session } from 'oidc-provider';
import type { Logger } from '../logger.js';
import type { KeyValueStore } from '../storage/kv.js';
import type { AccountIndex } from './adapters/account-index.js';
import { deleteGrantContext } from './accounts.js';

export interface AccountSessionsOptions {
  /** The current engine (it is rebuilt when signing keys rotate). */
  provider: () => Provider;
  index: AccountIndex;
  kv: KeyValueStore;
  logger: Logger;
}

export interface EndAllOptions {
  /** The session to keep (the browser that made the change), with the grants it references. */
  exceptSessionUid?: string;
}

export interface EndAllResult {
  /** Sessions ended. */
  sessions: number;
  /** Grants revoked (with their codes and tokens). */
  grants: number;
}

/** `Client#backchannelLogout` exists in oidc-provider (its end_session action uses it) but not in its types. */
type BackchannelClient = Client & { backchannelLogout(sub: string, sid: string | undefined): Promise<void> };

export class AccountSessions {
  constructor(private readonly options: AccountSessionsOptions) {}

  /**
   * Ends every session of the account but the excepted one, then revokes every grant of the
   * account but those the excepted session references. Idempotent: every step tolerates an
   * artifact already gone, so two calls may run in parallel.
   */
  async endAll(accountId: string, options: EndAllOptions = {}): Promise<EndAllResult> {
    const provider = this.options.provider();
    const { exceptSessionUid } = options;

    // Sessions first: once they are gone they can no longer mint grants behind our back.
    const listed = await this.options.index.list(accountId);
    const sessions = (await Promise.all(listed.sessions.map((id) => provider.Session.find(id)))).filter(
      (s): s is Session => s !== undefined && s.accountId === accountId && (exceptSessionUid === undefined || s.uid !== exceptSessionUid),
    );
    await Promise.all(sessions.map((session) => this.endSession(provider, session)));

    // Grants listed after the sessions ended, so those minted meanwhile are caught; the kept
    // session is read now for the same reason. Grants named by ended sessions count too (an
    // index entry may be missing for artifacts written before the index existed).
    const kept = exceptSessionUid ? await this.grantsOf(provider, accountId, exceptSessionUid) : new Set<string>();
    const grantIds = new Set([...(await this.options.index.list(accountId)).grants, ...sessions.flatMap(grantIdsOf)]);
    const revoked = await Promise.all([...grantIds].filter((id) => !kept.has(id)).map((id) => this.revokeGrant(provider, accountId, id)));

    const result = { sessions: sessions.length, grants: revoked.filter(Boolean).length };
    this.options.logger.info({ accountId, ...result }, 'ended the sessions and grants of an account');
    return result;
  }

  /** Back-channel logout to each app of the session (as the engine's end_session), then the session goes. */
  private async endSession(provider: Provider, session: Session): Promise<void> {
    const accountId = session.accountId!;
    await Promise.all(
      Object.entries(session.authorizations ?? {}).map(async ([clientId, authorization]) => {
        try {
          const client = (await provider.Client.find(clientId)) as BackchannelClient | undefined;
          if (!client?.backchannelLogoutUri) return;
          await client.backchannelLogout(accountId, authorization.sid);
        } catch (err) {
          this.options.logger.warn({ err, clientId, accountId }, 'back-channel logout failed');
        }
      }),
    );
    await session.destroy();
  }

  /**
   * Revokes the grant's codes and tokens, then the grant and Sesam's context of it. One
   * `revokeByGrantId` covers every model in both backends (SQL deletes by `grant_id` whatever the
   * model; Redis deletes every member of the grant set). Returns whether the grant still existed.
   */
  private async revokeGrant(provider: Provider, accountId: string, grantId: string): Promise<boolean> {
    const grant = await provider.Grant.find(grantId);
    // A stale index entry must not touch another account's grant.
    if (grant && grant.accountId !== accountId) return false;
    await provider.AccessToken.adapter.revokeByGrantId(grantId);
    await provider.Grant.adapter.destroy(grantId);
    await deleteGrantContext(this.options.kv, grantId);
    return grant !== undefined;
  }

  /** Grant ids referenced by the account's session with this uid (none if it is not the account's). */
  private async grantsOf(provider: Provider, accountId: string, uid: string): Promise<Set<string>> {
    const session = await provider.Session.findByUid(uid);
    return new Set(session?.accountId === accountId ? grantIdsOf(session) : []);
  }
}

function grantIdsOf(session: Session): string[] {
  return Object.values(session.authorizations ?? {}).flatMap((a) => (a.grantId ? [a.grantId] : []));
}
