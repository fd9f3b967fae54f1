/** What the admin API shows of stored records: never a password hash, never a client secret. */
import type { ClientRecord } from '../model/types.js';
import type { Notice } from '../model/notice.js';
import type { SigningKeyInfo } from '../oidc/signing-keys.js';

export type ClientView = Record<string, unknown> & { client_id: string; first_party: boolean; tenants: string[] | null; notice: Notice | null };

/**
 * A client as registration metadata (snake_case, the shape POST/PUT accept), without its
 * secret and without what Sesam derives (response_types).
 */
export function clientView(c: ClientRecord): ClientView {
  const { client_secret: _secret, response_types: _derived, ...metadata } = c.metadata;
  return { ...metadata, client_id: c.clientId, first_party: c.firstParty, tenants: c.tenants, notice: c.notice ?? null };
}

export interface KeyView extends SigningKeyInfo {
  /** Still in the JWKS (active, or retired but not yet expired). */
  published: boolean;
}

export function keyView(k: SigningKeyInfo, now = new Date()): KeyView {
  return { ...k, published: !k.expiresAt || k.expiresAt > now };
}
