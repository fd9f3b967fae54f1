/**
 * oidc-provider artifacts in Redis (one node, Sentinel or Cluster).
 *
 * Layout (every value is a JSON or plain string, the grant and account indexes sorted sets: no WRONGTYPE):
 * - `oidc:{model}:{id}`      the payload as JSON, `consumed` kept inside it; TTL = expiresIn
 * - `oidc:uid:{uid}`         Session id, same TTL (findByUid)
 * - `oidc:userCode:{code}`   artifact id, same TTL (findByUserCode)
 * - `oidc:grant:{grantId}`   sorted set of the grant's artifact keys scored by expiry (epoch ms);
 *                            its own expiry follows the longest member and is never shortened.
 * - `oidc:account:{accountId}` sorted set of the account's `oidc:Session:{id}` and `oidc:Grant:{id}`
 *                            keys, kept like a grant set (same script, same expiry rules), so a
 *                            credential change can end all of one account's sessions and grants.
 * (The braces above are placeholders, not Cluster hash tags.)
 *
 * Redis Cluster: a script or MULTI may touch one hash slot only. Hash tags cannot put an artifact
 * beside its indexes, since the engine looks each up knowing one id only (`find(id)`,
 * `findByUid(uid)`, `findByUserCode(code)`), so every command and script here touches one key,
 * and the steps across keys are ordered so that no interruption leaves a token the grant cannot
 * revoke:
 * - upsert (on a Cluster; one node gets all in one MULTI) adds the index entries first, then writes the artifact: an index may briefly name an
 *   artifact not yet (or never) written, which every reader tolerates; an artifact never exists
 *   outside its grant or account set.
 * - destroy and revoke take the artifact with GETDEL, and only the caller that got it removes its
 *   index entries. A member whose artifact is missing stays in its set (an upsert may be about to
 *   write it; otherwise the next add trims it at expiry, or the set expires), so a revoke racing
 *   an upsert leaves a member a later revoke still finds; the engine also refuses a token whose
 *   Grant is gone.
 * Members are stored unprefixed and every key goes through ioredis, which adds the `keyPrefix`.
 * Index sets use the server clock (TIME), so a set and its artifacts share one clock.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../storage/redis.js';
import { ACCOUNT_MODELS, GRANTABLE_MODELS, epochSeconds } from './sql-adapter.js';

/** The account index set (unprefixed, as every key given to ioredis). */
export const accountSetKey = (accountId: string): string => `oidc:account:${accountId}`;
const grantSetKey = (grantId: string): string => `oidc:grant:${grantId}`;

/**
 * KEYS[1] an index set (a grant's or an account's); ARGV member, TTL in ms ('' for none). Adds
 * the member, trims stale members, extends (never shortens) the set's expiry.
 */
const GRANT_ADD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] == '' then
  redis.call('ZADD', KEYS[1], '+inf', ARGV[1])
  redis.call('PERSIST', KEYS[1])
  return 1
end
local exp = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], exp, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] == 'inf' then return 1 end
local max = tonumber(top[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or now + ttl < max then redis.call('PEXPIREAT', KEYS[1], max) end
return 1
`;

/** KEYS[1] an index key (uid, userCode); ARGV[1] an id. Deletes it only if it still names that id (a newer artifact may own it). */
const DEL_IF = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS[1] artifact; ARGV expected, next. Compare-and-set keeping the TTL: consume rewrites the JSON only if nobody changed it meanwhile. */
const CAS_KEEPTTL = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`;

/** The scripts as ioredis commands: EVALSHA, loading the script on a node (each node of a Cluster) that lacks it. */
interface Scripts {
  sesamGrantAdd(indexKey: string, member: string, ttlMs: number | string): Promise<number>;
  sesamDelIf(indexKey: string, id: string): Promise<number>;
  sesamCasKeepTtl(key: string, expected: string, next: string): Promise<number>;
}

/** Defines the scripts once per client (every adapter of one provider shares it). */
function withScripts(redis: RedisClient): RedisClient & Scripts {
  if (typeof (redis as Partial<Scripts>).sesamGrantAdd !== 'function') {
    redis.defineCommand('sesamGrantAdd', { numberOfKeys: 1, lua: GRANT_ADD });
    redis.defineCommand('sesamDelIf', { numberOfKeys: 1, lua: DEL_IF });
    redis.defineCommand('sesamCasKeepTtl', { numberOfKeys: 1, lua: CAS_KEEPTTL });
  }
  return redis as RedisClient & Scripts;
}

export class RedisAdapter implements Adapter {
  private readonly redis: RedisClient & Scripts;

  constructor(
    private readonly name: string,
    redis: RedisClient,
  ) {
    this.redis = withScripts(redis);
  }

  private key(id: string): string {
    return `oidc:${this.name}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const ttlMs = typeof expiresIn === 'number' ? Math.max(1, Math.round(expiresIn * 1000)) : undefined;
    const set = (k: string, value: string) => (ttlMs === undefined ? this.redis.set(k, value) : this.redis.set(k, value, 'PX', ttlMs));
    const value = JSON.stringify(payload);
    // What points at the artifact: lookup keys holding its id, and the grant and account sets it belongs to.
    const lookups: string[] = [];
    if (this.name === 'Session' && payload.uid) lookups.push(`oidc:uid:${payload.uid}`);
    if (payload.userCode) lookups.push(`oidc:userCode:${payload.userCode}`);
    const sets: string[] = [];
    if (GRANTABLE_MODELS.has(this.name) && payload.grantId) sets.push(grantSetKey(payload.grantId));
    if (ACCOUNT_MODELS.has(this.name) && typeof payload.accountId === 'string') sets.push(accountSetKey(payload.accountId));
    // Nothing points at it (a client_credentials token): one SET.
    if (lookups.length === 0 && sets.length === 0) {
      await set(key, value);
      return;
    }
    if (!(this.redis instanceof Cluster)) {
      // One node: the indexes and the artifact in one MULTI, atomic and one round trip (a sign-in writes five).
      // EVAL, not EVALSHA: a NOSCRIPT inside a MULTI would fail the index alone while the artifact is written.
      const multi = this.redis.multi();
      const queue = (k: string, v: string) => void (ttlMs === undefined ? multi.set(k, v) : multi.set(k, v, 'PX', ttlMs));
      for (const k of lookups) queue(k, id);
      for (const k of sets) void multi.eval(GRANT_ADD, 1, k, key, ttlMs ?? '');
      queue(key, value);
      const results = await multi.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error(`could not save ${this.name} ${id}`);
      return;
    }
    // Cluster: indexes first (one key each, sent together: auto-pipelined), then the artifact (above).
    await Promise.all([...lookups.map((k) => set(k, id)), ...sets.map((k) => this.redis.sesamGrantAdd(k, key, ttlMs ?? ''))]);
    await set(key, value);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const raw = await this.redis.get(this.key(id));
    return raw === null ? undefined : (JSON.parse(raw) as AdapterPayload);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(`oidc:uid:${uid}`);
    return id === null ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(`oidc:userCode:${userCode}`);
    return id === null ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const key = this.key(id);
    // Optimistic loop instead of WATCH (WATCH is per connection, unsafe on a shared client).
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const raw = await this.redis.get(key);
      if (raw === null) return;
      const next = JSON.stringify({ ...(JSON.parse(raw) as AdapterPayload), consumed: epochSeconds() });
      if ((await this.redis.sesamCasKeepTtl(key, raw, next)) === 1) return;
    }
    throw new Error(`could not consume ${this.name} ${id}: concurrent updates`);
  }

  async destroy(id: string): Promise<void> {
    await this.take(this.key(id));
  }

  /** Idempotent, and safe in parallel: each artifact is taken (and unindexed) by one caller only. */
  async revokeByGrantId(grantId: string): Promise<void> {
    const members = await this.redis.zrange(grantSetKey(grantId), 0, '-1');
    await Promise.all(members.map((member) => this.take(member)));
  }

  /** Deletes an artifact (unprefixed key `oidc:{model}:{id}`), then, if it was there, its index entries. */
  private async take(key: string): Promise<void> {
    const raw = await this.redis.getdel(key);
    if (raw === null) return;
    const [, model, id] = /^oidc:([^:]+):(.*)$/s.exec(key) ?? [];
    let payload: Partial<Record<string, unknown>>;
    try {
      payload = JSON.parse(raw) as Partial<Record<string, unknown>>;
    } catch {
      return;
    }
    const steps: Promise<unknown>[] = [];
    if (typeof payload.uid === 'string') steps.push(this.redis.sesamDelIf(`oidc:uid:${payload.uid}`, id));
    if (typeof payload.userCode === 'string') steps.push(this.redis.sesamDelIf(`oidc:userCode:${payload.userCode}`, id));
    if (GRANTABLE_MODELS.has(model) && typeof payload.grantId === 'string') steps.push(this.redis.zrem(grantSetKey(payload.grantId), key));
    if (ACCOUNT_MODELS.has(model) && typeof payload.accountId === 'string') steps.push(this.redis.zrem(accountSetKey(payload.accountId), key));
    await Promise.all(steps);
  }
}
