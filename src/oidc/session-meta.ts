/**
 * What the engine's Session does not keep: the browser and address a sign-in came from, for the
 * account portal's list of sessions ("Firefox on Windows, 203.0.113.5"). Written once per
 * finished sign-in, when the engine resumes after a journey that proved who the user is (its
 * `login` result), keyed by the session's uid (stable for the life of the browser session); never
 * on the silent authorizations of a session already signed in.
 */
import type { Context, Middleware, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { KeyValueStore } from '../storage/kv.js';
import type { Logger } from '../logger.js';

export interface SessionMeta {
  ip: string | null;
  userAgent: string | null;
  /** When this record expires (epoch seconds): the session's expiry when it was written. */
  expiresAt: number;
}

/** A session with no known expiry (it should not happen) keeps its record this long. */
const FALLBACK_SECONDS = 30 * 24 * 3600;

const metaKey = (uid: string) => `session-meta:${uid}`;

export class SessionMetaStore {
  constructor(private readonly kv: KeyValueStore) {}

  /** Stores the record until `expiresAt` (epoch seconds), the session's own expiry. */
  async save(uid: string, meta: Omit<SessionMeta, 'expiresAt'>, expiresAt: number): Promise<void> {
    const ttl = expiresAt - Math.floor(Date.now() / 1000);
    if (ttl > 0) await this.kv.set(metaKey(uid), { ...meta, expiresAt } satisfies SessionMeta, ttl);
  }

  load(uid: string): Promise<SessionMeta | undefined> {
    return this.kv.get<SessionMeta>(metaKey(uid));
  }

  /**
   * The record of a session still alive at `sessionExp`: a session slides forward each time it is
   * used, so a record written at sign-in is carried along when the session outlived it.
   */
  async loadFor(uid: string, sessionExp: number | undefined): Promise<SessionMeta | undefined> {
    const meta = await this.load(uid);
    if (meta && sessionExp && sessionExp > meta.expiresAt + 60) await this.save(uid, meta, sessionExp);
    return meta;
  }

  delete(uid: string): Promise<void> {
    return this.kv.delete(metaKey(uid));
  }
}

/**
 * Engine middleware (`provider.use`): after a resume that logged an account in, records where the
 * sign-in came from. It runs once the engine saved the session, so its uid and expiry are final;
 * a failure is logged and never breaks the sign-in.
 */
export function recordSessionMeta(store: SessionMetaStore, logger: Logger): Middleware {
  return async (koa: Context, next: Next) => {
    await next();
    const ctx = koa as unknown as KoaContextWithOIDC;
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
    if (oidc?.route !== 'resume') return;
    const login = oidc.result?.login;
    const session = oidc.session;
    // A resume that asked to sign another account out first logs nobody in yet.
    if (!login || !session?.accountId || session.accountId !== login.accountId) return;
    const exp = typeof session.exp === 'number' ? session.exp : Math.floor(Date.now() / 1000) + FALLBACK_SECONDS;
    try {
      await store.save(session.uid, { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null }, exp);
    } catch (err) {
      logger.warn({ err }, 'could not record where a sign-in came from');
    }
  };
}
