/**
 * Short-lived shared state (login journeys, counters, per-grant context): in Redis when
 * configured, else in PostgreSQL with expiry. Never in process memory, so any instance can
 * serve any request.
 */
import type { RedisClient } from './redis.js';
import { affectedRows, type Database } from './database.js';

export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` for `ttlSeconds`. */
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Reads and deletes `key` in one atomic step: of several callers racing for one entry, exactly
   * one gets its value (single-use tokens). Undefined when missing or expired.
   */
  take<T>(key: string): Promise<T | undefined>;
  /** Atomically adds 1 and returns the new count; the TTL starts with the first increment. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  /**
   * Atomically adds `delta` (negative to give back) to a counter and returns its new value and
   * when it expires. A missing or expired counter starts from 0 with `ttlSeconds` to live; a
   * live one keeps its expiry.
   */
  add(key: string, delta: number, ttlSeconds: number): Promise<{ value: number; expiresAt: Date }>;
}

export class RedisKeyValueStore implements KeyValueStore {
  constructor(private readonly redis: RedisClient, private readonly prefix = 'kv:') {}

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async take<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.getdel(this.prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    return (await this.add(key, 1, ttlSeconds)).value;
  }

  async add(key: string, delta: number, ttlSeconds: number): Promise<{ value: number; expiresAt: Date }> {
    const k = this.prefix + key;
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    // MULTI/EXEC runs the three as one: no other client's command comes in between.
    const [[, value], , [, pttl]] = (await this.redis.multi().incrby(k, delta).expire(k, ttl, 'NX').pttl(k).exec()) as [
      [Error | null, number],
      unknown,
      [Error | null, number],
    ];
    return { value: Number(value), expiresAt: new Date(Date.now() + (pttl > 0 ? pttl : ttl * 1000)) };
  }
}

export class SqlKeyValueStore implements KeyValueStore {
  constructor(private readonly db: Database) {}

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.db('kv_entries').where({ key }).andWhere('expires_at', '>', this.db.fn.now()).first('value');
    return row ? (row.value as T) : undefined;
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.db('kv_entries')
      .insert({ key, value: JSON.stringify(value), expires_at: expiry(ttlSeconds) })
      .onConflict('key')
      .merge();
  }

  async delete(key: string): Promise<void> {
    await this.db('kv_entries').where({ key }).delete();
  }

  async take<T>(key: string): Promise<T | undefined> {
    // One statement: of concurrent deletes of one row, only one gets it back. An expired row goes too, unread.
    const result = await this.db.raw('delete from kv_entries where key = ? returning value, expires_at > now() as live', [key]);
    const row = result.rows[0] as { value: unknown; live: boolean } | undefined;
    return row?.live ? (row.value as T) : undefined;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    return (await this.add(key, 1, ttlSeconds)).value;
  }

  async add(key: string, delta: number, ttlSeconds: number): Promise<{ value: number; expiresAt: Date }> {
    if (!Number.isInteger(delta)) throw new Error('delta must be an integer');
    // One statement: an expired entry restarts from `delta`, a live one adds to it; atomic under concurrency.
    const result = await this.db.raw(
      `insert into kv_entries (key, value, expires_at) values (?, to_jsonb(?::int), ?)
       on conflict (key) do update set
         value = case when kv_entries.expires_at <= now() then excluded.value else to_jsonb((kv_entries.value)::text::int + ?::int) end,
         expires_at = case when kv_entries.expires_at <= now() then excluded.expires_at else kv_entries.expires_at end
       returning value, expires_at`,
      [key, delta, expiry(ttlSeconds), delta],
    );
    const row = result.rows[0];
    return { value: Number(row.value), expiresAt: new Date(row.expires_at) };
  }

  /** Deletes expired entries; called periodically. */
  async sweep(): Promise<number> {
    return affectedRows(await this.db('kv_entries').where('expires_at', '<=', this.db.fn.now()).delete());
  }
}

function expiry(ttlSeconds: number): Date {
  return new Date(Date.now() + Math.max(1, ttlSeconds) * 1000);
}
