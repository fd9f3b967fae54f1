/**
 * The trusted-device cookie: long-lived, signed, HttpOnly; one per user on a shared browser.
 * It carries a random token whose hash the server keeps (listable and revocable per user).
 */
import crypto from 'node:crypto';
import type { Context } from 'koa';

export function deviceCookieName(userId: string): string {
  return `sesam_td_${crypto.createHash('sha256').update(userId).digest('hex').slice(0, 12)}`;
}

export function readDeviceToken(ctx: Context, userId: string): string | undefined {
  return ctx.cookies.get(deviceCookieName(userId), { signed: true }) ?? undefined;
}

export function writeDeviceToken(ctx: Context, userId: string, token: string, expiresAt: Date, secure: boolean): void {
  ctx.cookies.set(deviceCookieName(userId), token, { signed: true, httpOnly: true, sameSite: 'lax', secure, expires: expiresAt, overwrite: true });
}
