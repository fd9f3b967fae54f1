/**
 * An https issuer means Sesam is public over https only, whatever its own socket says. Behind
 * a TLS-terminating proxy the connection to Sesam is plain HTTP, and unless TRUST_PROXY lets
 * Koa read X-Forwarded-Proto, both Koa apps (Sesam's and the engine, which is a Koa app too)
 * would take every request for http: the engine's cookies (`_session`, `_interaction`, …) lose
 * `Secure`, and Koa's cookies refuse `secure: true` outright on an "unencrypted connection".
 *
 * So the request's protocol is fixed to https on the app's request prototype: `ctx.secure` is
 * then true, every cookie either app sets is Secure, and URLs built from the request use the
 * issuer's scheme. No forwarded header is read for it, and `ctx.ip` stays the socket address
 * (TRUST_PROXY alone decides that).
 */
import type Koa from 'koa';

export function isHttpsIssuer(issuer: string): boolean {
  return new URL(issuer).protocol === 'https:';
}

/** With an https issuer, every request of `app` counts as https. Apply once per app. */
export function useIssuerScheme(app: Koa, issuer: string): void {
  if (!isHttpsIssuer(issuer)) return;
  Object.defineProperty(app.request, 'protocol', { configurable: true, enumerable: true, get: () => 'https' });
}
