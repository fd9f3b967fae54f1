import type { Knex } from 'knex';

/** Foundation: OIDC artifacts, key-value state, keys and secrets, tenants, users, clients, events. */
export async function up(knex: Knex): Promise<void> {
  // oidc-provider artifacts (sessions, codes, tokens, grants, interactions) when Redis is not used.
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 255).notNullable();
    t.jsonb('payload').notNullable();
    t.string('grant_id', 255);
    t.string('user_code', 255);
    t.string('uid', 255);
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['expires_at']);
  });

  // Short-lived state (journeys, counters) when Redis is not used.
  await knex.schema.createTable('kv_entries', (t) => {
    t.string('key', 512).primary();
    t.jsonb('value').notNullable();
    t.timestamp('expires_at', { useTz: true });
    t.index(['expires_at']);
  });

  // Signing keys, private parts encrypted with the master key.
  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 128).primary();
    t.string('alg', 16).notNullable();
    t.text('private_jwk_encrypted').notNullable();
    t.jsonb('public_jwk').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Set when a newer key takes over signing; the key stays published until `expires_at`.
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
  });

  // Generated server secrets (cookie keys), encrypted with the master key.
  await knex.schema.createTable('server_secrets', (t) => {
    t.string('name', 64).primary();
    t.text('value_encrypted').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('tenants', (t) => {
    t.string('id', 64).primary();
    t.string('name', 200).notNullable();
    t.jsonb('policy').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary();
    t.string('login', 200).notNullable().unique(); // stored lower-cased
    t.string('email', 320).unique(); // stored lower-cased
    t.string('name', 200);
    t.text('password_hash');
    t.boolean('must_change_password').notNullable().defaultTo(false);
    t.string('phone', 32); // E.164
    t.string('locale', 8);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.integer('failed_attempts').notNullable().defaultTo(0);
    t.integer('lockouts').notNullable().defaultTo(0); // temporary lockouts in a row, for growing delays
    t.timestamp('locked_until', { useTz: true }); // temporary lockout
    t.boolean('locked').notNullable().defaultTo(false); // permanent lockout, until an admin unlocks
    t.timestamp('password_changed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('memberships', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('tenant_id', 64).notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('role', 16).notNullable().defaultTo('member');
    t.timestamp('first_login_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'tenant_id']);
    t.index(['tenant_id']);
  });

  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 200).primary();
    t.jsonb('metadata').notNullable(); // oidc-provider client metadata
    t.boolean('first_party').notNullable().defaultTo(false);
    t.jsonb('tenants'); // null: any tenant; else the list of tenant ids the client serves
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('events', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('type', 64).notNullable();
    t.uuid('user_id');
    t.string('tenant_id', 64);
    t.string('client_id', 200);
    t.string('ip', 64);
    t.string('user_agent', 512);
    t.string('method', 32);
    t.jsonb('details');
    t.index(['user_id', 'at']);
    t.index(['tenant_id', 'at']);
    t.index(['type', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['events', 'clients', 'memberships', 'users', 'tenants', 'server_secrets', 'signing_keys', 'kv_entries', 'oidc_payloads']) {
    await knex.schema.dropTableIfExists(table);
  }
}
