/**
 * Reads the account index the adapters keep beside the artifacts (the `account_id` column in
 * SQL, the `oidc:account:{accountId}` sorted set in Redis): the engine's adapters cannot look
 * artifacts up by account, yet a credential change must end all of one account's sessions and
 * grants. Only live (unexpired, still stored) artifacts are listed.
 */
import type { Database } from '../../storage/database.js';
import type { RedisClient } from '../../storage/redis.js';
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
 * KEYS[1] account set. Members scored after the server's now (the clock the set's scores come
 * from). Whether each artifact still exists is asked key by key afterwards: a script may touch
 * only its own key's slot in a Cluster, and a member can outlive its artifact until the next add
 * trims it.
 */
const ACCOUNT_LIVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
`;

interface AccountLive {
  sesamAccountLive(key: string): Promise<string[]>;
}

export class RedisAccountIndex implements AccountIndex {
  private readonly redis: RedisClient & AccountLive;

  constructor(redis: RedisClient) {
    if (typeof (redis as Partial<AccountLive>).sesamAccountLive !== 'function') {
      redis.defineCommand('sesamAccountLive', { numberOfKeys: 1, lua: ACCOUNT_LIVE });
    }
    this.redis = redis as RedisClient & AccountLive;
  }

  async list(accountId: string): Promise<AccountArtifacts> {
    const members = await this.redis.sesamAccountLive(accountSetKey(accountId));
    const stored = await Promise.all(members.map((member) => this.redis.exists(member)));
    const rows: { model: string; id: string }[] = [];
    members.forEach((member, i) => {
      // Members are unprefixed artifact keys: `oidc:{model}:{id}`.
      const match = /^oidc:(Session|Grant):(.+)$/s.exec(member);
      if (match && stored[i] === 1) rows.push({ model: match[1], id: match[2] });
    });
    return split(rows);
  }
}

/** Redis when configured (the artifacts live there), else SQL: the same choice as `adapterFactory`. */
export function accountIndex(options: { db: Database; redis?: RedisClient }): AccountIndex {
  return options.redis ? new RedisAccountIndex(options.redis) : new SqlAccountIndex(options.db);
}

function split(rows: { model: string; id: string }[]): AccountArtifacts {
  return {
    sessions: rows.filter((r) => r.model === 'Session').map((r) => r.id),
    grants: rows.filter((r) => r.model === 'Grant').map((r) => r.id),
  };
}
