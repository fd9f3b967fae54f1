/**
 * Strict headers for every page Sesam renders: a CSP with a per-response nonce for the one
 * stylesheet (and scripts, later), no framing, no caching, no referrer.
 */
import crypto from 'node:crypto';
import type { Context, Next } from 'koa';

export function newNonce(ctx: Context): string {
  ctx.state.cspNonce ??= crypto.randomBytes(16).toString('base64');
  return ctx.state.cspNonce as string;
}

export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
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
