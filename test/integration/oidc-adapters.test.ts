/**
 * One contract for the oidc-provider adapters, run against real PostgreSQL, embedded PGlite,
 * real Redis (with a key prefix, as in production setups that share a Redis) and a real Redis
 * Cluster of three nodes (where a script or transaction touching keys of two slots fails).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Adapter, AdapterConstructor } from 'oidc-provider';
import { adapterFactory, RedisAdapter, SqlAdapter, sweepExpired } from '../../src/oidc/adapters/index.js';
import type { Database } from '../../src/storage/database.js';
import { createEmbeddedDatabase, createPostgresDatabase, createTestRedis } from '../helpers/stores.js';
import { startRedisCluster } from '../helpers/redis-processes.js';
import { openRedis, type RedisClient } from '../../src/storage/redis.js';
import { migrations } from '../../migrations/index.js';

interface Store {
  db?: Database;
  redis?: RedisClient;
  teardown(): Promise<void>;
}

interface Backend {
  name: string;
  kind: 'sql' | 'redis';
  open(): Promise<Store>;
}

const backends: Backend[] = [
  {
    name: 'PostgreSQL',
    kind: 'sql',
    async open() {
      const t = await createPostgresDatabase();
      return { db: t.db, teardown: () => t.drop() };
    },
  },
  {
    name: 'PGlite',
    kind: 'sql',
    async open() {
      const t = await createEmbeddedDatabase();
      return { db: t.db, teardown: () => t.drop() };
    },
  },
  {
    name: 'Redis',
    kind: 'redis',
    async open() {
      const t = await createTestRedis();
      return { redis: t.redis, teardown: () => t.cleanup() };
    },
  },
  {
    name: 'Redis Cluster',
    kind: 'redis',
    async open() {
      const cluster = await startRedisCluster();
      const redis = openRedis(cluster.url, 'sesam-test:');
      return {
        redis,
        async teardown() {
          redis.disconnect();
          await cluster.stop();
        },
      };
    },
  },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rid = () => crypto.randomUUID();

class FakeClientAdapter {
  constructor(readonly model: string) {}
}

function contract(backend: Backend) {
  let store: Store;
  let Adapter: AdapterConstructor;
  const adapters = new Map<string, Adapter>();
  const of = (model: string): Adapter => {
    if (!adapters.has(model)) adapters.set(model, new Adapter(model));
    return adapters.get(model)!;
  };

  beforeAll(async () => {
    store = await backend.open();
    // With Redis the database is never touched: the factory must pick Redis.
    Adapter = adapterFactory({
      db: store.db ?? (undefined as unknown as Database),
      redis: store.redis,
      overrides: { Client: FakeClientAdapter },
    });
  }, 30_000);

  afterAll(async () => {
    await store?.teardown();
  });

  it('picks the backend and lets overrides win per model', () => {
    expect(new Adapter('AccessToken')).toBeInstanceOf(backend.kind === 'redis' ? RedisAdapter : SqlAdapter);
    expect(new Adapter('Client')).toBeInstanceOf(FakeClientAdapter);
  });

  it('round-trips a payload through upsert and find', async () => {
    const id = rid();
    const payload = { accountId: 'u1', amr: [], claims: { id_token: { acr: null } }, exp: 2_000_000_000, kind: 'AccessToken' };
    await of('AccessToken').upsert(id, payload as never, 60);
    expect(await of('AccessToken').find(id)).toEqual(payload);
    // The same id under another model is another artifact.
    expect(await of('RefreshToken').find(id)).toBeUndefined();

    await of('AccessToken').upsert(id, { ...payload, accountId: 'u2' } as never, 60);
    expect(await of('AccessToken').find(id)).toMatchObject({ accountId: 'u2' });
  });

  it('returns undefined (never {}) for unknown ids, uids and user codes', async () => {
    expect(await of('AccessToken').find(rid())).toBeUndefined();
    expect(await of('Session').findByUid(rid())).toBeUndefined();
    expect(await of('DeviceCode').findByUserCode(rid())).toBeUndefined();
  });

  it('forgets artifacts once expired', async () => {
    const [short, long, sid, uid] = [rid(), rid(), rid(), rid()];
    const grantId = rid();
    await of('AccessToken').upsert(short, { grantId, kind: 'AccessToken' } as never, 1);
    await of('AccessToken').upsert(long, { grantId, kind: 'AccessToken' } as never, 60);
    await of('Session').upsert(sid, { uid, kind: 'Session' } as never, 1);
    expect(await of('AccessToken').find(short)).toBeDefined();
    expect(await of('Session').findByUid(uid)).toBeDefined();

    await sleep(1500);
    expect(await of('AccessToken').find(short)).toBeUndefined();
    expect(await of('Session').find(sid)).toBeUndefined();
    expect(await of('Session').findByUid(uid)).toBeUndefined();
    expect(await of('AccessToken').find(long)).toBeDefined();

    if (store.redis) {
      // The next upsert into the grant trims the expired member from the index.
      const later = rid();
      await of('AccessToken').upsert(later, { grantId, kind: 'AccessToken' } as never, 60);
      const members = await store.redis.zrange(`oidc:grant:${grantId}`, '0', '-1');
      expect(members.sort()).toEqual([`oidc:AccessToken:${long}`, `oidc:AccessToken:${later}`].sort());
    }
    if (store.db) {
      expect(await sweepExpired(store.db)).toBeGreaterThanOrEqual(2);
      expect(await store.db('oidc_payloads').where({ id: short }).first()).toBeUndefined();
      expect(await store.db('oidc_payloads').where({ id: long }).first()).toBeDefined();
    }
  });

  it('marks a consumed artifact and keeps its payload (and, in Redis, its TTL)', async () => {
    const id = rid();
    const before = Math.floor(Date.now() / 1000);
    await of('AuthorizationCode').upsert(id, { accountId: 'u1', scope: 'openid', kind: 'AuthorizationCode' } as never, 600);
    expect((await of('AuthorizationCode').find(id))?.consumed).toBeFalsy();

    await of('AuthorizationCode').consume(id);
    const found = await of('AuthorizationCode').find(id);
    expect(found).toMatchObject({ accountId: 'u1', scope: 'openid' });
    expect(found?.consumed).toBeGreaterThanOrEqual(before);
    expect(found?.consumed).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));

    if (store.redis) {
      const ttl = await store.redis.pttl(`oidc:AuthorizationCode:${id}`);
      expect(ttl).toBeGreaterThan(590_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    }
    // Consuming something unknown is harmless.
    await expect(of('AuthorizationCode').consume(rid())).resolves.toBeUndefined();
  });

  it('destroys one artifact and its indexes', async () => {
    const [sid, other, uid, at, grantId] = [rid(), rid(), rid(), rid(), rid()];
    await of('Session').upsert(sid, { uid, accountId: 'u1', kind: 'Session' } as never, 60);
    await of('Session').upsert(other, { uid: rid(), kind: 'Session' } as never, 60);
    await of('AccessToken').upsert(at, { grantId } as never, 60);
    await of('Session').destroy(sid);
    await of('AccessToken').destroy(at);
    expect(await of('Session').find(sid)).toBeUndefined();
    expect(await of('Session').findByUid(uid)).toBeUndefined();
    expect(await of('AccessToken').find(at)).toBeUndefined();
    expect(await of('Session').find(other)).toBeDefined();
    if (store.redis) {
      expect(await store.redis.exists(`oidc:uid:${uid}`)).toBe(0);
      // The grant index forgets the destroyed member (its last one, so the set goes too).
      expect(await store.redis.exists(`oidc:grant:${grantId}`)).toBe(0);
    }
  });

  it('finds a Session by uid and a DeviceCode by user code', async () => {
    const [sid, uid, dc, userCode] = [rid(), rid(), rid(), `ABCD-${rid().slice(0, 4)}`];
    await of('Session').upsert(sid, { uid, accountId: 'u1', kind: 'Session' } as never, 60);
    await of('DeviceCode').upsert(dc, { userCode, clientId: 'c1', kind: 'DeviceCode' } as never, 60);
    expect(await of('Session').findByUid(uid)).toMatchObject({ uid, accountId: 'u1' });
    expect(await of('DeviceCode').findByUserCode(userCode)).toMatchObject({ userCode, clientId: 'c1' });
    expect(await of('DeviceCode').findByUserCode(`${userCode}x`)).toBeUndefined();
  });

  /** Three artifacts (plus a device code) in grant `g`, two in grant `keep`. */
  async function seedGrants() {
    const g = rid();
    const keep = rid();
    const ids = { at: rid(), rt: rid(), ac: rid(), dc: rid(), keepAt: rid(), keepRt: rid() };
    const userCode = rid();
    await of('AccessToken').upsert(ids.at, { grantId: g } as never, 60);
    await of('RefreshToken').upsert(ids.rt, { grantId: g } as never, 600);
    await of('AuthorizationCode').upsert(ids.ac, { grantId: g } as never, 60);
    await of('DeviceCode').upsert(ids.dc, { grantId: g, userCode } as never, 60);
    await of('AccessToken').upsert(ids.keepAt, { grantId: keep } as never, 60);
    await of('RefreshToken').upsert(ids.keepRt, { grantId: keep } as never, 60);
    await of('Grant').upsert(g, { accountId: 'u1', kind: 'Grant' } as never, 600);
    return { g, keep, ids, userCode };
  }

  async function expectRevoked({ ids, userCode, g }: Awaited<ReturnType<typeof seedGrants>>) {
    expect(await of('AccessToken').find(ids.at)).toBeUndefined();
    expect(await of('RefreshToken').find(ids.rt)).toBeUndefined();
    expect(await of('AuthorizationCode').find(ids.ac)).toBeUndefined();
    expect(await of('DeviceCode').find(ids.dc)).toBeUndefined();
    expect(await of('DeviceCode').findByUserCode(userCode)).toBeUndefined();
    // The other grant's artifacts stay; the Grant itself is destroyed separately by oidc-provider.
    expect(await of('AccessToken').find(ids.keepAt)).toBeDefined();
    expect(await of('RefreshToken').find(ids.keepRt)).toBeDefined();
    expect(await of('Grant').find(g)).toBeDefined();
    if (store.redis) {
      expect(await store.redis.exists(`oidc:grant:${g}`)).toBe(0);
      expect(await store.redis.exists(`oidc:userCode:${userCode}`)).toBe(0);
    }
  }

  it('revokes every artifact of a grant across models, and only that grant', async () => {
    const seeded = await seedGrants();
    await of('AccessToken').revokeByGrantId(seeded.g);
    await expectRevoked(seeded);
  });

  it('revokes idempotently when called in parallel for several models', async () => {
    const seeded = await seedGrants();
    const models = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode'];
    await Promise.all(models.map((m) => of(m).revokeByGrantId(seeded.g)));
    await expectRevoked(seeded);
    await Promise.all(models.map((m) => of(m).revokeByGrantId(seeded.g)));
    await expectRevoked(seeded);
  });

  (backend.kind === 'redis' ? it : it.skip)('a revoke racing an upsert leaves the member a later revoke still finds', async () => {
    const redis = store.redis!;
    const [grantId, at] = [rid(), rid()];
    const member = `oidc:AccessToken:${at}`;
    // An upsert half done: its grant membership written (first), its artifact not yet.
    await redis.zadd(`oidc:grant:${grantId}`, Date.now() + 60_000, member);
    await of('AccessToken').revokeByGrantId(grantId);
    expect(await redis.zrange(`oidc:grant:${grantId}`, 0, '-1')).toEqual([member]);
    // The upsert ends; the next revoke of the grant takes the token.
    await redis.set(member, JSON.stringify({ grantId }), 'PX', 60_000);
    await of('RefreshToken').revokeByGrantId(grantId);
    expect(await of('AccessToken').find(at)).toBeUndefined();
    expect(await redis.exists(`oidc:grant:${grantId}`)).toBe(0);
  });

  (backend.kind === 'redis' ? it : it.skip)('keeps the grant index alive as long as its longest member, never shorter', async () => {
    const redis = store.redis!;
    const grantId = rid();
    const grantKey = `oidc:grant:${grantId}`;
    await of('RefreshToken').upsert(rid(), { grantId } as never, 3600);
    const first = await redis.pttl(grantKey);
    expect(first).toBeGreaterThanOrEqual(3_590_000);
    expect(first).toBeLessThanOrEqual(3_600_000);

    // A shorter artifact later does not shorten it.
    await of('AccessToken').upsert(rid(), { grantId } as never, 60);
    expect(await redis.pttl(grantKey)).toBeGreaterThanOrEqual(3_590_000);

    // A longer one extends it.
    await of('RefreshToken').upsert(rid(), { grantId } as never, 7200);
    expect(await redis.pttl(grantKey)).toBeGreaterThan(3_600_000);
    expect(await redis.zcard(grantKey)).toBe(3);
  });

  it('indexes Sessions and Grants by account, and forgets them when destroyed', async () => {
    const [account, sid, anonymous, gid, at] = [rid(), rid(), rid(), rid(), rid()];
    await of('Session').upsert(sid, { uid: rid(), accountId: account, kind: 'Session' } as never, 60);
    await of('Session').upsert(anonymous, { uid: rid(), kind: 'Session' } as never, 60); // not signed in yet
    await of('Grant').upsert(gid, { accountId: account, clientId: 'c1', kind: 'Grant' } as never, 3600);
    await of('AccessToken').upsert(at, { accountId: account, grantId: gid, kind: 'AccessToken' } as never, 60);

    if (store.db) {
      const rows = await store.db('oidc_payloads').whereIn('id', [sid, anonymous, gid, at]).select('model', 'id', 'account_id');
      const byId = Object.fromEntries(rows.map((r: { id: string; account_id: string | null }) => [r.id, r.account_id]));
      // Only Sessions and Grants: tokens go with their grant.
      expect(byId).toEqual({ [sid]: account, [anonymous]: null, [gid]: account, [at]: null });
    }
    if (store.redis) {
      const key = `oidc:account:${account}`;
      expect((await store.redis.zrange(key, '0', '-1')).sort()).toEqual([`oidc:Grant:${gid}`, `oidc:Session:${sid}`].sort());
      // The set lives as long as its longest member (the grant), never shorter.
      const ttl = await store.redis.pttl(key);
      expect(ttl).toBeGreaterThan(3_590_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
      await of('Session').upsert(sid, { uid: rid(), accountId: account, kind: 'Session' } as never, 30);
      expect(await store.redis.pttl(key)).toBeGreaterThan(3_590_000);
      expect(await store.redis.type(key)).toBe('zset');
    }

    await of('Session').destroy(sid);
    await of('Grant').destroy(gid);
    if (store.redis) expect(await store.redis.exists(`oidc:account:${account}`)).toBe(0);
    if (store.db) expect(await store.db('oidc_payloads').where({ account_id: account }).select('id')).toEqual([]);
  });

  (backend.kind === 'sql' ? it : it.skip)('backfills account_id of Sessions and Grants stored before migration 004', async () => {
    const db = store.db!;
    const migration = migrations['004_account_index'];
    const [sid, gid, at] = [rid(), rid(), rid()];
    await migration.down!(db);
    try {
      await db('oidc_payloads').insert([
        { model: 'Session', id: sid, payload: JSON.stringify({ accountId: 'old-a', uid: rid(), kind: 'Session' }) },
        { model: 'Grant', id: gid, payload: JSON.stringify({ accountId: 'old-a', clientId: 'c1', kind: 'Grant' }) },
        { model: 'AccessToken', id: at, payload: JSON.stringify({ accountId: 'old-a', grantId: gid, kind: 'AccessToken' }), grant_id: gid },
      ]);
    } finally {
      await migration.up(db);
    }
    const rows = await db('oidc_payloads').whereIn('id', [sid, gid, at]).select('id', 'account_id');
    expect(Object.fromEntries(rows.map((r: { id: string; account_id: string | null }) => [r.id, r.account_id]))).toEqual({
      [sid]: 'old-a',
      [gid]: 'old-a',
      [at]: null,
    });
  });
}

describe.each(backends)('oidc adapter contract: $name', contract);
