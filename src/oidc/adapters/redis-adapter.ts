/**
 * oidc-provider artifacts in Redis.
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
 *
 * Key prefix: ioredis prefixes KEYS given to EVAL but not keys a script builds. Scripts get the
 * keys they know up front via KEYS; keys derived from stored data (grant members, index keys
 * read from a payload) are built inside Lua as ARGV prefix .. unprefixed key. Grant and account
 * members are therefore stored unprefixed, and the prefix is the client's `keyPrefix`.
 * Scripts use the server clock (TIME), so the grant set and its artifacts share one clock.
 */
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { ACCOUNT_MODELS, GRANTABLE_MODELS, epochSeconds } from './sql-adapter.js';

/** The account index set (unprefixed, as every key given to ioredis). */
export const accountSetKey = (accountId: string): string => `oidc:account:${accountId}`;

/**
 * Adds a member to an index set (a grant's or an account's), trims stale members, extends (never
 * shortens) the set's expiry.
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

/** Drops an index key only if it still points at this artifact (a newer one may own it). */
const DROP_INDEXES = `
local function dropIndexes(prefix, id, raw)
  local ok, p = pcall(cjson.decode, raw)
  if not ok or type(p) ~= 'table' then return nil end
  for _, field in ipairs({ 'uid', 'userCode' }) do
    if type(p[field]) == 'string' then
      local idx = prefix .. 'oidc:' .. field .. ':' .. p[field]
      if redis.call('GET', idx) == id then redis.call('DEL', idx) end
    end
  end
  return p
end
`;

/**
 * KEYS[1] artifact; ARGV: prefix, id, unprefixed artifact key (its index member name), '1' when
 * the model is indexed by account.
 */
const DESTROY = `${DROP_INDEXES}
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
redis.call('DEL', KEYS[1])
local p = dropIndexes(ARGV[1], ARGV[2], raw)
if p and type(p.grantId) == 'string' then
  redis.call('ZREM', ARGV[1] .. 'oidc:grant:' .. p.grantId, ARGV[3])
end
if p and ARGV[4] == '1' and type(p.accountId) == 'string' then
  redis.call('ZREM', ARGV[1] .. 'oidc:account:' .. p.accountId, ARGV[3])
end
return 1
`;

/** KEYS[1] grant set; ARGV[1] prefix. Deletes every member artifact, then the set: atomic, idempotent. */
const REVOKE = `${DROP_INDEXES}
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, member in ipairs(members) do
  local key = ARGV[1] .. member
  local raw = redis.call('GET', key)
  if raw then
    dropIndexes(ARGV[1], string.match(member, '^oidc:[^:]+:(.*)$'), raw)
    redis.call('DEL', key)
  end
end
redis.call('DEL', KEYS[1])
return #members
`;

/** Compare-and-set keeping the TTL: consume rewrites the JSON only if nobody changed it meanwhile. */
const CAS_KEEPTTL = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`;

const sha1 = (lua: string) => crypto.createHash('sha1').update(lua).digest('hex');
const SHAS = new Map([GRANT_ADD, DESTROY, REVOKE, CAS_KEEPTTL].map((lua) => [lua, sha1(lua)]));

/** EVALSHA, falling back to EVAL the first time a server sees the script. */
async function runScript(redis: Redis, lua: string, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(SHAS.get(lua)!, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
    return redis.eval(lua, keys.length, ...keys, ...args);
  }
}

interface GrantAdd {
  sesamGrantAdd(grantKey: string, member: string, ttlMs: number | string): unknown;
}

export class RedisAdapter implements Adapter {
  constructor(
    private readonly name: string,
    private readonly redis: Redis,
  ) {
    if (typeof (redis as unknown as Partial<GrantAdd>).sesamGrantAdd !== 'function') {
      redis.defineCommand('sesamGrantAdd', { numberOfKeys: 1, lua: GRANT_ADD });
    }
  }

  private get prefix(): string {
    return this.redis.options.keyPrefix ?? '';
  }

  private key(id: string): string {
    return `oidc:${this.name}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const ttlMs = typeof expiresIn === 'number' ? Math.max(1, Math.round(expiresIn * 1000)) : undefined;
    const accountId = ACCOUNT_MODELS.has(this.name) && typeof payload.accountId === 'string' ? payload.accountId : undefined;
    const indexed = (this.name === 'Session' && payload.uid) || payload.userCode || (GRANTABLE_MODELS.has(this.name) && payload.grantId) || accountId;
    if (!indexed) {
      // Nothing to keep in step with (client_credentials tokens, interactions): one plain SET.
      if (ttlMs === undefined) await this.redis.set(key, JSON.stringify(payload));
      else await this.redis.set(key, JSON.stringify(payload), 'PX', ttlMs);
      return;
    }
    // MULTI: the artifact, its indexes and its grant/account membership appear together.
    const multi = this.redis.multi();
    const set = (k: string, value: string) =>
      ttlMs === undefined ? multi.set(k, value) : multi.set(k, value, 'PX', ttlMs);
    set(key, JSON.stringify(payload));
    if (this.name === 'Session' && payload.uid) set(`oidc:uid:${payload.uid}`, id);
    if (payload.userCode) set(`oidc:userCode:${payload.userCode}`, id);
    if (GRANTABLE_MODELS.has(this.name) && payload.grantId) {
      // A defined command: ioredis sends EVALSHA (loading the script once) rather than the whole script.
      (multi as unknown as GrantAdd).sesamGrantAdd(`oidc:grant:${payload.grantId}`, key, ttlMs ?? '');
    }
    if (accountId) (multi as unknown as GrantAdd).sesamGrantAdd(accountSetKey(accountId), key, ttlMs ?? '');
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
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
      if ((await runScript(this.redis, CAS_KEEPTTL, [key], [raw, next])) === 1) return;
    }
    throw new Error(`could not consume ${this.name} ${id}: concurrent updates`);
  }

  async destroy(id: string): Promise<void> {
    await runScript(this.redis, DESTROY, [this.key(id)], [this.prefix, id, this.key(id), ACCOUNT_MODELS.has(this.name) ? '1' : '0']);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await runScript(this.redis, REVOKE, [`oidc:grant:${grantId}`], [this.prefix]);
  }
}
