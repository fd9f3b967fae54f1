/**
 * Cookies that remember something about this browser, per user (several people may share one):
 * long-lived, signed, HttpOnly.
 * - the trusted device: a random token whose hash the server keeps (listable and revocable);
 * - "skip" on the passkey offer: only a date; the offer comes back after it.
 */
import crypto from 'node:crypto';
import type { Context } from 'koa';

const DAY_MS = 24 * 60 * 60 * 1000;

function cookieName(kind: 'td' | 'pks', userId: string): string {
  return `sesam_${kind}_${crypto.createHash('sha256').update(userId).digest('hex').slice(0, 12)}`;
}

export function deviceCookieName(userId: string): string {
  return cookieName('td', userId);
}

export function readDeviceToken(ctx: Context, userId: string): string | undefined {
  return ctx.cookies.get(deviceCookieName(userId), { signed: true }) ?? undefined;
}

export function writeDeviceToken(ctx: Context, userId: string, token: string, expiresAt: Date, secure: boolean): void {
  ctx.cookies.set(deviceCookieName(userId), token, { signed: true, httpOnly: true, sameSite: 'lax', secure, expires: expiresAt, overwrite: true });
}

/** The user skipped the passkey offer on this browser less than `days` ago. */
export function offerSkipped(ctx: Context, userId: string): boolean {
  const until = Number(ctx.cookies.get(cookieName('pks', userId), { signed: true }));
  return Number.isFinite(until) && until > Date.now();
}

export function writeOfferSkipped(ctx: Context, userId: string, days: number, secure: boolean): void {
  const expires = new Date(Date.now() + days * DAY_MS);
  ctx.cookies.set(cookieName('pks', userId), String(expires.getTime()), { signed: true, httpOnly: true, sameSite: 'lax', secure, expires, overwrite: true });
}
