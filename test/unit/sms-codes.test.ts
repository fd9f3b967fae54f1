/**
 * SMS codes: 6 digits, uniformly random (leading zeros kept), only a keyed hash kept, matching as
 * typed (spaces, dashes) but exactly 6 digits, expiry from the TTL; the text in 4 languages.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { issueSmsCode, smsCodeMatches, smsText, type SmsLocale } from '../../src/domain/sms-codes.js';

// GSM 03.38 basic character set: a text made only of these fits 160 characters in one SMS.
const GSM7 = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

const KEY = crypto.randomBytes(32);
const hmac = (code: string, key = KEY) => crypto.createHmac('sha256', key).update(code).digest('hex');

describe('issueSmsCode', () => {
  it('gives 6 digits and a keyed hash of them, never the code itself nor its plain SHA-256', () => {
    const { code, hash } = issueSmsCode(300, KEY);
    expect(code).toMatch(/^[0-9]{6}$/);
    expect(hash).toBe(hmac(code));
    expect(hash).not.toBe(crypto.createHash('sha256').update(code).digest('hex'));
    expect(hash).not.toContain(code);
  });

  it('cannot be matched without the key: another key refuses the right code', () => {
    const { code, hash } = issueSmsCode(300, KEY);
    expect(smsCodeMatches(code, hash, crypto.randomBytes(32))).toBe(false);
  });

  it('computes the expiry from the TTL', () => {
    const before = Date.now();
    const { expiresAt } = issueSmsCode(300, KEY);
    const after = Date.now();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 300_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 300_000);
    expect(issueSmsCode(60, KEY).expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('refuses a TTL that is not positive', () => {
    expect(() => issueSmsCode(0, KEY)).toThrow(RangeError);
    expect(() => issueSmsCode(Number.NaN, KEY)).toThrow(RangeError);
  });

  it('varies, keeps leading zeros and spreads digits evenly over many draws', () => {
    const draws = 20_000;
    const codes = Array.from({ length: draws }, () => issueSmsCode(300, KEY).code);
    expect(codes.every((c) => /^[0-9]{6}$/.test(c))).toBe(true);
    // 20 000 draws from 10^6 give about 200 repeats; a small or biased range gives far more.
    expect(new Set(codes).size).toBeGreaterThan(draws * 0.97);
    // A leading zero in about 1 code in 10 (2 000 expected, standard deviation ~42).
    const leadingZero = codes.filter((c) => c.startsWith('0')).length;
    expect(leadingZero).toBeGreaterThan(1700);
    expect(leadingZero).toBeLessThan(2300);
    // Each digit at each position about 2 000 times (a chi-square would be finer; this catches
    // a modulo bias, a fixed position or digits drawn from a smaller range).
    for (let pos = 0; pos < 6; pos++) {
      const counts = new Array<number>(10).fill(0);
      for (const c of codes) counts[Number(c[pos])]++;
      for (const n of counts) {
        expect(n).toBeGreaterThan(1700);
        expect(n).toBeLessThan(2300);
      }
    }
  });
});

describe('smsCodeMatches', () => {
  const { code, hash } = issueSmsCode(300, KEY);

  it('accepts the code, also typed with spaces or dashes', () => {
    expect(smsCodeMatches(code, hash, KEY)).toBe(true);
    expect(smsCodeMatches(`${code.slice(0, 3)} ${code.slice(3)}`, hash, KEY)).toBe(true);
    expect(smsCodeMatches(` ${code.slice(0, 3)}-${code.slice(3)} `, hash, KEY)).toBe(true);
  });

  it('refuses a wrong code, 5 or 7 digits and anything not digits', () => {
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(smsCodeMatches(wrong, hash, KEY)).toBe(false);
    expect(smsCodeMatches(code.slice(0, 5), hash, KEY)).toBe(false);
    expect(smsCodeMatches(`${code}0`, hash, KEY)).toBe(false);
    expect(smsCodeMatches('', hash, KEY)).toBe(false);
    expect(smsCodeMatches(`${code.slice(0, 5)}a`, hash, KEY)).toBe(false);
    expect(smsCodeMatches('１２３４５６', hmac('123456'), KEY)).toBe(false);
  });

  it('refuses when the stored hash is malformed instead of throwing', () => {
    expect(smsCodeMatches(code, 'not-a-hash', KEY)).toBe(false);
    expect(smsCodeMatches(code, hash.slice(0, 32), KEY)).toBe(false);
  });

  it('keeps leading zeros significant', () => {
    const zeroHash = hmac('012345');
    expect(smsCodeMatches('012345', zeroHash, KEY)).toBe(true);
    expect(smsCodeMatches('12345', zeroHash, KEY)).toBe(false);
    expect(smsCodeMatches('0012345', zeroHash, KEY)).toBe(false);
  });
});

describe('smsText', () => {
  const locales: SmsLocale[] = ['fr', 'nl', 'de', 'en'];

  it.each(locales)('%s: holds the code and the minutes, in one GSM-7 SMS', (locale) => {
    for (const minutes of [1, 5, 10]) {
      const text = smsText('012345', locale, minutes);
      expect(text).toContain('012345');
      expect(text).toMatch(new RegExp(`\\b${minutes}\\b`));
      expect(text.length).toBeLessThanOrEqual(160);
      expect([...text].filter((c) => !GSM7.has(c))).toEqual([]);
    }
  });

  it('speaks each language', () => {
    expect(smsText('123456', 'fr', 5)).toBe('Votre code Sesam : 123456. Il est valable 5 minutes. Ne le communiquez à personne.');
    expect(smsText('123456', 'nl', 5)).toMatch(/^Uw Sesam-code: 123456\..*5 minuten/);
    expect(smsText('123456', 'de', 5)).toMatch(/^Ihr Sesam-Code: 123456\..*5 Minuten/);
    expect(smsText('123456', 'en', 5)).toMatch(/^Your Sesam code: 123456\..*5 minutes/);
    expect(new Set(locales.map((l) => smsText('123456', l, 5))).size).toBe(4);
  });

  it('uses the singular for one minute', () => {
    expect(smsText('123456', 'fr', 1)).toContain('1 minute.');
    expect(smsText('123456', 'en', 1)).toContain('1 minute.');
    expect(smsText('123456', 'nl', 1)).toContain('1 minuut.');
    expect(smsText('123456', 'de', 1)).toContain('1 Minute.');
  });
});
