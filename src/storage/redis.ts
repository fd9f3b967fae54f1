import { Redis } from 'ioredis';

/** One ioredis connection for the server; short-lived state and the provider's artifacts live there. */
export function openRedis(url: string, keyPrefix = ''): Redis {
  return new Redis(url, { keyPrefix, lazyConnect: false, maxRetriesPerRequest: 2, enableAutoPipelining: true });
}
