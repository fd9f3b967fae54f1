/**
 * `sesam members …`: a tenant's members, as its admin (after `sesam login`, in the tenant of that
 * sign-in) or the operator (any tenant, with --tenant) runs them; and the tenant's events.
 */
import type { Command } from 'commander';
import { answer, completed, type Schemas } from '../api-client.js';
import { numberArg, once, passwordArg } from '../arguments.js';
import { leaf, wantsJson, type Context } from '../command.js';
import { UsageError } from '../errors.js';
import { done, fields, out, printEvents, show, table, when, yesNo } from '../output.js';

type Member = Schemas['Member'];
const PASSWORD = "an initial password (changed at the next sign-in), or - to read it from standard input's first line";
const TENANT = 'the tenant (default: the one of sesam login)';

function memberState(m: Member): string {
  const states: string[] = [];
  if (m.disabled) states.push('disabled');
  if (m.locked) states.push(m.lockedUntil ? `locked until ${String(when(m.lockedUntil))}` : 'locked');
  if (m.mustChangePassword) states.push('must change password');
  if (!m.hasPassword) states.push('no password');
  return states.length ? states.join(', ') : 'active';
}

function printMember(m: Member): void {
  fields({ ...m, state: memberState(m), shared: yesNo(m.shared), phoneVerified: yesNo(m.phoneVerified), createdAt: when(m.createdAt), firstLoginAt: when(m.firstLoginAt) }, [
    'id',
    'login',
    'name',
    'email',
    'phone',
    'phoneVerified',
    'role',
    'state',
    'shared',
    'createdAt',
    'firstLoginAt',
  ]);
}

export function registerMembers(program: Command, ctx: Context): void {
  const members = program.command('members').description("a tenant's members, as its admin (sesam login) or the operator");
  /** The tenant a command acts in: --tenant, else the one chosen at `sesam login`. */
  const tenantOf = (opts: { tenant?: string }) => {
    const tenant = opts.tenant ?? ctx.signedInTenant();
    if (!tenant) throw new UsageError('which tenant? give --tenant <id> (or sign in with sesam login)');
    return tenant;
  };
  const path = (opts: { tenant?: string }, member: string) => ({ params: { path: { id: tenantOf(opts), member } } });
  const withTenant = (cmd: Command) => cmd.option('--tenant <id>', TENANT, once('tenant'));

  withTenant(leaf(members, 'list', "list or search the tenant's members"))
    .option('--search <text>', 'only members whose login, e-mail or name contains this')
    .option('--limit <n>', 'at most this many (1-200, default 50)')
    .option('--offset <n>', 'skip this many')
    .action(async (opts: { tenant?: string; search?: string; limit?: string; offset?: string }, cmd: Command) => {
      const page = await answer(
        ctx.api().GET('/admin/v1/tenants/{id}/members', {
          params: { path: { id: tenantOf(opts) }, query: { search: opts.search, limit: numberArg(opts.limit), offset: numberArg(opts.offset) } },
        }),
      );
      show(wantsJson(cmd), page, (p) => {
        table(['LOGIN', 'NAME', 'ROLE', 'STATE', 'SHARED'], p.members.map((m) => [m.login, m.name, m.role, memberState(m), m.shared ? 'yes' : '']));
        if (p.nextOffset !== null) out(`more: --offset ${p.nextOffset}`);
      });
    });

  withTenant(leaf(members, 'get <member>', 'show a member (id or login) and their second factors')).action(async (member: string, opts: { tenant?: string }, cmd: Command) => {
    show(wantsJson(cmd), await answer(ctx.api().GET('/admin/v1/tenants/{id}/members/{member}', path(opts, member))), (m) => {
      printMember(m);
      const f = m.secondFactors;
      out(`secondFactors: sms ${yesNo(f.sms)}, authenticator ${yesNo(f.totp)}, passkeys ${f.passkeys}, recovery codes ${f.recoveryCodesRemaining}, trusted devices ${f.trustedDevices}`);
    });
  });

  withTenant(leaf(members, 'create <login>', 'add a member: a new user with an initial password, or an existing login (which keeps its own)'))
    .requiredOption('--password <password>', PASSWORD)
    .option('--email <email>')
    .option('--name <name>')
    .option('--phone <phone>', 'a Belgian mobile number')
    .option('--admin', 'an admin of the tenant')
    .action(async (login: string, opts: { tenant?: string; password: string; email?: string; name?: string; phone?: string; admin?: boolean }, cmd: Command) => {
      const body = { login, password: passwordArg(opts.password), email: opts.email, name: opts.name, phone: opts.phone, role: opts.admin ? ('admin' as const) : ('member' as const) };
      const created = await answer(ctx.api().POST('/admin/v1/tenants/{id}/members', { params: { path: { id: tenantOf(opts) } }, body }));
      show(wantsJson(cmd), created, (c) =>
        out(c.created ? `created ${c.member.login}: the initial password must be changed at the first sign-in` : `${c.member.login} already had an account: it joined the tenant and keeps its own password`),
      );
    });

  const action = (name: string, summary: string, call: (opts: { tenant?: string }, member: string) => Promise<Member>, sentence: (m: Member) => string) =>
    withTenant(leaf(members, `${name} <member>`, summary)).action(async (member: string, opts: { tenant?: string }, cmd: Command) => {
      show(wantsJson(cmd), await call(opts, member), (m) => out(sentence(m)));
    });
  const post = (suffix: 'unlock' | 'reset-second-factors' | 'disable' | 'enable') => (opts: { tenant?: string }, member: string) =>
    answer(ctx.api().POST(`/admin/v1/tenants/{id}/members/{member}/${suffix}`, path(opts, member)));

  action('unlock', 'unlock a member locked by wrong passwords or codes', post('unlock'), (m) => `unlocked ${m.login}`);
  action('reset-2fa', "switch off a member's second factors (a lost phone); signs them out everywhere", post('reset-second-factors'), (m) => `second factors of ${m.login} switched off`);
  action('disable', 'disable a member (signs them out everywhere)', post('disable'), (m) => `disabled ${m.login}`);
  action('enable', 'enable a disabled member', post('enable'), (m) => `enabled ${m.login}`);

  withTenant(leaf(members, 'reset-password <member>', 'give a member an initial password (unlocks, signs out everywhere)'))
    .requiredOption('--password <password>', PASSWORD)
    .action(async (member: string, opts: { tenant?: string; password: string }, cmd: Command) => {
      const m = await answer(ctx.api().POST('/admin/v1/tenants/{id}/members/{member}/reset-password', { ...path(opts, member), body: { password: passwordArg(opts.password) } }));
      show(wantsJson(cmd), m, () => out(`${m.login} must change the new password at the next sign-in`));
    });

  withTenant(leaf(members, 'set-phone <member> <phone>', "replace a member's mobile number (proven by an SMS code at the next sign-in), or none to remove it")).action(
    async (member: string, phone: string, opts: { tenant?: string }, cmd: Command) => {
      const m = await answer(ctx.api().PUT('/admin/v1/tenants/{id}/members/{member}/phone', { ...path(opts, member), body: { phone: phone === 'none' ? null : phone } }));
      show(wantsJson(cmd), m, () => out(m.phone ? `${m.login}: ${m.phone} (not proven yet)` : `${m.login}: no phone number`));
    },
  );

  withTenant(leaf(members, 'set-role <member> <role>', 'make a member an admin of the tenant or a plain member (admin or member)')).action(
    async (member: string, role: string, opts: { tenant?: string }, cmd: Command) => {
      if (role !== 'admin' && role !== 'member') throw new UsageError('role: admin or member');
      const m = await answer(ctx.api().PUT('/admin/v1/tenants/{id}/members/{member}/role', { ...path(opts, member), body: { role } }));
      show(wantsJson(cmd), m, () => out(`${m.login} is now ${m.role === 'admin' ? 'an admin' : 'a member'}`));
    },
  );

  withTenant(leaf(members, 'remove <member>', 'take a member out of the tenant (the account stays; signed out everywhere)')).action(
    async (member: string, opts: { tenant?: string }, cmd: Command) => {
      await completed(ctx.api().DELETE('/admin/v1/tenants/{id}/members/{member}', path(opts, member)));
      done(wantsJson(cmd), { removed: member, tenant: tenantOf(opts) }, `removed ${member} from ${tenantOf(opts)}`);
    },
  );

  withTenant(leaf(members, 'events', "the tenant's sign-in events and admin actions, newest first"))
    .option('--limit <n>', 'at most this many (1-200, default 50)')
    .option('--before <cursor>', 'the next page: the cursor printed under the previous one')
    .action(async (opts: { tenant?: string; limit?: string; before?: string }, cmd: Command) => {
      const page = await answer(ctx.api().GET('/admin/v1/tenants/{id}/events', { params: { path: { id: tenantOf(opts) }, query: { limit: numberArg(opts.limit), before: opts.before } } }));
      show(wantsJson(cmd), page, (p) => {
        printEvents(p.events, true);
        if (p.next) out(`more: --before ${p.next}`);
      });
    });

  withTenant(leaf(members, 'audit', "the tenant's audit trail: who changed what, newest first"))
    .option('--limit <n>', 'at most this many (1-200, default 50)')
    .option('--before <cursor>', 'the next page: the cursor printed under the previous one')
    .action(async (opts: { tenant?: string; limit?: string; before?: string }, cmd: Command) => {
      const page = await answer(ctx.api().GET('/admin/v1/tenants/{id}/audit', { params: { path: { id: tenantOf(opts) }, query: { limit: numberArg(opts.limit), before: opts.before } } }));
      show(wantsJson(cmd), page, (p) => {
        table(
          ['AT', 'TYPE', 'BY', 'TARGET', 'IP'],
          p.events.map((e) => [when(e.at), e.type, e.actorType === 'tenant_admin' ? `admin ${e.actorUserId}` : `operator ${e.clientId}`, e.targetId ? `${e.targetType} ${e.targetId}` : e.targetType, e.ip]),
        );
        if (p.next) out(`more: --before ${p.next}`);
      });
    });
}
