/**
 * Password hashing (argon2id, OWASP parameters or stronger, rehash when they change) and the
 * rules for a new password (NIST SP 800-63B: length, not common, not the identifier; no
 * composition rules).
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import argon2 from 'argon2';
import pLimit from 'p-limit';

const require = createRequire(import.meta.url);
const commonPasswords = require('fxa-common-password-list') as { test(p: string): boolean };

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'same_as_identifier' | 'same_as_current';

export class PasswordHasher {
  private dummyHash?: Promise<string>;
  /**
   * argon2 runs on libuv's thread pool, which also signs tokens (WebCrypto). Hashing on every
   * core at once leaves the event loop fighting for CPU and every other step of every sign-in
   * waits behind it; by default one core is kept free of hashing (ARGON2_CONCURRENCY), so the
   * steps that do not hash stay fast while the hashes queue.
   */
  private readonly slots: ReturnType<typeof pLimit>;

  constructor(
    private readonly params: Argon2Parameters,
    concurrency = defaultArgon2Concurrency(),
  ) {
    this.slots = pLimit(Math.max(1, concurrency));
  }

  hash(password: string): Promise<string> {
    return this.slots(() => argon2.hash(password, { type: argon2.argon2id, ...this.params }));
  }

  /** Verifies; `rehash` is true when the stored hash uses weaker or other parameters. */
  async verify(hash: string, password: string): Promise<{ ok: boolean; rehash: boolean }> {
    let ok = false;
    try {
      ok = await this.slots(() => argon2.verify(hash, password));
    } catch {
      ok = false;
    }
    return { ok, rehash: ok && argon2.needsRehash(hash, { ...this.params }) };
  }

  /** Spends the same time as a real verification, for unknown or locked accounts. */
  async verifyNothing(password: string): Promise<void> {
    this.dummyHash ??= this.hash('sesam-timing-equaliser');
    await this.verify(await this.dummyHash, password);
  }
}

/** All cores but one (at least one). */
export function defaultArgon2Concurrency(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

/** Why a candidate new password is refused, or undefined when it is acceptable. */
export function checkNewPassword(
  candidate: string,
  identifiers: (string | null | undefined)[],
  minLength = MIN_PASSWORD_LENGTH,
): PasswordProblem | undefined {
  const length = [...candidate].length;
  if (length < Math.max(minLength, MIN_PASSWORD_LENGTH)) return 'too_short';
  if (length > MAX_PASSWORD_LENGTH) return 'too_long';
  const lower = candidate.toLowerCase();
  if (identifiers.some((id) => id && id.toLowerCase() === lower)) return 'same_as_identifier';
  if (commonPasswords.test(candidate) || commonPasswords.test(lower)) return 'common';
  return undefined;
}
