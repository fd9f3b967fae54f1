/**
 * Recovery codes: 10 single-use codes of 10 random base32 characters (50 bits each), shown
 * once as `xxxxx-xxxxx`. Only a sha256 of each normalized code is stored: they are random and
 * long enough that a slow password hash would add nothing.
 */
import crypto from 'node:crypto';
import type { Queryable } from '../storage/database.js';
import type { FactorsRepository } from '../repositories/factors-repository.js';

export const RECOVERY_CODE_COUNT = 10;
const CODE_LENGTH = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'; // RFC 4648 base32, lower case for reading

export class RecoveryCodes {
  constructor(private readonly factors: FactorsRepository) {}

  /**
   * New codes for the user, replacing (and so invalidating) all earlier ones. Pass `db`, a
   * transaction, to make the replacement part of it. Returns the codes to show, once.
   */
  async regenerate(userId: string, db?: Queryable): Promise<string[]> {
    const codes = new Set<string>();
    while (codes.size < RECOVERY_CODE_COUNT) codes.add(randomCode());
    const shown = [...codes].map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
    await this.factors.replaceRecoveryCodes(userId, [...codes].map(hashCode), db);
    return shown;
  }

  /** Spends a code: true once for each valid code, atomically (parallel uses: one wins). */
  async use(userId: string, candidate: string): Promise<boolean> {
    const code = normalizeRecoveryCode(candidate);
    if (!code) return false;
    return this.factors.useRecoveryCode(userId, hashCode(code));
  }

  async remaining(userId: string): Promise<number> {
    return this.factors.countRemainingRecoveryCodes(userId);
  }

  async remove(userId: string, db?: Queryable): Promise<number> {
    return this.factors.deleteRecoveryCodes(userId, db);
  }
}

/** Lower case, without spaces or dashes; undefined when it cannot be a recovery code. */
export function normalizeRecoveryCode(candidate: string): string | undefined {
  if (typeof candidate !== 'string' || candidate.length > 64) return undefined;
  const code = candidate.replace(/[\s-]/g, '').toLowerCase();
  return code.length === CODE_LENGTH && [...code].every((ch) => ALPHABET.includes(ch)) ? code : undefined;
}

function randomCode(): string {
  // 32 divides 256: taking 5 bits of each byte is unbiased.
  return [...crypto.randomBytes(CODE_LENGTH)].map((b) => ALPHABET[b & 31]).join('');
}

function hashCode(normalized: string): string {
  return crypto.createHash('sha256').update(normalized, 'utf8').digest('hex');
}
