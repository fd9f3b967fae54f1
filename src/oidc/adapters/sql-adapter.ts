/**
 * oidc-provider artifacts in PostgreSQL (or embedded PGlite), table `oidc_payloads`: used when
 * Redis is not configured. One instance per model name; rows are keyed by (model, id). Sessions
 * and Grants also carry `account_id`, the account index read by account-index.ts.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Database, Queryable } from '../../storage/database.js';

/** Models whose artifacts belong to a grant and go when it is revoked (as oidc-provider's memory adapter). */
export const GRANTABLE_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Models indexed by account (`account_id`), so one account's sessions and grants can all be ended. */
export const ACCOUNT_MODELS: ReadonlySet<string> = new Set(['Session', 'Grant']);

const TABLE = 'oidc_payloads';

export function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class SqlAdapter implements Adapter {
  constructor(
    private readonly name: string,
    private readonly db: Database,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const { db } = this;
    await db(TABLE)
      .insert({
        model: this.name,
        id,
        // Stringified: node-postgres would turn a top-level array into a PostgreSQL array.
        payload: JSON.stringify(payload),
        grant_id: GRANTABLE_MODELS.has(this.name) ? (payload.grantId ?? null) : null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        account_id: ACCOUNT_MODELS.has(this.name) && typeof payload.accountId === 'string' ? payload.accountId : null,
        // The database clock decides expiry, so instances with skewed clocks agree.
        expires_at: typeof expiresIn === 'number' ? db.raw('now() + make_interval(secs => cast(? as double precision))', [expiresIn]) : null,
        consumed_at: payload.consumed ? db.raw('to_timestamp(?)', [Number(payload.consumed)]) : null,
      })
      .onConflict(['model', 'id'])
      .merge();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.findWhere({ id });
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere({ uid });
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere({ user_code: userCode });
  }

  async consume(id: string): Promise<void> {
    const now = epochSeconds();
    // One statement: the column (for queries) and the payload flag (what `find` returns) move together.
    await this.db(TABLE)
      .where({ model: this.name, id })
      .update({
        consumed_at: this.db.raw('to_timestamp(?)', [now]),
        payload: this.db.raw(`payload || jsonb_build_object('consumed', cast(? as bigint))`, [now]),
      });
  }

  async destroy(id: string): Promise<void> {
    await this.db(TABLE).where({ model: this.name, id }).delete();
  }

  /**
   * Deletes every artifact of the grant, whatever its model. oidc-provider calls this once per
   * model in parallel; the first call does the work and the others delete nothing (no error).
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db(TABLE).where({ grant_id: grantId }).delete();
  }

  private async findWhere(where: Record<string, string>): Promise<AdapterPayload | undefined> {
    const row = await this.db(TABLE)
      .where({ model: this.name, ...where })
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', this.db.fn.now()))
      .first('payload', 'consumed_at');
    if (!row) return undefined;
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as AdapterPayload;
    if (row.consumed_at && !payload.consumed) {
      payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
    }
    return payload;
  }
}

/** Deletes expired artifacts (expiry is already enforced on read; this only reclaims space). */
export async function sweepExpired(db: Queryable): Promise<number> {
  const result: unknown = await db(TABLE).where('expires_at', '<=', db.fn.now()).delete();
  // knex-pglite resolves a delete with the raw result ({ affectedRows, rowCount }), pg with a count.
  if (typeof result === 'number') return result;
  const raw = result as { affectedRows?: number; rowCount?: number };
  return raw.affectedRows ?? raw.rowCount ?? 0;
}
