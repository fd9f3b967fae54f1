/**
 * KeyValueStore.take on Redis (GETDEL), PostgreSQL and embedded PGlite (delete … returning): a
 * single-use entry goes to exactly one of many parallel takers, and never once expired.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEmbeddedDatabase, createPostgresDatabase, createTestRedis, type TestDatabase } from '../helpers/stores.js';
import { RedisKeyValueStore, SqlKeyValueStore, type KeyValueStore } from '../../src/storage/kv.js';

describe.each(['PostgreSQL', 'PGlite', 'Redis'] as const)('take (%s)', (backend) => {
  let t: TestDatabase | undefined;
  let r: Awaited<ReturnType<typeof createTestRedis>> | undefined;
  let kv: KeyValueStore;
  beforeAll(async () => {
    if (backend === 'Redis') {
      r = await createTestRedis();
      kv = new RedisKeyValueStore(r.redis);
    } else {
      t = backend === 'PostgreSQL' ? await createPostgresDatabase() : await createEmbeddedDatabase();
      kv = new SqlKeyValueStore(t.db);
    }
  });
  afterAll(async () => {
    await r?.cleanup();
    await t?.drop();
  });

  it('returns the value once and removes it', async () => {
    await kv.set('once', { userId: 'u1', n: 2 }, 60);
    expect(await kv.take('once')).toEqual({ userId: 'u1', n: 2 });
    expect(await kv.take('once')).toBeUndefined();
    expect(await kv.get('once')).toBeUndefined();
    expect(await kv.take('never-set')).toBeUndefined();
  });

  it('gives a value to exactly one of a parallel burst of takers', async () => {
    for (let round = 0; round < 5; round++) {
      await kv.set(`race-${round}`, `value-${round}`, 60);
      const results = await Promise.all(Array.from({ length: 12 }, () => kv.take<string>(`race-${round}`)));
      expect(results.filter((v) => v !== undefined)).toEqual([`value-${round}`]);
    }
  });

  it('never returns an expired entry', async () => {
    await kv.set('short', 'gone soon', 1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await kv.take('short')).toBeUndefined();
  });
});
