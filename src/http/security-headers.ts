/**
 * Strict headers for every page Sesam renders: a CSP with a per-response nonce for the one
 * stylesheet (and scripts, later), no framing, no caching, no referrer. With an https issuer,
 * HSTS on every response (two years), so a browser never tries plain http again; never with an
 * http issuer (development and tests on plain http, where it has no business).
 */
import crypto from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { isHttpsIssuer } from './https-issuer.js';

export const HSTS = 'max-age=63072000';

export function newNonce(ctx: Context): string {
  ctx.state.cspNonce ??= crypto.randomBytes(16).toString('base64');
  return ctx.state.cspNonce as string;
}

/** The headers middleware for a server whose public address is `issuer`. */
export function securityHeaders(issuer: string): Middleware {
  const hsts = isHttpsIssuer(issuer);
  return async (ctx: Context, next: Next) => {
    // Before the handlers: an answer made by an error handler further out still carries it.
    if (hsts) ctx.set('Strict-Transport-Security', HSTS);
    await next();
    strictPageHeaders(ctx);
  };
}

function strictPageHeaders(ctx: Context): void {
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  const nonce = ctx.state.cspNonce as string | undefined;
  if (nonce) {
    ctx.set(
      'Content-Security-Policy',
      `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
  }
}
