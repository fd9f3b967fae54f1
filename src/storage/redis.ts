import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url.js';

/**
 * The server's Redis: one node, a Sentinel-managed master or a Cluster. Both ioredis classes
 * share the command set Sesam uses; every script and transaction touches a single key, so
 * Cluster's one-slot rule always holds (see oidc/adapters/redis-adapter.ts).
 */
export type RedisClient = Redis | Cluster;

/** Short-lived state and the provider's artifacts live there; `keyPrefix` is added to every key. */
export function openRedis(url: string, keyPrefix = ''): RedisClient {
  const common: RedisOptions = { keyPrefix, maxRetriesPerRequest: 2, enableAutoPipelining: true };
  const target = parseRedisUrl(url);
  if (target.kind === 'single') return new Redis(url, { ...common, lazyConnect: false });
  const auth = { ...(target.username ? { username: target.username } : {}), ...(target.password ? { password: target.password } : {}) };
  if (target.kind === 'sentinel') {
    return new Redis({
      ...common,
      ...auth,
      sentinels: target.sentinels,
      name: target.name,
      ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    });
  }
  return new Cluster(target.nodes, {
    keyPrefix,
    // Cluster pipelines per node itself; the redis options apply to each node's connection.
    enableAutoPipelining: true,
    redisOptions: { ...auth, maxRetriesPerRequest: 2, ...(target.tls ? { tls: {} } : {}) },
  });
}

/** A second connection (set) to the same Redis, for pub/sub: a subscribed connection can send nothing else. */
export function duplicateClient(client: RedisClient): RedisClient {
  // Two calls, not one: the classes' `duplicate` signatures differ, so TypeScript cannot call the union's.
  return client instanceof Cluster ? client.duplicate() : client.duplicate();
}
