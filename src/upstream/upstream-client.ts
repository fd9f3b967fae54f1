/**
 * The upstream leg of a federated sign-in, behind one interface whatever the protocol: `start`
 * gives the address to send the browser to and what must be kept (in the journey) to check the
 * answer; `finish` checks the answer at the callback and gives who the provider says the user is.
 * OpenID Connect is oidc-upstream.ts (openid-client); a SAML provider would be another
 * implementation, the journey unchanged.
 */
import type { UpstreamProvider } from '../model/upstream-provider.js';

/** Kept between `start` and `finish` (in the journey, never in a cookie of its own). */
export interface UpstreamPending {
  providerId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Epoch milliseconds: an answer much later than this is refused. */
  startedAt: number;
}

/** Who the provider says the user is. */
export interface UpstreamIdentity {
  /** The value of the provider's `subjectClaim` (default `sub`). */
  subject: string;
  email: string | null;
  /** The provider vouches for the e-mail (`email_verified: true`). */
  emailVerified: boolean;
  name: string | null;
  /** What the provider says it proved (its own values). */
  acr?: string;
  amr?: string[];
}

export type UpstreamErrorCode =
  /** The provider answered with an error (the user cancelled, access denied). */
  | 'denied'
  /** The answer's state matches no sign-in under way (a replay, or another tab's). */
  | 'state_mismatch'
  /** The provider cannot be reached (discovery or token endpoint). */
  | 'unreachable'
  /** The answer or the ID token does not check out (issuer, audience, signature, expiry, nonce). */
  | 'invalid_response'
  /** The provider is configured in a way that cannot work (no secret, no key). */
  | 'misconfigured';

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    /** The provider's own error code and description, for the log only (never shown: a provider's text is not ours to show). */
    readonly upstream?: { error: string; errorDescription?: string },
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamStartOptions {
  /** Where the provider sends the browser back: `<issuer>/interaction/callback/<provider id>`. */
  redirectUri: string;
  loginHint?: string;
  uiLocales?: string;
}

export interface UpstreamClient {
  start(provider: UpstreamProvider, options: UpstreamStartOptions): Promise<{ url: string; pending: UpstreamPending }>;
  /** Checks the callback's query against `pending`; throws UpstreamError. */
  finish(provider: UpstreamProvider, pending: UpstreamPending, callback: { redirectUri: string; query: Record<string, string> }): Promise<UpstreamIdentity>;
}
