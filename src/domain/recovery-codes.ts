/**
 * Recovery codes: 10 single-use codes of 10 random base32 characters (50 bits each), shown
 * once as `xxxxx-xxxxx`. They are random and long enough that a slow password hash would add
 * nothing, but 50 bits can be searched offline against a plain hash: each is stored as
 * HMAC(recovery-codes subkey, sha256hex(normalized code)). The inner sha256 is the form rows
 * had before (migration 006 keys them without knowing the codes: new = HMAC(key, old)).
 */
import crypto from 'node:crypto';
import { keyedHash } from '../secrets/keyring.js';
import type { Queryable } from '../storage/database.js';
import type { FactorsRepository } from '../repositories/factors-repository.js';

export const RECOVERY_CODE_COUNT = 10;
const CODE_LENGTH = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'; // RFC 4648 base32, lower case for reading

export class RecoveryCodes {
  /** `key`: the master key's 'recovery-codes' subkey (`deriveKey(masterKey, 'recovery-codes')`). */
  constructor(
    private readonly factors: FactorsRepository,
    private readonly key: Buffer,
  ) {}

  /**
   * New codes for the user, replacing (and so invalidating) all earlier ones. Pass `db`, a
   * transaction, to make the replacement part of it. Returns the codes to show, once.
   */
  async regenerate(userId: string, db?: Queryable): Promise<string[]> {
    const codes = new Set<string>();
    while (codes.size < RECOVERY_CODE_COUNT) codes.add(randomCode());
    const shown = [...codes].map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
    await this.factors.replaceRecoveryCodes(userId, [...codes].map((c) => this.hash(c)), db);
    return shown;
  }

  /** Spends a code: true once for each valid code, atomically (parallel uses: one wins). */
  async use(userId: string, candidate: string): Promise<boolean> {
    const code = normalizeRecoveryCode(candidate);
    if (!code) return false;
    return this.factors.useRecoveryCode(userId, this.hash(code));
  }

  async remaining(userId: string): Promise<number> {
    return this.factors.countRemainingRecoveryCodes(userId);
  }

  async remove(userId: string, db?: Queryable): Promise<number> {
    return this.factors.deleteRecoveryCodes(userId, db);
  }

  private hash(normalized: string): string {
    return keyRecoveryCodeHash(this.key, sha256Hex(normalized));
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

function sha256Hex(normalized: string): string {
  return crypto.createHash('sha256').update(normalized, 'utf8').digest('hex');
}

/** The stored form of a code whose sha256 (hex) is `sha256hex`; migration 006 applies it to old rows. */
export function keyRecoveryCodeHash(key: Buffer, sha256hex: string): string {
  return keyedHash(key, sha256hex, 'hex');
}
