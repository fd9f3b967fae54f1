import type { Knex } from 'knex';

/**
 * Who switched two-step verification on (seed 002): `user` when the user did it in the account
 * portal (then they may switch it off, unless a tenant of theirs requires it), `required` when a
 * sign-in made them set it up because their tenant (or the app) required it (then only an admin
 * can switch it off). Null while the user has no second factor.
 *
 * Accounts that already have a second factor are told apart the only way left: a member of a
 * tenant that requires one set it up because it was required; anyone else chose it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('mfa_enabled_by', 16);
  });
  await knex.raw(`alter table users add constraint users_mfa_enabled_by_check check (mfa_enabled_by in ('user', 'required'))`);
  await knex.raw(
    `update users set mfa_enabled_by = case
       when exists (select 1 from memberships m join tenants t on t.id = m.tenant_id
                    where m.user_id = users.id and t.policy->>'mfa' = 'required') then 'required'
       else 'user' end
     where (phone is not null and phone_verified_at is not null)
        or exists (select 1 from totp_factors f where f.user_id = users.id and f.confirmed_at is not null)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table users drop constraint if exists users_mfa_enabled_by_check');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('mfa_enabled_by');
  });
}
