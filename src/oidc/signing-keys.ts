/**
 * Signing keys: generated on first start (RS256 and ES256), sealed in the database, published
 * at the JWKS endpoint. Rotation adds a new pair that signs from then on; the retired pair stays
 * published until every token it signed has expired.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Queryable } from '../storage/database.js';
import type { Cipher } from '../secrets/cipher.js';

export const SIGNING_ALGS = ['RS256', 'ES256'] as const;

export interface SigningKeyInfo {
  kid: string;
  alg: string;
  createdAt: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
  active: boolean;
}

async function generate(alg: string): Promise<{ kid: string; privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'RS256' ? { modulusLength: 2048, extractable: true } : { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  const meta = { kid, alg, use: 'sig' };
  return { kid, privateJwk: { ...privateJwk, ...meta }, publicJwk: { ...publicJwk, ...meta } };
}

async function addKeys(db: Queryable, cipher: Cipher): Promise<string[]> {
  const kids: string[] = [];
  for (const alg of SIGNING_ALGS) {
    const k = await generate(alg);
    await db('signing_keys').insert({ kid: k.kid, alg, private_jwk_encrypted: cipher.encrypt(JSON.stringify(k.privateJwk)), public_jwk: JSON.stringify(k.publicJwk) });
    kids.push(k.kid);
  }
  return kids;
}

/** Creates the first key pair when none is active. Safe when two instances start together. */
export async function ensureSigningKeys(db: Queryable, cipher: Cipher): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('lock table signing_keys in share row exclusive mode');
    const active = await trx('signing_keys').whereNull('retired_at').first('kid');
    if (!active) await addKeys(trx, cipher);
  });
}

/**
 * Retires the active keys (published for `publishRetiredSeconds` more) and adds new ones,
 * which sign from the next provider (re)load on.
 */
export async function rotateSigningKeys(db: Queryable, cipher: Cipher, publishRetiredSeconds: number): Promise<string[]> {
  return db.transaction(async (trx) => {
    await trx.raw('lock table signing_keys in share row exclusive mode');
    const now = new Date();
    await trx('signing_keys').whereNull('retired_at').update({ retired_at: now, expires_at: new Date(now.getTime() + publishRetiredSeconds * 1000) });
    return addKeys(trx, cipher);
  });
}

/** Private JWKS for the provider: active keys first (they sign), then retired ones still published. */
export async function loadSigningJwks(db: Queryable, cipher: Cipher): Promise<{ keys: JWK[] }> {
  const rows = await db('signing_keys')
    .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()))
    .orderByRaw('retired_at is not null, created_at desc');
  return { keys: rows.map((r) => JSON.parse(cipher.decrypt(r.private_jwk_encrypted)) as JWK) };
}

export async function listSigningKeys(db: Queryable): Promise<SigningKeyInfo[]> {
  const rows = await db('signing_keys').orderBy('created_at', 'desc');
  return rows.map((r) => ({
    kid: r.kid,
    alg: r.alg,
    createdAt: new Date(r.created_at),
    retiredAt: r.retired_at ? new Date(r.retired_at) : null,
    expiresAt: r.expires_at ? new Date(r.expires_at) : null,
    active: !r.retired_at,
  }));
}

/** A fingerprint of the published key set: instances reload their provider when it changes. */
export async function signingKeysVersion(db: Queryable): Promise<string> {
  const rows = await db('signing_keys')
    .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()))
    .orderBy('kid')
    .select('kid', 'retired_at');
  return rows.map((r) => `${r.kid}:${r.retired_at ? 'r' : 'a'}`).join(',');
}
