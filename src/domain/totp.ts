/**
 * Authenticator apps (RFC 6238 TOTP: SHA-1, 6 digits, 30 s, as every app expects) with otplib 13.
 * The secret is sealed at rest; a code is accepted one step before or after the current one
 * (clock drift), and each time step at most once (RFC 6238 §5.2): the highest accepted step is
 * stored and advanced atomically, so a replayed code, or the same code sent twice in parallel,
 * is refused.
 */
import QRCode from 'qrcode';
import { generateSecret, generateURI, verify as otpVerify } from 'otplib';
import type { Cipher } from '../secrets/cipher.js';
import type { FactorsRepository } from '../repositories/factors-repository.js';
import type { Queryable } from '../storage/database.js';

export type TotpVerification = 'ok' | 'invalid' | 'replayed' | 'not_enrolled';

const PERIOD = 30;
const DIGITS = 6;
/** ±30 s around now: exactly the previous, the current and the next time step. */
const TOLERANCE = 30;
const SECRET_BYTES = 20;
/** Base32 (RFC 4648) of at least 16 bytes, otplib's own minimum. */
const BASE32_SECRET = /^[A-Z2-7]{26,}=*$/;

export class TotpService {
  /** `now` (milliseconds, like Date.now) is for tests. */
  constructor(
    private readonly factors: FactorsRepository,
    private readonly cipher: Cipher,
    private readonly issuer = 'Sesam',
    private readonly now: () => number = Date.now,
  ) {}

  /** A new random secret, base32, 20 bytes (160 bits, RFC 4226's recommendation). */
  newSecret(): string {
    return generateSecret({ length: SECRET_BYTES });
  }

  /** The otpauth:// URI and its QR code (PNG data URL) for an authenticator app. */
  async enrollment(label: string, secret: string): Promise<{ uri: string; qrDataUrl: string }> {
    assertSecret(secret);
    let uri = generateURI({ issuer: this.issuer, label: label.trim(), secret, algorithm: 'sha1', digits: DIGITS, period: PERIOD });
    // otplib leaves out parameters equal to the defaults; say them anyway, for apps that guess otherwise.
    for (const [key, value] of [['algorithm', 'SHA1'], ['digits', String(DIGITS)], ['period', String(PERIOD)]] as const) {
      if (!new RegExp(`[?&]${key}=`).test(uri)) uri += `${uri.includes('?') ? '&' : '?'}${key}=${value}`;
    }
    const qrDataUrl = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
    return { uri, qrDataUrl };
  }

  /**
   * Proves that the user's app holds `secret` (a code within one step of now), then stores the
   * sealed secret as the user's confirmed factor, replacing any earlier one. The matched step
   * counts as used. False when the code is wrong. `db`: a transaction to store it in.
   */
  async confirm(userId: string, secret: string, code: string, db?: Queryable): Promise<boolean> {
    assertSecret(secret);
    const token = normalizeCode(code);
    if (!token) return false;
    const step = await this.match(secret, token);
    if (step === undefined) return false;
    await (db ? this.factors.with(db) : this.factors).upsertTotp(userId, this.cipher.encrypt(secret, `totp:${userId}`), { lastTimeStep: step, confirmedAt: new Date(this.now()) });
    return true;
  }

  /** Checks a code of the user's confirmed factor; 'ok' uses up its time step. */
  async verify(userId: string, code: string): Promise<TotpVerification> {
    const factor = await this.factors.findTotp(userId);
    if (!factor?.confirmedAt) return 'not_enrolled';
    const token = normalizeCode(code);
    if (!token) return 'invalid';
    const secret = this.cipher.decrypt(factor.secretEncrypted, `totp:${userId}`);
    const fresh = await this.match(secret, token, factor.lastTimeStep);
    if (fresh !== undefined) {
      // Another request may have taken this step (or a later one) since we read the factor.
      return (await this.factors.advanceTimeStep(userId, fresh)) ? 'ok' : 'replayed';
    }
    // Not valid after the last used step: valid at all means it is a used one.
    return (await this.match(secret, token)) !== undefined ? 'replayed' : 'invalid';
  }

  async isEnrolled(userId: string): Promise<boolean> {
    const factor = await this.factors.findTotp(userId);
    return !!factor?.confirmedAt;
  }

  async remove(userId: string): Promise<boolean> {
    return this.factors.deleteTotp(userId);
  }

  /** The time step `token` belongs to, within one step of now and after `afterTimeStep`. */
  private async match(secret: string, token: string, afterTimeStep?: number): Promise<number | undefined> {
    const epoch = Math.floor(this.now() / 1000);
    if (afterTimeStep !== undefined) {
      // otplib refuses an afterTimeStep beyond the window: then every step in it is used already.
      if (afterTimeStep >= Math.floor((epoch + TOLERANCE) / PERIOD)) return undefined;
    }
    const result = await otpVerify({
      secret,
      token,
      epoch,
      epochTolerance: TOLERANCE,
      period: PERIOD,
      digits: DIGITS,
      algorithm: 'sha1',
      ...(afterTimeStep !== undefined ? { afterTimeStep } : {}),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  }
}

/** Digits only; spaces and dashes people type are dropped. Undefined when it cannot be a code. */
function normalizeCode(code: string): string | undefined {
  if (typeof code !== 'string' || code.length > 32) return undefined;
  const token = code.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${DIGITS}}$`).test(token) ? token : undefined;
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || !BASE32_SECRET.test(secret)) throw new TypeError('not a valid TOTP secret');
}
