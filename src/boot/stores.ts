/**
 * Opens what Sesam keeps its state in, and the secrets that protect it: the database
 * (PostgreSQL, or the embedded one) migrated to the latest schema, Redis when one is configured,
 * the key-value store for short-lived state (Redis, else SQL with expiry), the instance's metrics
 * (the store's operations are timed into them, the SQL statements counted), the master key with
 * the Cipher and Keyring derived from it, the cookie keys and the signing keys (generated on
 * first start). A master key that does not open what the database holds (an instance that
 * generated its own instead of sharing SESAM_ENCRYPTION_KEY) stops the start. Everything later in the boot reads and writes through these; `closeStores` and
 * `abandonStores` let them go again, on a graceful stop or a failed start.
 */
import type { RedisClient } from '../storage/redis.js';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../logger.js';
import { openDatabase, type Database } from '../storage/database.js';
import { migrateLatest } from '../storage/migrate.js';
import { openRedis } from '../storage/redis.js';
import { RedisKeyValueStore, SqlKeyValueStore, type KeyValueStore } from '../storage/kv.js';
import { timedKeyValueStore } from '../storage/timed-kv.js';
import { Metrics } from '../observability/metrics.js';
import { Cipher } from '../secrets/cipher.js';
import { loadMasterKey } from '../secrets/master-key.js';
import { Keyring } from '../secrets/keyring.js';
import { getOrCreateSecret, masterKeyOpensDatabase, randomSecret } from '../repositories/secrets-repository.js';
import { Invalidation } from '../storage/invalidation.js';
import { StartupError } from './bootstrap.js';
import { ensureSigningKeys } from '../oidc/signing-keys.js';

export interface Stores {
  db: Database;
  redis?: RedisClient;
  /** The key-value store, timed into `metrics`. */
  kv: KeyValueStore;
  /** The SQL key-value store when it is the one in use: its expired rows are swept. */
  sqlKv?: SqlKeyValueStore;
  /** This instance's metrics (GET /metrics); every part of the boot records into them. */
  metrics: Metrics;
  cipher: Cipher;
  keyring: Keyring;
  /** Signs the engine's and Sesam's cookies alike. */
  cookieKeys: string[];
  /** Tells the other instances what configuration changed (over Redis; nothing without it). */
  invalidation: Invalidation;
}

export async function openStores(settings: Settings, logger: Logger): Promise<Stores> {
  const db = openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolMax: settings.databasePoolMax });
  const masterKey = loadMasterKey(settings.encryptionKey, settings.dataDir);
  const applied = await migrateLatest(db, { masterKey });
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const redis = settings.redisUrl ? openRedis(settings.redisUrl, settings.redisKeyPrefix) : undefined;
  const metrics = new Metrics();
  db.on('query', () => metrics.dbQueries.inc());
  let sqlKv: SqlKeyValueStore | undefined;
  const store = redis ? 'redis' : 'postgres';
  const kv = timedKeyValueStore(redis ? new RedisKeyValueStore(redis) : (sqlKv = new SqlKeyValueStore(db)), (op, seconds) => metrics.store.observe({ store, op }, seconds));

  const cipher = new Cipher(masterKey);
  const keyring = new Keyring(masterKey);
  if (!(await masterKeyOpensDatabase(db, cipher))) {
    await db.destroy().catch(() => undefined);
    redis?.disconnect();
    throw new StartupError(
      `the master key ${settings.encryptionKey ? 'in SESAM_ENCRYPTION_KEY' : `in ${settings.dataDir}/master.key`} does not open the secrets in this database, which another instance sealed: ` +
        'every instance of a deployment needs the same key; set SESAM_ENCRYPTION_KEY to the first instance\'s key (its master.key)',
    );
  }
  const invalidation = new Invalidation(redis, settings.redisKeyPrefix, (err) => logger.warn({ err }, 'cache invalidation failed'));
  const cookieKeys = settings.cookieKeys ?? [await getOrCreateSecret(db, cipher, 'cookie-key-1', randomSecret)];
  await ensureSigningKeys(db, cipher);
  return { db, redis, kv, sqlKv, metrics, cipher, keyring, cookieKeys, invalidation };
}

/** On a graceful stop: closes the database pool and lets Redis finish what it was sent. */
export async function closeStores({ db, redis, invalidation }: Stores): Promise<void> {
  await invalidation.close();
  await db.destroy();
  await redis?.quit().catch(() => redis.disconnect());
}

/** On a failed start: drops the connections, never failing itself. */
export async function abandonStores({ db, redis, invalidation }: Stores): Promise<void> {
  await invalidation.close().catch(() => undefined);
  await db.destroy().catch(() => undefined);
  redis?.disconnect();
}
