import type { Knex } from 'knex';

/**
 * Federated sign-in (issue 12): the upstream providers operators configure, and the identities at
 * them linked to accounts. A provider's settings are one JSON document; its secrets (the client
 * secret, the private key) are sealed in columns of their own, so they never travel with it.
 * An identity is one provider subject for one account: a subject links to one account, an account
 * to one subject per provider. Deleting a provider or an account deletes its links.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('upstream_providers', (t) => {
    t.string('id', 40).primary();
    t.jsonb('config').notNullable();
    t.text('client_secret_sealed');
    t.text('private_key_sealed');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('federated_identities', (t) => {
    t.string('provider_id', 40).notNullable().references('upstream_providers.id').onDelete('CASCADE');
    t.string('subject', 255).notNullable();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('email', 320);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.primary(['provider_id', 'subject']);
    t.unique(['provider_id', 'user_id']);
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('federated_identities');
  await knex.schema.dropTableIfExists('upstream_providers');
}
