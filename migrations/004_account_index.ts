import type { Knex } from 'knex';

/**
 * Account index of the OIDC artifacts: a credential change must end every browser session and
 * grant of one account, and the engine's adapters have no lookup by account. Sessions and Grants
 * carry their account in a column of their own (set by the SQL adapter on upsert).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.string('account_id', 255);
    t.index(['account_id', 'model'], 'oidc_payloads_account_id_model_index');
  });
  // Rows written before this migration: the account is in the payload.
  await knex.raw(
    `update oidc_payloads set account_id = payload->>'accountId'
      where model in ('Session', 'Grant') and account_id is null and jsonb_typeof(payload->'accountId') = 'string'
        and length(payload->>'accountId') <= 255`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropIndex(['account_id', 'model'], 'oidc_payloads_account_id_model_index');
    t.dropColumn('account_id');
  });
}
