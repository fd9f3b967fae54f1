import type { Knex } from 'knex';

/**
 * Passkeys (WebAuthn credentials). The credential id and the public key (a COSE key) are kept as
 * base64url text; `counter` is the authenticator's signature counter (0 for synced passkeys, which
 * never count); `flagged_at` marks a credential whose counter went backwards (a suspected clone):
 * it signs nobody in again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('passkeys', (t) => {
    t.uuid('id').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('credential_id').notNullable().unique();
    t.text('public_key').notNullable();
    t.bigInteger('counter').notNullable().defaultTo(0);
    t.jsonb('transports').notNullable().defaultTo('[]');
    t.string('aaguid', 36);
    t.string('device_type', 16).notNullable();
    t.boolean('backed_up').notNullable().defaultTo(false);
    t.string('name', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('flagged_at', { useTz: true });
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('passkeys');
}
