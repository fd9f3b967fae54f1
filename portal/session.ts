/**
 * The portal's own session: a random id in a signed, httpOnly cookie, the record in the shared
 * store (any instance serves any request). It is bound to the engine's browser session it was
 * signed in with: when that session ends (sign-out, a credential changed elsewhere, an admin
 * reset), the portal session is worthless (see `PortalSessions.live`).
 */
import crypto from 'node:crypto';
import type { Context } from 'koa';
import type { KeyValueStore } from '../src/storage/kv.js';

export const PORTAL_COOKIE = 'sesam.portal';
/** A sign-in to the portal lasts a working day at most; credential changes ask for a fresh one anyway. */
export const PORTAL_SESSION_SECONDS = 8 * 3600;

export interface PortalSession {
  id: string;
  accountId: string;
  /** When the user last proved who they are (the ID token's auth_time), in seconds. */
  authTime: number;
  /** The engine's browser session the portal was signed in with (its uid). */
  providerSessionUid?: string;
  /** The ID token, for RP-initiated logout. */
  idToken: string;
  /** Anti-forgery token every portal form carries. */
  csrf: string;
  createdAt: number;
  /** The language chosen with the switcher in this session. */
  locale?: string;
  /** A one-time message for the next page (what the last action did). */
  flash?: { kind: 'success' | 'error'; text: string };
  /** Secrets shown once (recovery codes), sealed; and scratch state of a set-up under way. */
  scratch?: Record<string, string>;
}

/** A sign-in under way: what the callback checks (state, nonce, PKCE), keyed by state. */
export interface PendingSignIn {
  verifier: string;
  nonce: string;
  returnTo: string;
  maxAge?: number;
}

const sessionKey = (id: string) => `portal:session:${id}`;
const pendingKey = (state: string) => `portal:pending:${state}`;

export class PortalSessions {
  constructor(private readonly kv: KeyValueStore, private readonly secureCookies: boolean) {}

  async create(ctx: Context, input: Omit<PortalSession, 'id' | 'csrf' | 'createdAt'>): Promise<PortalSession> {
    const previous = this.cookie(ctx);
    if (previous) await this.kv.delete(sessionKey(previous)); // a new sign-in never inherits an old id
    const session: PortalSession = { ...input, id: crypto.randomBytes(24).toString('base64url'), csrf: crypto.randomBytes(24).toString('base64url'), createdAt: Date.now() };
    await this.save(session);
    ctx.cookies.set(PORTAL_COOKIE, session.id, { httpOnly: true, sameSite: 'lax', signed: true, secure: this.secureCookies, path: '/account', maxAge: PORTAL_SESSION_SECONDS * 1000, overwrite: true });
    return session;
  }

  async load(ctx: Context): Promise<PortalSession | undefined> {
    const id = this.cookie(ctx);
    return id ? this.kv.get<PortalSession>(sessionKey(id)) : undefined;
  }

  async save(session: PortalSession): Promise<void> {
    const left = Math.ceil((session.createdAt + PORTAL_SESSION_SECONDS * 1000 - Date.now()) / 1000);
    if (left > 0) await this.kv.set(sessionKey(session.id), session, left);
  }

  async destroy(ctx: Context): Promise<void> {
    const id = this.cookie(ctx);
    if (id) await this.kv.delete(sessionKey(id));
    ctx.cookies.set(PORTAL_COOKIE, null, { path: '/account', signed: true, secure: this.secureCookies, overwrite: true });
  }

  async savePending(state: string, pending: PendingSignIn): Promise<void> {
    await this.kv.set(pendingKey(state), pending, 3600);
  }

  /** The sign-in started with `state`, once: a replayed callback finds nothing. */
  async takePending(state: string): Promise<PendingSignIn | undefined> {
    const pending = await this.kv.get<PendingSignIn>(pendingKey(state));
    if (pending) await this.kv.delete(pendingKey(state));
    return pending;
  }

  private cookie(ctx: Context): string | undefined {
    return ctx.cookies.get(PORTAL_COOKIE, { signed: true }) || undefined;
  }
}
