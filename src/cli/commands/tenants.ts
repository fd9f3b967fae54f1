/** `sesam tenants …`: the tenants and their sign-in policy. */
import type { Command } from 'commander';
import { jsonArg } from '../arguments.js';
import { leaf, wantsJson, type Context } from '../command.js';
import { UsageError } from '../errors.js';
import { cell, done, fields, out, show, table } from '../output.js';

export function registerTenants(program: Command, ctx: Context): void {
  const tenants = program.command('tenants').description('tenants and their sign-in policy');

  leaf(tenants, 'list', 'list tenants').action(async (_opts: object, cmd: Command) => {
    show(wantsJson(cmd), await ctx.api().tenants.list(), (list) =>
      table(['ID', 'NAME', 'MFA', 'LOCKOUT'], list.map((t) => [t.id, t.name, t.policy.mfa, `${t.policy.lockout.threshold} ${t.policy.lockout.mode}`])),
    );
  });

  leaf(tenants, 'get <id>', 'show a tenant and its policy').action(async (id: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await ctx.api().tenants.get(id), (t) => {
      fields({ ...t }, ['id', 'name']);
      out('policy:');
      for (const [k, v] of Object.entries(t.policy)) out(`  ${k}: ${cell(v)}`);
    });
  });

  leaf(tenants, 'create <id>', 'create a tenant')
    .requiredOption('--name <name>', "the tenant's name")
    .option('--policy <json>', 'its policy as JSON, e.g. \'{"lockout":{"threshold":3}}\' (defaults for the keys not given)')
    .action(async (id: string, opts: { name: string; policy?: string }, cmd: Command) => {
      const policy = opts.policy === undefined ? undefined : jsonArg('--policy', opts.policy);
      const t = await ctx.api().tenants.create({ id, name: opts.name, ...(policy === undefined ? {} : { policy }) });
      show(wantsJson(cmd), t, () => out(`created tenant ${t.id} (${t.name})`));
    });

  leaf(tenants, 'set-policy <id> <json>', "change some keys of a tenant's policy, e.g. '{\"mfa\":\"required\",\"lockout\":{\"threshold\":5}}'").action(
    async (id: string, json: string, _opts: object, cmd: Command) => {
      const patch = jsonArg('policy', json);
      if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new UsageError('policy: must be a JSON object');
      const t = await ctx.api().tenants.setPolicy(id, patch);
      show(wantsJson(cmd), t, () => out(`updated the policy of tenant ${t.id}: ${JSON.stringify(t.policy)}`));
    },
  );

  leaf(tenants, 'delete <id>', 'delete a tenant (its memberships go with it)').action(async (id: string, _opts: object, cmd: Command) => {
    await ctx.api().tenants.delete(id);
    done(wantsJson(cmd), { deleted: 'tenant', id }, `deleted tenant ${id}`);
  });
}
