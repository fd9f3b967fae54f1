/**
 * The `adapter` given to oidc-provider: Redis when configured, else SQL; per-model overrides
 * (e.g. `Client`, served from the clients table) win.
 */
import type { RedisClient } from '../../storage/redis.js';
import type { Adapter, AdapterConstructor } from 'oidc-provider';
import type { Database } from '../../storage/database.js';
import { RedisAdapter } from './redis-adapter.js';
import { SqlAdapter } from './sql-adapter.js';

export { RedisAdapter } from './redis-adapter.js';
export { SqlAdapter, sweepExpired, GRANTABLE_MODELS } from './sql-adapter.js';

export interface AdapterFactoryOptions {
  db: Database;
  redis?: RedisClient;
  overrides?: Record<string, new (name: string) => any>;
}

export function adapterFactory(options: AdapterFactoryOptions): AdapterConstructor {
  const { db, redis, overrides = {} } = options;
  // A plain function (not an arrow): oidc-provider sees it as constructable and calls
  // `new SesamAdapter(model)`; returning an object from it makes `new` yield that object.
  function SesamAdapter(name: string): Adapter {
    const Override = Object.hasOwn(overrides, name) ? overrides[name] : undefined;
    if (Override) return new Override(name) as Adapter;
    return redis ? new RedisAdapter(name, redis) : new SqlAdapter(name, db);
  }
  return SesamAdapter as unknown as AdapterConstructor;
}
