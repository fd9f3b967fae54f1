/**
 * SMS send limits on every store the server can run on: Redis (with a client keyPrefix, as
 * in production deployments sharing a Redis), embedded PGlite and real PostgreSQL. Windows per
 * phone, account and IP bite independently, refusals say when to come back, bursts in parallel
 * never get past a limit, and no key holds a phone number or an IP address in clear.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import knexFactory from 'knex';
import { Redis } from 'ioredis';
import { ipBucket, SMS_SEND_LIMITS, SmsSendLimiter, type SmsSendDecision } from '../../src/security/rate-limits.js';
import { RedisKeyValueStore, SqlKeyValueStore } from '../../src/storage/kv.js';
import type { Database } from '../../src/storage/database.js';
import { createEmbeddedDatabase, createPostgresDatabase, createTestRedis, PG_ADMIN_URL, REDIS_URL } from '../helpers/stores.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface Backend {
  limiter: SmsSendLimiter;
  /** Every key the limiter wrote, as stored. */
  keys(): Promise<string[]>;
  /** What every stored key starts with before `sms-limit:` (the Redis client's keyPrefix). */
  storePrefix: string;
  /** Ends the current hourly windows, as if an hour had passed (daily ones stay). */
  endHourlyWindows(): Promise<void>;
  cleanup(): Promise<void>;
}

async function redisBackend(): Promise<Backend> {
  const r = await createTestRedis();
  // Not used on the Redis path; a pg client that never connects satisfies the signature.
  const db = knexFactory({ client: 'pg', connection: PG_ADMIN_URL }) as Database;
  const raw = new Redis(REDIS_URL);
  const scan = async (pattern: string) => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  };
  return {
    limiter: new SmsSendLimiter({ redis: r.redis, db, kv: new RedisKeyValueStore(r.redis), key: crypto.randomBytes(32) }),
    keys: () => scan('*').then((keys) => keys.filter((k) => k.startsWith(r.prefix))),
    storePrefix: r.prefix,
    async endHourlyWindows() {
      const keys = await scan(`${r.prefix}sms-limit:*:1h:*`);
      if (keys.length) await raw.del(...keys);
    },
    async cleanup() {
      raw.disconnect();
      await db.destroy();
      await r.cleanup();
    },
  };
}

async function sqlBackend(create: typeof createEmbeddedDatabase): Promise<Backend> {
  const t = await create();
  return {
    limiter: new SmsSendLimiter({ db: t.db, kv: new SqlKeyValueStore(t.db), key: crypto.randomBytes(32) }),
    keys: async () => (await t.db('kv_entries').select('key')).map((row: { key: string }) => row.key),
    storePrefix: '',
    async endHourlyWindows() {
      await t.db('kv_entries').where('key', 'like', 'sms-limit:%:1h:%').update({ expires_at: new Date(Date.now() - 1000) });
    },
    cleanup: () => t.drop(),
  };
}

// Numbers and addresses from counters, so no two sends share a window unless a test means it.
const BASE = crypto.randomInt(0, 900_000);
let seq = 0;
/** A Belgian mobile number no other test uses. */
function phone(): string {
  return `+32470${String(BASE + seq++).padStart(6, '0')}`;
}
function unique(label: string): string {
  return `${label}-${crypto.randomBytes(6).toString('hex')}`;
}
let ipSeq = 1;
/** An IPv4 address (198.18.0.0/15, for tests) no other test uses. */
function ip(): string {
  const n = ipSeq++;
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

function expectRefused(decision: SmsSendDecision, limit: 'phone' | 'account' | 'ip', aheadMs: number) {
  expect(decision).toMatchObject({ allowed: false, limit });
  if (decision.allowed) return;
  const ahead = decision.retryAt.getTime() - Date.now();
  expect(ahead).toBeGreaterThan(aheadMs - 60_000);
  expect(ahead).toBeLessThanOrEqual(aheadMs + 1000);
}

describe('SMS_SEND_LIMITS', () => {
  it('are the agreed numbers', () => {
    expect(SMS_SEND_LIMITS).toEqual({
      phone: [{ max: 5, seconds: 3600 }, { max: 10, seconds: 86400 }],
      account: [{ max: 5, seconds: 3600 }, { max: 10, seconds: 86400 }],
      ip: [{ max: 20, seconds: 3600 }, { max: 100, seconds: 86400 }],
    });
    expect(Object.isFrozen(SMS_SEND_LIMITS.phone[0])).toBe(true);
  });
});

describe('ipBucket', () => {
  it('counts IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by /64', () => {
    expect(ipBucket('192.0.2.7')).toBe('192.0.2.7');
    expect(ipBucket('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(ipBucket('::ffff:c000:207')).toBe('192.0.2.7');
    expect(ipBucket('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(ipBucket('2001:0DB8:0001:0002:ffff:eeee:dddd:cccc')).toBe('2001:db8:1:2::/64');
    expect(ipBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(ipBucket('2001:db8:1:3::1')).not.toBe(ipBucket('2001:db8:1:2::1'));
  });
});

describe.each([
  ['Redis (with keyPrefix)', redisBackend],
  ['PGlite', () => sqlBackend(createEmbeddedDatabase)],
  ['PostgreSQL', () => sqlBackend(createPostgresDatabase)],
])('SmsSendLimiter on %s', (_name, open) => {
  let b: Backend;
  beforeAll(async () => {
    b = await open();
  });
  afterAll(async () => {
    await b.cleanup();
  });

  it('refuses the 6th send to one phone within the hour, with a retry time an hour ahead', async () => {
    const target = phone();
    for (let i = 0; i < 5; i++) {
      expect(await b.limiter.consume({ phone: target, userId: unique('user'), ip: ip() })).toEqual({ allowed: true });
    }
    expectRefused(await b.limiter.consume({ phone: target, userId: unique('user'), ip: ip() }), 'phone', HOUR);
    expectRefused(await b.limiter.consume({ phone: target }), 'phone', HOUR);
    // The same number written with spaces is the same number.
    expectRefused(await b.limiter.consume({ phone: `${target.slice(0, 6)} ${target.slice(6)}` }), 'phone', HOUR);
    expect(await b.limiter.consume({ phone: phone(), userId: unique('user'), ip: ip() })).toEqual({ allowed: true });
  });

  it('limits one account across phones, independently of the phones', async () => {
    const user = unique('user');
    const phones = Array.from({ length: 6 }, () => phone());
    for (const p of phones.slice(0, 5)) expect(await b.limiter.consume({ phone: p, userId: user, ip: ip() })).toEqual({ allowed: true });
    expectRefused(await b.limiter.consume({ phone: phones[5], userId: user, ip: ip() }), 'account', HOUR);
    // Those phones are not exhausted: another account may still reach them.
    expect(await b.limiter.consume({ phone: phones[0], userId: unique('user'), ip: ip() })).toEqual({ allowed: true });
    expect(await b.limiter.consume({ phone: phones[5], userId: unique('user'), ip: ip() })).toEqual({ allowed: true });
  });

  it('limits one IP across phones and accounts, independently of them', async () => {
    const source = ip();
    for (let i = 0; i < 20; i++) expect(await b.limiter.consume({ phone: phone(), userId: unique('user'), ip: source })).toEqual({ allowed: true });
    expectRefused(await b.limiter.consume({ phone: phone(), userId: unique('user'), ip: source }), 'ip', HOUR);
    expectRefused(await b.limiter.consume({ phone: phone(), ip: source }), 'ip', HOUR);
    expect(await b.limiter.consume({ phone: phone(), userId: unique('user'), ip: ip() })).toEqual({ allowed: true });
  });

  it('counts an IPv6 address as its /64', async () => {
    const net64 = `2001:db8:${crypto.randomInt(1, 0xffff).toString(16)}:${crypto.randomInt(1, 0xffff).toString(16)}`;
    for (let i = 1; i <= 20; i++) expect(await b.limiter.consume({ phone: phone(), ip: `${net64}::${i.toString(16)}` })).toEqual({ allowed: true });
    expectRefused(await b.limiter.consume({ phone: phone(), ip: `${net64}:ffff:ffff:ffff:ffff` }), 'ip', HOUR);
  });

  it('does not count refused sends against the other windows', async () => {
    const source = ip();
    const target = phone();
    for (let i = 0; i < 5; i++) expect((await b.limiter.consume({ phone: target, ip: source })).allowed).toBe(true);
    for (let i = 0; i < 30; i++) expect((await b.limiter.consume({ phone: target, ip: source })).allowed).toBe(false);
    // The IP used 5 of its 20: 15 more pass.
    for (let i = 0; i < 15; i++) expect(await b.limiter.consume({ phone: phone(), ip: source })).toEqual({ allowed: true });
    expectRefused(await b.limiter.consume({ phone: phone(), ip: source }), 'ip', HOUR);
    // The other way round: refused for the (now full) IP, a phone and an account keep their quota.
    const other = phone();
    const user = unique('user');
    for (let i = 0; i < 10; i++) expectRefused(await b.limiter.consume({ phone: other, userId: user, ip: source }), 'ip', HOUR);
    for (let i = 0; i < 5; i++) expect(await b.limiter.consume({ phone: other, userId: user, ip: ip() })).toEqual({ allowed: true });
  });

  it('lets exactly the limit through a burst of 20 parallel sends to one phone', async () => {
    const target = phone();
    const results = await Promise.all(Array.from({ length: 20 }, () => b.limiter.consume({ phone: target, userId: unique('user'), ip: ip() })));
    const allowed = results.filter((r) => r.allowed).length;
    // Never more; and exactly 5 here, since the racers that lose on this phone are not counted
    // in the phone's daily window.
    expect(allowed).toBe(5);
    for (const r of results.filter((x) => !x.allowed)) expectRefused(r, 'phone', HOUR);
    expect((await b.limiter.consume({ phone: target })).allowed).toBe(false);
  });

  it('lets exactly the limit through a burst of 40 parallel sends from one IP', async () => {
    const source = ip();
    const results = await Promise.all(Array.from({ length: 40 }, () => b.limiter.consume({ phone: phone(), userId: unique('user'), ip: source })));
    const allowed = results.filter((r) => r.allowed).length;
    expect(allowed).toBe(20);
    expect((await b.limiter.consume({ phone: phone(), ip: source })).allowed).toBe(false);
  });

  it('keeps the daily window after the hourly one, and names the time that really works', async () => {
    const target = phone();
    for (let i = 0; i < 5; i++) expect((await b.limiter.consume({ phone: target })).allowed).toBe(true);
    expectRefused(await b.limiter.consume({ phone: target }), 'phone', HOUR);
    await b.endHourlyWindows(); // an hour later
    for (let i = 0; i < 5; i++) expect(await b.limiter.consume({ phone: target })).toEqual({ allowed: true });
    // Now both the hourly (5/5) and the daily (10/10) windows are full: the day is what counts.
    expectRefused(await b.limiter.consume({ phone: target }), 'phone', DAY);
  });

  it('never stores a phone number or an IP address in clear, and keeps its keys under sms-limit:', async () => {
    const target = '+32470123987';
    const source = '203.0.113.77';
    await b.limiter.consume({ phone: target, userId: 'user-in-clear-ok', ip: source });
    const keys = await b.keys();
    const mine = keys.filter((k) => k.includes('sms-limit:'));
    expect(mine.length).toBeGreaterThanOrEqual(6);
    for (const k of keys) {
      expect(k).not.toContain('470123987');
      expect(k).not.toContain('203.0.113.77');
    }
    const expected = new RegExp(`^${b.storePrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}sms-limit:(phone|account|ip):1[hd]:[\\w-]{43}(:reset)?$`);
    expect(mine.filter((k) => !expected.test(k))).toEqual([]);
  });
});
