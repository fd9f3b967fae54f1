/**
 * Subkeys of the master key, one per purpose, and a keyed hash for small secrets.
 *
 * A plain hash of a small secret (a 6-digit SMS code, a Belgian mobile number, an IPv4
 * address, even a 50-bit recovery code) can be reversed by trying every value; an HMAC under a
 * key the database never holds cannot. Each purpose gets its own key (HKDF-SHA256, RFC 5869),
 * so a hash made for one purpose never matches, or tells anything about, another.
 */
import crypto from 'node:crypto';

export const KEY_PURPOSES = ['recovery-codes', 'rate-limits', 'sms-codes', 'password-reset'] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/**
 * The 32-byte subkey of `masterKey` for `purpose`. The master key is already uniformly random,
 * so HKDF needs no salt; the purpose is the `info` that separates the subkeys.
 */
export function deriveKey(masterKey: Buffer, purpose: KeyPurpose): Buffer {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  if (!KEY_PURPOSES.includes(purpose)) throw new Error(`unknown key purpose ${String(purpose)}`);
  return Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), `sesam/${purpose}/v1`, 32));
}

/** HMAC-SHA256 of `value` under `key` (a subkey from `deriveKey`). */
export function keyedHash(key: Buffer, value: string | Buffer, encoding: 'hex' | 'base64url' = 'hex'): string {
  return crypto.createHmac('sha256', key).update(value).digest(encoding);
}

/** The subkeys of one master key, derived once each. */
export class Keyring {
  private readonly keys = new Map<KeyPurpose, Buffer>();

  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  }

  key(purpose: KeyPurpose): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = deriveKey(this.masterKey, purpose);
      this.keys.set(purpose, key);
    }
    return key;
  }

  /** A keyed-hash function for one purpose, e.g. `keyring.hasher('sms-codes')(code)`. */
  hasher(purpose: KeyPurpose, encoding: 'hex' | 'base64url' = 'hex'): (value: string | Buffer) => string {
    const key = this.key(purpose);
    return (value) => keyedHash(key, value, encoding);
  }
}
