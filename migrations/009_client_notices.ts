import type { Knex } from 'knex';

/**
 * An app's notice beside the sign-in (seed 004), per language: a column of its own, so it never
 * reaches the OIDC engine as unknown client metadata. Null: no notice.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.jsonb('notice');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('notice');
  });
}
