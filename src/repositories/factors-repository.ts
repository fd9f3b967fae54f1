/** SQL for authenticator-app secrets (totp_factors) and recovery codes (keyed hashes only, see src/domain/recovery-codes.ts). */
import { affectedRows, type Queryable } from '../storage/database.js';

export interface TotpFactorRow {
  userId: string;
  /** The base32 secret sealed by the Cipher; never the secret itself. */
  secretEncrypted: string;
  /** Highest RFC 6238 time step accepted so far (0 when none). */
  lastTimeStep: number;
  confirmedAt: Date | null;
  createdAt: Date;
}

const toFactor = (r: any): TotpFactorRow => ({
  userId: r.user_id,
  secretEncrypted: r.secret_encrypted,
  lastTimeStep: Number(r.last_time_step),
  confirmedAt: r.confirmed_at ? new Date(r.confirmed_at) : null,
  createdAt: new Date(r.created_at),
});

export class FactorsRepository {
  constructor(private readonly db: Queryable) {}

  with(db: Queryable): FactorsRepository {
    return new FactorsRepository(db);
  }

  // --- TOTP -----------------------------------------------------------------------------------

  /**
   * Stores (or replaces) the user's sealed TOTP secret. `confirmedAt` set means the secret is
   * in use (its owner proved a code); `lastTimeStep` is the step of that code.
   */
  async upsertTotp(userId: string, secretEncrypted: string, options: { lastTimeStep?: number; confirmedAt?: Date | null } = {}): Promise<TotpFactorRow> {
    const row = {
      user_id: userId,
      secret_encrypted: secretEncrypted,
      last_time_step: options.lastTimeStep ?? 0,
      confirmed_at: options.confirmedAt ?? null,
    };
    const [r] = await this.db('totp_factors')
      .insert({ ...row, created_at: new Date() })
      .onConflict('user_id')
      .merge(['secret_encrypted', 'last_time_step', 'confirmed_at', 'created_at'])
      .returning('*');
    return toFactor(r);
  }

  /** Marks a pending secret as confirmed, with the time step of the code that proved it. */
  async confirmTotp(userId: string, lastTimeStep: number): Promise<boolean> {
    const rows = await this.db('totp_factors')
      .where({ user_id: userId })
      .whereNull('confirmed_at')
      .update({ confirmed_at: this.db.fn.now(), last_time_step: lastTimeStep })
      .returning('user_id');
    return rows.length > 0;
  }

  async findTotp(userId: string): Promise<TotpFactorRow | undefined> {
    const r = await this.db('totp_factors').where({ user_id: userId }).first();
    return r ? toFactor(r) : undefined;
  }

  /**
   * Records `step` as the last accepted time step, only if it is higher than the stored one:
   * one atomic statement, so a replayed code or a concurrent request with the same code
   * changes no row and gets false.
   */
  async advanceTimeStep(userId: string, step: number): Promise<boolean> {
    const rows = await this.db('totp_factors')
      .where({ user_id: userId })
      .andWhere('last_time_step', '<', step)
      .update({ last_time_step: step })
      .returning('user_id');
    return rows.length > 0;
  }

  async deleteTotp(userId: string): Promise<boolean> {
    return affectedRows(await this.db('totp_factors').where({ user_id: userId }).delete()) > 0;
  }

  // --- Recovery codes -------------------------------------------------------------------------

  /**
   * Replaces all of the user's recovery codes by `hashes`, delete then insert in one
   * transaction. Pass `db` (a transaction) to make it part of a larger one: only `db` is used
   * then (on PGlite the base knex must not be called while a transaction holds the connection).
   */
  async replaceRecoveryCodes(userId: string, hashes: string[], db?: Queryable): Promise<void> {
    const run = async (q: Queryable): Promise<void> => {
      await q('recovery_codes').where({ user_id: userId }).delete();
      if (hashes.length) await q('recovery_codes').insert(hashes.map((h) => ({ user_id: userId, code_hash: h })));
    };
    const base = db ?? this.db;
    // A transaction inside a transaction is a savepoint: still atomic, still on the same connection.
    await base.transaction(run);
  }

  /** Spends one unused code, atomically: of parallel uses of the same code exactly one gets true. */
  async useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
    const rows = await this.db('recovery_codes')
      .where({ user_id: userId, code_hash: codeHash })
      .whereNull('used_at')
      .update({ used_at: this.db.fn.now() })
      .returning('id');
    return rows.length > 0;
  }

  async countRemainingRecoveryCodes(userId: string): Promise<number> {
    const r = await this.db('recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ n: string | number }[]>({ n: '*' });
    return Number(r[0]?.n ?? 0);
  }

  async deleteRecoveryCodes(userId: string, db?: Queryable): Promise<number> {
    return affectedRows(await (db ?? this.db)('recovery_codes').where({ user_id: userId }).delete());
  }
}
