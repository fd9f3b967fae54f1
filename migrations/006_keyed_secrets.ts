import type { Knex } from 'knex';
import { Cipher } from '../src/secrets/cipher.js';
import { deriveKey, keyedHash } from '../src/secrets/keyring.js';

/**
 * Secrets stored before the master key protected them:
 * - client secrets written before 003 are still in clear in `clients.metadata.client_secret`:
 *   they are sealed into `secret_sealed` (context `client:{client_id}`, as ClientsRepository
 *   does) and removed from the JSON;
 * - recovery codes stored as sha256hex(code) become HMAC(recovery-codes subkey, sha256hex(code)),
 *   the form RecoveryCodes now stores, computed from the old hash without knowing the codes.
 *
 * Knex gives migrations only a connection, so this one is built with the master key (see
 * migrations/index.ts). Without it, it runs only when there is nothing to convert. With a key
 * that does not open what the database already holds sealed (another data folder's master.key,
 * say), it stops before writing anything: secrets sealed or keyed with the wrong key are lost.
 * All of it runs in the migration's transaction.
 */
export function keyedSecrets(context: { masterKey?: Buffer }): Knex.Migration {
  return {
    async up(knex: Knex): Promise<void> {
      const clients = (await knex('clients').select('client_id', 'metadata', 'secret_sealed'))
        .map((r: { client_id: string; metadata: unknown; secret_sealed: string | null }) => ({ ...r, metadata: json(r.metadata) }))
        .filter((r) => typeof r.metadata.client_secret === 'string');
      const [{ n }] = await knex('recovery_codes').count<{ n: string | number }[]>({ n: '*' });
      const codes = Number(n);
      if (clients.length === 0 && codes === 0) return;
      if (!context.masterKey) {
        throw new Error(
          `migration 006_keyed_secrets needs the master key to seal ${clients.length} client secret(s) and key ${codes} recovery code(s): ` +
            'run it from the server or `sesam migrate`, with SESAM_ENCRYPTION_KEY or the data folder (SESAM_DATA_DIR) holding master.key',
        );
      }
      const cipher = new Cipher(context.masterKey);
      await assertKeyOpensDatabase(knex, cipher);

      for (const c of clients) {
        const { client_secret: secret, ...rest } = c.metadata;
        // Sealed already (written by a newer server meanwhile): the sealed one is the one in use.
        const sealed = c.secret_sealed ?? cipher.encrypt(secret as string, `client:${c.client_id}`);
        await knex('clients').where({ client_id: c.client_id }).update({ metadata: JSON.stringify(rest), secret_sealed: sealed });
      }

      const key = deriveKey(context.masterKey, 'recovery-codes');
      const BATCH = 500;
      for (let after = '0'; ; ) {
        const rows: { id: string | number; code_hash: string }[] = await knex('recovery_codes')
          .select('id', 'code_hash')
          .where('id', '>', after)
          .orderBy('id')
          .limit(BATCH);
        if (rows.length === 0) break;
        const values = rows.map(() => '(?::bigint, ?)').join(', ');
        const bindings = rows.flatMap((r) => [String(r.id), keyedHash(key, r.code_hash, 'hex')]);
        await knex.raw(`update recovery_codes as r set code_hash = v.h from (values ${values}) as v(id, h) where r.id = v.id`, bindings);
        after = String(rows[rows.length - 1].id);
      }
    },

    async down(): Promise<void> {
      // A keyed hash cannot be turned back into the plain one; 003's code reads sealed secrets.
      throw new Error('migration 006_keyed_secrets cannot be undone (keyed recovery-code hashes cannot be unkeyed)');
    },
  };
}

function json(value: unknown): Record<string, unknown> {
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
}

/** Opens one secret the database already holds sealed, if any: the proof that this is its key. */
async function assertKeyOpensDatabase(knex: Knex, cipher: Cipher): Promise<void> {
  const key = await knex('signing_keys').first('private_jwk_encrypted');
  const secret = key ? undefined : await knex('server_secrets').first('value_encrypted');
  const client = key || secret ? undefined : await knex('clients').whereNotNull('secret_sealed').first('client_id', 'secret_sealed');
  const probe = key
    ? { what: 'signing keys', sealed: key.private_jwk_encrypted as string }
    : secret
      ? { what: 'server secrets', sealed: secret.value_encrypted as string }
      : client
        ? { what: 'client secrets', sealed: client.secret_sealed as string, context: `client:${client.client_id}` }
        : undefined;
  if (!probe) return;
  try {
    cipher.decrypt(probe.sealed, probe.context);
  } catch {
    throw new Error(
      `migration 006_keyed_secrets: the master key given does not open the database's sealed ${probe.what}; ` +
        "use the server's key (SESAM_ENCRYPTION_KEY, or its SESAM_DATA_DIR with master.key)",
    );
  }
}
