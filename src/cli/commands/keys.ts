/** `sesam keys …`: the signing keys. */
import type { Command } from 'commander';
import { answer } from '../api-client.js';
import { leaf, wantsJson, type Context } from '../command.js';
import { out, show, table, when } from '../output.js';

export function registerKeys(program: Command, ctx: Context): void {
  const keys = program.command('keys').description('signing keys');

  leaf(keys, 'list', 'list signing keys').action(async (_opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(ctx.api().GET('/admin/v1/keys')), (list) =>
      table(
        ['KID', 'ALG', 'STATE', 'CREATED', 'UNPUBLISHED_AT'],
        list.map((k) => [k.kid, k.alg, k.active ? 'active' : k.published ? 'retired (published)' : 'expired', when(k.createdAt), when(k.expiresAt)]),
      ),
    );
  });

  leaf(keys, 'rotate', 'new signing keys; the old ones stay published until their tokens expire').action(async (_opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(ctx.api().POST('/admin/v1/keys/rotate')), (r) => out(`rotated the signing keys; now signing with ${r.kids.join(', ')}`));
  });
}
