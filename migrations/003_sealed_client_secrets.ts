import type { Knex } from 'knex';

/** Client secrets leave the metadata JSON for a column of their own, sealed with the master key. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.text('secret_sealed');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('secret_sealed');
  });
}
