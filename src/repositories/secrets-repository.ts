import crypto from 'node:crypto';
import type { Queryable } from '../storage/database.js';
import type { Cipher } from '../secrets/cipher.js';

/** Generated server secrets (sealed), shared by every instance through the database. */
export async function getOrCreateSecret(db: Queryable, cipher: Cipher, name: string, generate: () => string): Promise<string> {
  const existing = await db('server_secrets').where({ name }).first('value_encrypted');
  if (existing) return cipher.decrypt(existing.value_encrypted);
  // Two instances starting together: the first insert wins, both read the winner.
  await db('server_secrets').insert({ name, value_encrypted: cipher.encrypt(generate()) }).onConflict('name').ignore();
  const row = await db('server_secrets').where({ name }).first('value_encrypted');
  return cipher.decrypt(row.value_encrypted);
}

export const randomSecret = () => crypto.randomBytes(32).toString('base64url');
