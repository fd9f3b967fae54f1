import type { Knex } from 'knex';

/**
 * Counters the credential core needs: wrong second-factor codes per account across journeys
 * (NIST SP 800-63B §5.2.2), and a trusted device's own budget of wrong passwords past a lock.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('second_factor_failures').notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('trusted_devices', (t) => {
    t.integer('failed_attempts').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trusted_devices', (t) => {
    t.dropColumn('failed_attempts');
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('second_factor_failures');
  });
}
