/** KeyValueStore.add on Redis and PostgreSQL: atomic under a parallel burst, gives back, keeps the first expiry. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPostgresDatabase, createTestRedis, type TestDatabase } from '../helpers/stores.js';
import { RedisKeyValueStore, SqlKeyValueStore, type KeyValueStore } from '../../src/storage/kv.js';

describe.each(['PostgreSQL', 'Redis'] as const)('counters (%s)', (backend) => {
  let t: TestDatabase | undefined;
  let r: Awaited<ReturnType<typeof createTestRedis>> | undefined;
  let kv: KeyValueStore;
  beforeAll(async () => {
    if (backend === 'Redis') {
      r = await createTestRedis();
      kv = new RedisKeyValueStore(r.redis);
    } else {
      t = await createPostgresDatabase();
      kv = new SqlKeyValueStore(t.db);
    }
  });
  afterAll(async () => {
    await r?.cleanup();
    await t?.drop();
  });

  it('adds atomically: every one of a parallel burst sees its own count', async () => {
    const values = (await Promise.all(Array.from({ length: 40 }, () => kv.add('burst', 1, 60)))).map((x) => x.value);
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('gives back, and keeps the expiry the first add set', async () => {
    const first = await kv.add('c', 1, 60);
    expect(first.value).toBe(1);
    expect(first.expiresAt.getTime()).toBeGreaterThan(Date.now() + 55_000);
    expect(first.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 61_000);
    const second = await kv.add('c', 1, 3600);
    expect(second.value).toBe(2);
    expect(Math.abs(second.expiresAt.getTime() - first.expiresAt.getTime())).toBeLessThan(1500);
    expect((await kv.add('c', -1, 60)).value).toBe(1);
    expect(await kv.increment('c', 60)).toBe(2); // the same counter as increment's
  });
});
