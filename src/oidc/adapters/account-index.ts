/**
 * Reads the account index the adapters keep beside the artifacts (the `account_id` column in
 * SQL, the `oidc:account:{accountId}` sorted set in Redis): the engine's adapters cannot look
 * artifacts up by account, yet a credential change must end all of one account's sessions and
 * grants. Only live (unexpired, still stored) artifacts are listed.
 */
import type { Redis } from 'ioredis';
import type { Database } from '../../storage/database.js';
import { accountSetKey } from './redis-adapter.js';

export interface AccountArtifacts {
  /** Session ids (the engine's `jti`, what `provider.Session.find` takes). */
  sessions: string[];
  /** Grant ids. */
  grants: string[];
}

export interface AccountIndex {
  list(accountId: string): Promise<AccountArtifacts>;
}

export class SqlAccountIndex implements AccountIndex {
  constructor(private readonly db: Database) {}

  async list(accountId: string): Promise<AccountArtifacts> {
    const rows: { model: string; id: string }[] = await this.db('oidc_payloads')
      .where({ account_id: accountId })
      .whereIn('model', ['Session', 'Grant'])
      // The database clock, as the adapter's own reads.
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', this.db.fn.now()))
      .select('model', 'id');
    return split(rows);
  }
}

/**
 * KEYS[1] account set; ARGV[1] key prefix. Members scored after the server's now whose artifact
 * still exists (a member can outlive its artifact until the next add trims it).
 */
const ACCOUNT_LIST = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
  if redis.call('EXISTS', ARGV[1] .. member) == 1 then live[#live + 1] = member end
end
return live
`;

interface AccountList {
  sesamAccountList(key: string, prefix: string): Promise<string[]>;
}

export class RedisAccountIndex implements AccountIndex {
  constructor(private readonly redis: Redis) {
    if (typeof (redis as unknown as Partial<AccountList>).sesamAccountList !== 'function') {
      redis.defineCommand('sesamAccountList', { numberOfKeys: 1, lua: ACCOUNT_LIST });
    }
  }

  async list(accountId: string): Promise<AccountArtifacts> {
    const members = await (this.redis as unknown as AccountList).sesamAccountList(accountSetKey(accountId), this.redis.options.keyPrefix ?? '');
    const rows: { model: string; id: string }[] = [];
    for (const member of members) {
      // Members are unprefixed artifact keys: `oidc:{model}:{id}`.
      const match = /^oidc:(Session|Grant):(.+)$/s.exec(member);
      if (match) rows.push({ model: match[1], id: match[2] });
    }
    return split(rows);
  }
}

/** Redis when configured (the artifacts live there), else SQL: the same choice as `adapterFactory`. */
export function accountIndex(options: { db: Database; redis?: Redis }): AccountIndex {
  return options.redis ? new RedisAccountIndex(options.redis) : new SqlAccountIndex(options.db);
}

function split(rows: { model: string; id: string }[]): AccountArtifacts {
  return {
    sessions: rows.filter((r) => r.model === 'Session').map((r) => r.id),
    grants: rows.filter((r) => r.model === 'Grant').map((r) => r.id),
  };
}
