/** `sesam tenants …`: the tenants and their sign-in policy. */
import type { Command } from 'commander';
import { answer, byId, completed, type Schemas } from '../api-client.js';
import { jsonArg } from '../arguments.js';
import { leaf, wantsJson, type Context } from '../command.js';
import { UsageError } from '../errors.js';
import { cell, done, fields, out, show, table } from '../output.js';

export function registerTenants(program: Command, ctx: Context): void {
  const tenants = program.command('tenants').description('tenants and their sign-in policy');

  leaf(tenants, 'list', 'list tenants').action(async (_opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(ctx.api().GET('/admin/v1/tenants')), (list) =>
      table(['ID', 'NAME', 'MFA', 'LOCKOUT'], list.map((t) => [t.id, t.name, t.policy.mfa, `${t.policy.lockout.threshold} ${t.policy.lockout.mode}`])),
    );
  });

  leaf(tenants, 'get <id>', 'show a tenant and its policy').action(async (id: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(ctx.api().GET('/admin/v1/tenants/{id}', byId(id))), (t) => {
      fields({ ...t }, ['id', 'name']);
      out('policy:');
      for (const [k, v] of Object.entries(t.policy)) out(`  ${k}: ${cell(v)}`);
    });
  });

  leaf(tenants, 'create <id>', 'create a tenant')
    .requiredOption('--name <name>', "the tenant's name")
    .option('--policy <json>', 'its policy as JSON, e.g. \'{"lockout":{"threshold":3}}\' (defaults for the keys not given)')
    .action(async (id: string, opts: { name: string; policy?: string }, cmd: Command) => {
      // The operator's JSON, as given: the server fills in the defaults, validates, and names a wrong key.
      const policy = opts.policy === undefined ? undefined : (jsonArg('--policy', opts.policy) as Schemas['TenantInput']['policy']);
      const t = await answer(ctx.api().POST('/admin/v1/tenants', { body: { id, name: opts.name, ...(policy === undefined ? {} : { policy }) } }));
      show(wantsJson(cmd), t, () => out(`created tenant ${t.id} (${t.name})`));
    });

  leaf(tenants, 'set-policy <id> <json>', "change some keys of a tenant's policy, e.g. '{\"mfa\":\"required\",\"lockout\":{\"threshold\":5}}'").action(
    async (id: string, json: string, _opts: object, cmd: Command) => {
      const patch = jsonArg('policy', json);
      if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new UsageError('policy: must be a JSON object');
      // Some keys, as given: the server merges them into the policy, validates the result, and names a wrong key.
      const t = await answer(ctx.api().PATCH('/admin/v1/tenants/{id}/policy', { ...byId(id), body: patch as Schemas['TenantPolicyPatch'] }));
      show(wantsJson(cmd), t, () => out(`updated the policy of tenant ${t.id}: ${JSON.stringify(t.policy)}`));
    },
  );

  leaf(tenants, 'delete <id>', 'delete a tenant (its memberships go with it)').action(async (id: string, _opts: object, cmd: Command) => {
    await completed(ctx.api().DELETE('/admin/v1/tenants/{id}', byId(id)));
    done(wantsJson(cmd), { deleted: 'tenant', id }, `deleted tenant ${id}`);
  });
}
