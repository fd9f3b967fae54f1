/**
 * Linking an upstream account from the account portal (issue 12), outside any sign-in: the
 * portal asks the provider with the same callback as the journey (one redirect URI to register
 * at Google or itsme), and keeps here what the answer must match. The request is single use,
 * short-lived and bound to the browser that started it by a cookie nonce (kept as a hash): an
 * answer brought by another browser — an attacker making a victim link the attacker's upstream
 * account, or the reverse — finds nothing.
 */
import crypto from 'node:crypto';
import type { KeyValueStore } from '../storage/kv.js';
import type { UpstreamPending } from './upstream-client.js';

export const LINK_COOKIE = 'sesam.upstream-link';
export const LINK_SECONDS = 10 * 60;

export interface LinkRequest {
  userId: string;
  pending: UpstreamPending;
  /** A path under /account to come back to. */
  returnTo: string;
  nonceHash: string;
}

const key = (state: string) => `upstream:link:${state}`;
const hash = (nonce: string) => crypto.createHash('sha256').update(nonce).digest('base64url');

export class LinkRequests {
  constructor(private readonly kv: KeyValueStore) {}

  /** Keeps the request; the nonce goes into the browser's cookie. */
  async begin(userId: string, pending: UpstreamPending, returnTo: string): Promise<{ nonce: string }> {
    const nonce = crypto.randomBytes(24).toString('base64url');
    await this.kv.set(key(pending.state), { userId, pending, returnTo, nonceHash: hash(nonce) } satisfies LinkRequest, LINK_SECONDS);
    return { nonce };
  }

  /** Is an answer with this state a portal link (rather than a sign-in)? */
  async exists(state: string): Promise<boolean> {
    return !!state && (await this.kv.get<LinkRequest>(key(state))) !== undefined;
  }

  /** The request for this state, once, if this browser started it. */
  async take(state: string, nonce: string | undefined): Promise<LinkRequest | undefined> {
    const request = await this.kv.take<LinkRequest>(key(state));
    if (!request || !nonce) return undefined;
    const a = Buffer.from(request.nonceHash);
    const b = Buffer.from(hash(nonce));
    return a.length === b.length && crypto.timingSafeEqual(a, b) ? request : undefined;
  }
}
