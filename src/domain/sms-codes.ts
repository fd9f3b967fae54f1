/**
 * One-time codes sent by SMS (a second factor for Belgian mobiles).
 *
 * A code is 6 random digits, valid for a short time (at most 10 minutes, NIST SP 800-63B) and
 * single use. Only a keyed hash of it is stored (HMAC-SHA256 with a key derived from the master
 * key): 10^6 codes are easy to enumerate offline, so a plain hash in a Redis dump would give the
 * code away; without the key it does not. What protects a code in use is the limit on tries and
 * its short life, both enforced by the caller.
 */
import crypto from 'node:crypto';

export type SmsLocale = 'fr' | 'nl' | 'de' | 'en';

const CODE_LENGTH = 6;

export interface IssuedSmsCode {
  /** The 6 digits to send; never store or log it. */
  code: string;
  /** HMAC-SHA256 (hex) of the code: what the store keeps. */
  hash: string;
  /** Epoch milliseconds after which the code is refused. */
  expiresAt: number;
}

/** A fresh uniformly random 6-digit code (leading zeros kept), its keyed hash and its expiry. */
export function issueSmsCode(ttlSeconds: number, key: Buffer): IssuedSmsCode {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive number');
  const code = crypto.randomInt(0, 10 ** CODE_LENGTH).toString().padStart(CODE_LENGTH, '0');
  return { code, hash: hashSmsCode(code, key), expiresAt: Date.now() + ttlSeconds * 1000 };
}

/**
 * Whether `candidate` (as typed: spaces and dashes allowed, e.g. "123 456" or "123-456") is
 * the code behind `hash`. Anything that is not exactly 6 digits once cleaned is refused.
 */
export function smsCodeMatches(candidate: string, hash: string, key: Buffer): boolean {
  const cleaned = candidate.replace(/[\s-]/g, '');
  if (!/^[0-9]{6}$/.test(cleaned)) return false;
  const actual = Buffer.from(hashSmsCode(cleaned, key), 'hex');
  const expected = Buffer.from(hash, 'hex');
  // Both are 32 bytes when `hash` is a well-formed SHA-256; timingSafeEqual throws otherwise.
  if (expected.length !== actual.length) return false;
  return crypto.timingSafeEqual(actual, expected);
}

/** The SMS body, one short sentence set per language (GSM-7 characters, under 160). */
export function smsText(code: string, locale: SmsLocale, minutes: number): string {
  const m = Math.max(1, Math.round(minutes));
  switch (locale) {
    case 'nl':
      return `Uw Sesam-code: ${code}. Geldig gedurende ${m} ${m === 1 ? 'minuut' : 'minuten'}. Deel hem met niemand.`;
    case 'de':
      return `Ihr Sesam-Code: ${code}. Gültig für ${m} ${m === 1 ? 'Minute' : 'Minuten'}. Geben Sie ihn niemandem weiter.`;
    case 'en':
      return `Your Sesam code: ${code}. It is valid for ${m} ${m === 1 ? 'minute' : 'minutes'}. Do not share it with anyone.`;
    case 'fr':
    default:
      return `Votre code Sesam : ${code}. Il est valable ${m} minute${m === 1 ? '' : 's'}. Ne le communiquez à personne.`;
  }
}

function hashSmsCode(code: string, key: Buffer): string {
  return crypto.createHmac('sha256', key).update(code, 'utf8').digest('hex');
}
