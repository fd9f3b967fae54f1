import type { Knex } from 'knex';

/**
 * The audit trail lives in the event log: who acted (an operator client or a tenant admin, a
 * user), on what (the target's kind and id). A row with an actor is an audit row, kept under
 * AUDIT_RETENTION_DAYS; the others (sign-ins...) under EVENT_RETENTION_DAYS: `at` alone is
 * indexed for those sweeps.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.string('actor_type', 16);
    t.uuid('actor_user_id');
    t.string('target_type', 16);
    t.string('target_id', 255);
    t.index(['at']);
    t.index(['actor_type', 'at']);
  });
  // Admin actions recorded before: operator clients, on the user when there is one.
  await knex('events').where('type', 'like', 'admin.%').update({ actor_type: 'operator' });
  await knex('events').where('type', 'like', 'admin.%').whereNotNull('user_id').update({ target_type: 'user', target_id: knex.raw('cast(user_id as text)') });
  await knex('events').whereIn('type', ['admin.tenant_created', 'admin.tenant_updated', 'admin.tenant_deleted']).update({ target_type: 'tenant', target_id: knex.ref('tenant_id') });
  await knex('events')
    .whereIn('type', ['admin.client_created', 'admin.client_updated', 'admin.client_deleted'])
    .update({ target_type: 'client', target_id: knex.raw("details->>'client'") });
  await knex('events').where('type', 'admin.keys_rotated').update({ target_type: 'key' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.dropIndex(['actor_type', 'at']);
    t.dropIndex(['at']);
    t.dropColumn('target_id');
    t.dropColumn('target_type');
    t.dropColumn('actor_user_id');
    t.dropColumn('actor_type');
  });
}
