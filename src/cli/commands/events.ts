/** `sesam events`: the event log. */
import type { Command } from 'commander';
import { answer } from '../api-client.js';
import { numberArg, once } from '../arguments.js';
import { leaf, wantsJson, type Context } from '../command.js';
import { printEvents, show } from '../output.js';

export function registerEvents(program: Command, ctx: Context): void {
  leaf(program, 'events', 'the event log, newest first')
    .option('--user <user>', 'only this user (id, login or e-mail)')
    .option('--tenant <tenant>', 'only this tenant', once('tenant'))
    .option('--type <type>', 'only this event type, e.g. account.unlocked')
    .option('--limit <n>', 'at most this many events')
    .action(async (opts: { user?: string; tenant?: string; type?: string; limit?: string }, cmd: Command) => {
      const query = { user: opts.user, tenant: opts.tenant, type: opts.type, limit: numberArg(opts.limit) };
      const events = await answer(ctx.api().GET('/admin/v1/events', { params: { query } }));
      show(wantsJson(cmd), events, (list) => printEvents(list, true));
    });
}
