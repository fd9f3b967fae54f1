import crypto from 'node:crypto';
import type { Queryable } from '../storage/database.js';
import type { Cipher } from '../secrets/cipher.js';

export const randomSecret = () => crypto.randomBytes(32).toString('base64url');

/** Generated server secrets (sealed), shared by every instance through the database. */
export async function getOrCreateSecret(db: Queryable, cipher: Cipher, name: string, generate: () => string): Promise<string> {
  const existing = await db('server_secrets').where({ name }).first('value_encrypted');
  if (existing) return cipher.decrypt(existing.value_encrypted);
  // Two instances starting together: the first insert wins, both read the winner.
  await db('server_secrets').insert({ name, value_encrypted: cipher.encrypt(generate()) }).onConflict('name').ignore();
  const row = await db('server_secrets').where({ name }).first('value_encrypted');
  return cipher.decrypt(row.value_encrypted);
}

/**
 * Whether this master key opens what the deployment sealed: a signing key when there is one (a
 * database from before the check value), and a check value sealed by the first instance to start.
 */
export async function masterKeyOpensDatabase(db: Queryable, cipher: Cipher): Promise<boolean> {
  try {
    const key = await db('signing_keys').orderBy('created_at').first('private_jwk_encrypted');
    if (key) cipher.decrypt(key.private_jwk_encrypted);
    await getOrCreateSecret(db, cipher, 'master-key-check', randomSecret);
    return true;
  } catch (e) {
    // AES-GCM refuses a value sealed under another key; any other error (the database) is not ours to hide.
    if (/unable to authenticate data/i.test((e as Error).message)) return false;
    throw e;
  }
}

