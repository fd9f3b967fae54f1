/**
 * Ends everything one account holds in the OIDC engine: its browser sessions (telling each app
 * by back-channel logout) and its grants, with every code and token issued under them. Called
 * when a credential changes or is reset, after the change is stored, so nothing minted with the
 * old credential outlives it. The engine has no lookup by account: the adapters keep an account
 * index beside the artifacts (see adapters/account-index.ts). The account portal lists the same
 * sessions and grants, and ends one session or one app's access.
 */
import type { Client, Provider, Session } from 'oidc-provider';
import type { Logger } from '../logger.js';
import type { KeyValueStore } from '../storage/kv.js';
import type { AccountIndex } from './adapters/account-index.js';
import { deleteGrantContext } from './accounts.js';
import { SessionMetaStore, type SessionMeta } from './session-meta.js';

export interface AccountSessionsOptions {
  /** The current engine (it is rebuilt when signing keys rotate). */
  provider: () => Provider;
  index: AccountIndex;
  kv: KeyValueStore;
  logger: Logger;
}

export interface EndAllOptions {
  /**
   * The session to keep (the browser that made the change). Its grants are revoked all the same,
   * refresh tokens included — an app signed in through this very browser gets a new grant at its
   * next sign-in from the session: "every refresh token" dies with the password (seed 001).
   */
  exceptSessionUid?: string;
  /** The kept session keeps its grants (the user signs out their other devices: no credential changed). */
  keepOffline?: boolean;
}

export interface EndAllResult {
  /** Sessions ended. */
  sessions: number;
  /** Grants revoked (with their codes and tokens). */
  grants: number;
}

/** One browser session of the account, as the account portal lists it. */
export interface AccountSession {
  uid: string;
  /** When the user last proved who they are in it (epoch seconds). */
  loginTs?: number;
  /** Ends with the browser ("stay signed in" was not chosen). */
  transient: boolean;
  /** Epoch seconds. */
  expiresAt?: number;
  /** The apps signed in through it. */
  clientIds: string[];
  /** Where the sign-in came from, when it was recorded (see session-meta.ts). */
  meta?: SessionMeta;
}

/** One grant of the account: what an app was allowed (its consent), alive while it has tokens to mint. */
export interface AccountGrant {
  grantId: string;
  clientId: string;
  /** The OpenID scopes granted. */
  scopes: string[];
  /** Epoch seconds. */
  createdAt?: number;
  expiresAt?: number;
}

/** `Client#backchannelLogout` exists in oidc-provider (its end_session action uses it) but not in its types. */
type BackchannelClient = Client & { backchannelLogout(sub: string, sid: string | undefined): Promise<void> };

export class AccountSessions {
  private readonly meta: SessionMetaStore;

  constructor(private readonly options: AccountSessionsOptions) {
    this.meta = new SessionMetaStore(options.kv);
  }

  /** The account's live browser sessions, the latest sign-in first. */
  async list(accountId: string): Promise<AccountSession[]> {
    const sessions = await this.sessionsOf(this.options.provider(), accountId);
    const listed = await Promise.all(
      sessions.map(async (s) => ({
        uid: s.uid,
        loginTs: s.loginTs,
        transient: !!s.transient,
        expiresAt: s.exp,
        clientIds: Object.keys(s.authorizations ?? {}),
        meta: await this.meta.loadFor(s.uid, s.exp),
      })),
    );
    return listed.sort((a, b) => (b.loginTs ?? 0) - (a.loginTs ?? 0));
  }

  /**
   * Ends one session of the account, as `endAll` ends each (back-channel logout, then the session
   * goes), and revokes the grants it alone references. False when the account has no such
   * session (unknown, ended, or another account's: then nothing changes).
   */
  async end(accountId: string, sessionUid: string): Promise<boolean> {
    if (!sessionUid || sessionUid.length > 200) return false;
    const provider = this.options.provider();
    const session = await provider.Session.findByUid(sessionUid);
    if (!session || session.accountId !== accountId) return false;
    await this.endSession(provider, session);
    // Read after it ended: grants the other sessions still use stay.
    const kept = new Set((await this.sessionsOf(provider, accountId)).flatMap(grantIdsOf));
    const revoked = await Promise.all(grantIdsOf(session).filter((id) => !kept.has(id)).map((id) => this.revokeGrant(provider, accountId, id)));
    this.options.logger.info({ accountId, grants: revoked.filter(Boolean).length }, 'ended one session of an account');
    return true;
  }

  /** The account's live grants (one per app and sign-in; a third-party app's holds the consent given). */
  async grants(accountId: string): Promise<AccountGrant[]> {
    const provider = this.options.provider();
    const { grants } = await this.options.index.list(accountId);
    const found = await Promise.all(grants.map((id) => provider.Grant.find(id)));
    return found
      .filter((g): g is NonNullable<typeof g> => g !== undefined && g.accountId === accountId && typeof g.clientId === 'string')
      .map((g) => ({
        grantId: g.jti,
        clientId: g.clientId!,
        scopes: String(g.openid?.scope ?? '').split(' ').filter(Boolean),
        createdAt: g.iat,
        expiresAt: g.exp,
      }));
  }

  /**
   * Takes an app's access away from the account: it leaves every session of the account (told by
   * back-channel logout), then each of its grants is revoked with its codes and tokens (the
   * refresh tokens of apps on phones too). The app must sign in again. Counts what was undone:
   * nothing at all when the account had nothing with that app.
   */
  async revokeClient(accountId: string, clientId: string): Promise<EndAllResult> {
    const provider = this.options.provider();
    const sessions = (await this.sessionsOf(provider, accountId)).filter((s) => s.authorizations && Object.hasOwn(s.authorizations, clientId));
    const grantIds = new Set([
      ...(await this.grants(accountId)).filter((g) => g.clientId === clientId).map((g) => g.grantId),
      ...sessions.flatMap((s) => (s.authorizations![clientId].grantId ? [s.authorizations![clientId].grantId!] : [])),
    ]);
    // Out of the sessions first, so none can hand the app a new code under a grant about to go.
    await Promise.all(sessions.map((s) => this.leave(provider, s, clientId)));
    const revoked = await Promise.all([...grantIds].map((id) => this.revokeGrant(provider, accountId, id, clientId)));
    const result = { sessions: sessions.length, grants: revoked.filter(Boolean).length };
    this.options.logger.info({ accountId, clientId, ...result }, "revoked an app's access to an account");
    return result;
  }

  /** The account's live sessions (a stale index entry of another account is skipped). */
  private async sessionsOf(provider: Provider, accountId: string): Promise<Session[]> {
    const { sessions } = await this.options.index.list(accountId);
    return (await Promise.all(sessions.map((id) => provider.Session.find(id)))).filter((s): s is Session => s !== undefined && s.accountId === accountId);
  }

  /** The app leaves the session: told by back-channel logout, then forgotten by it. */
  private async leave(provider: Provider, session: Session, clientId: string): Promise<void> {
    await this.tellLogout(provider, session.accountId!, clientId, session.authorizations?.[clientId]?.sid);
    delete session.authorizations![clientId];
    const ttl = (session.exp ?? 0) - Math.floor(Date.now() / 1000);
    if (ttl > 0) await session.save(ttl);
  }

  private async tellLogout(provider: Provider, accountId: string, clientId: string, sid: string | undefined): Promise<void> {
    try {
      const client = (await provider.Client.find(clientId)) as BackchannelClient | undefined;
      if (!client?.backchannelLogoutUri) return;
      await client.backchannelLogout(accountId, sid);
    } catch (err) {
      this.options.logger.warn({ err, clientId, accountId }, 'back-channel logout failed');
    }
  }

  /**
   * Ends every session of the account but the excepted one, then revokes every grant of the
   * account (but those the excepted session references, with `keepOffline`). Idempotent: every step tolerates an
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
    const kept = exceptSessionUid && options.keepOffline ? await this.grantsOf(provider, accountId, exceptSessionUid) : new Set<string>();
    const grantIds = new Set([...(await this.options.index.list(accountId)).grants, ...sessions.flatMap(grantIdsOf)]);
    const revoked = await Promise.all([...grantIds].filter((id) => !kept.has(id)).map((id) => this.revokeGrant(provider, accountId, id)));

    const result = { sessions: sessions.length, grants: revoked.filter(Boolean).length };
    this.options.logger.info({ accountId, ...result }, 'ended the sessions and grants of an account');
    return result;
  }

  /** Back-channel logout to each app of the session (as the engine's end_session), then the session goes. */
  private async endSession(provider: Provider, session: Session): Promise<void> {
    const accountId = session.accountId!;
    await Promise.all(Object.entries(session.authorizations ?? {}).map(([clientId, authorization]) => this.tellLogout(provider, accountId, clientId, authorization.sid)));
    await session.destroy();
    await this.meta.delete(session.uid);
  }

  /**
   * Revokes the grant's codes and tokens, then the grant and Sesam's context of it. One
   * `revokeByGrantId` covers every model in both backends (SQL deletes by `grant_id` whatever the
   * model; Redis deletes every member of the grant set). Returns whether the grant still existed.
   */
  private async revokeGrant(provider: Provider, accountId: string, grantId: string, clientId?: string): Promise<boolean> {
    const grant = await provider.Grant.find(grantId);
    // A stale index entry must not touch another account's grant (nor, when one app is meant, another app's).
    if (grant && (grant.accountId !== accountId || (clientId !== undefined && grant.clientId !== clientId))) return false;
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
