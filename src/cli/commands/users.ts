/** `sesam users …`: users, their sign-in state, second factors, devices, passkeys and identities at upstream providers. */
import type { Command } from 'commander';
import { answer, byId, completed } from '../api-client.js';
import { collect, numberArg, once, passwordArg, tenantArgs } from '../arguments.js';
import { leaf, wantsJson, type Context } from '../command.js';
import { done, fields, memberships, out, printEvents, show, table, userState, when, yesNo } from '../output.js';

const USER = '<id|login|email>';
const PASSWORD = "an initial password (changed at the next sign-in), or - to read it from standard input's first line";

export function registerUsers(program: Command, ctx: Context): void {
  const users = program.command('users').description('users, their sign-in state, second factors, devices, passkeys and linked identities');
  const api = () => ctx.api();

  leaf(users, 'list', 'list users')
    .option('--tenant <tenant>', 'only members of this tenant', once('tenant'))
    .option('--limit <n>', 'at most this many users')
    .option('--offset <n>', 'skip this many users first')
    .action(async (opts: { tenant?: string; limit?: string; offset?: string }, cmd: Command) => {
      const query = { tenant: opts.tenant, limit: numberArg(opts.limit), offset: numberArg(opts.offset) };
      const list = await answer(api().GET('/admin/v1/users', { params: { query } }));
      show(wantsJson(cmd), list, () => table(['ID', 'LOGIN', 'EMAIL', 'TENANTS', 'STATE'], list.map((u) => [u.id, u.login, u.email, memberships(u), userState(u)])));
    });

  leaf(users, `get ${USER}`, 'show a user').action(async (user: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(api().GET('/admin/v1/users/{id}', byId(user))), (u) =>
      fields({ ...u, tenants: memberships(u), state: userState(u), createdAt: when(u.createdAt), passwordChangedAt: when(u.passwordChangedAt) }, [
        'id',
        'login',
        'email',
        'name',
        'phone',
        'locale',
        'tenants',
        'state',
        'failedAttempts',
        'passwordChangedAt',
        'createdAt',
      ]),
    );
  });

  leaf(users, 'create <login>', 'create a user; a password is initial: it must be changed at the first sign-in')
    .option('--email <email>', 'their e-mail address')
    .option('--password <password>', PASSWORD)
    .option('--phone <phone>', 'their mobile number, for SMS codes')
    .option('--name <name>', 'their name')
    .option('--tenant <tenant[:admin]>', 'a tenant they belong to, as admin with :admin (repeatable)', collect)
    .action(async (login: string, opts: { email?: string; password?: string; phone?: string; name?: string; tenant?: string[] }, cmd: Command) => {
      const body = {
        login,
        ...(opts.email ? { email: opts.email } : {}),
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.phone ? { phone: opts.phone } : {}),
        ...(opts.password ? { password: passwordArg(opts.password) } : {}),
        tenants: tenantArgs(opts.tenant),
      };
      const u = await answer(api().POST('/admin/v1/users', { body }));
      show(wantsJson(cmd), u, () => out(`created user ${u.login} (${u.id})`));
    });

  leaf(users, `unlock ${USER}`, 'unlock a locked user').action(async (user: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(api().POST('/admin/v1/users/{id}/unlock', byId(user))), (u) => out(`unlocked user ${u.login}`));
  });

  leaf(users, `reset-password ${USER}`, 'set an initial password (to be changed at the next sign-in) and unlock')
    .requiredOption('--password <password>', PASSWORD)
    .action(async (user: string, opts: { password: string }, cmd: Command) => {
      show(wantsJson(cmd), await answer(api().POST('/admin/v1/users/{id}/reset-password', { ...byId(user), body: { password: passwordArg(opts.password) } })), (u) =>
        out(`set an initial password for ${u.login}: they must change it at the next sign-in`),
      );
    });

  leaf(users, `delete ${USER}`, 'delete a user').action(async (user: string, _opts: object, cmd: Command) => {
    await completed(api().DELETE('/admin/v1/users/{id}', byId(user)));
    done(wantsJson(cmd), { deleted: 'user', id: user }, `deleted user ${user}`);
  });

  leaf(users, `events ${USER}`, "a user's events, newest first")
    .option('--type <type>', 'only this event type, e.g. account.unlocked')
    .option('--limit <n>', 'at most this many events')
    .action(async (user: string, opts: { type?: string; limit?: string }, cmd: Command) => {
      show(wantsJson(cmd), await answer(api().GET('/admin/v1/users/{id}/events', { params: { path: { id: user }, query: { type: opts.type, limit: numberArg(opts.limit) } } })), (events) => printEvents(events, false));
    });

  leaf(users, `second-factors ${USER}`, "show a user's second factors (SMS, authenticator app, recovery codes, passkeys, trusted devices)").action(
    async (user: string, _opts: object, cmd: Command) => {
      show(wantsJson(cmd), await answer(api().GET('/admin/v1/users/{id}/second-factors', byId(user))), (s) =>
        fields({ sms: yesNo(s.sms), totp: yesNo(s.totp), recoveryCodes: `${s.recoveryCodesRemaining} left`, passkeys: s.passkeys, trustedDevices: s.trustedDevices }, [
          'sms',
          'totp',
          'recoveryCodes',
          'passkeys',
          'trustedDevices',
        ]),
      );
    },
  );

  leaf(users, `reset-2fa ${USER}`, "switch a user's second factors off (lost phone): app, recovery codes, passkeys, phone proof, trusted devices").action(
    async (user: string, _opts: object, cmd: Command) => {
      await completed(api().DELETE('/admin/v1/users/{id}/second-factors', byId(user)));
      done(wantsJson(cmd), { reset: 'second-factors', user }, `reset the second factors of ${user}: they sign in with their password and enrol again`);
    },
  );

  leaf(users, `devices ${USER}`, "a user's trusted devices (browsers that skip the second factor), newest first").action(
    async (user: string, _opts: object, cmd: Command) => {
      show(wantsJson(cmd), await answer(api().GET('/admin/v1/users/{id}/devices', byId(user))), (devices) =>
        table(
          ['ID', 'CREATED', 'LAST_USED', 'EXPIRES', 'IP', 'USER_AGENT'],
          devices.map((d) => [d.id, when(d.createdAt), when(d.lastUsedAt), when(d.expiresAt), d.ip, d.userAgent]),
        ),
      );
    },
  );

  leaf(users, `revoke-device ${USER} <device_id>`, 'revoke a trusted device: it must pass the second factor again').action(
    async (user: string, id: string, _opts: object, cmd: Command) => {
      await completed(api().DELETE('/admin/v1/users/{id}/devices/{deviceId}', { params: { path: { id: user, deviceId: id } } }));
      done(wantsJson(cmd), { revoked: 'device', user, id }, `revoked device ${id} of ${user}`);
    },
  );

  leaf(users, `passkeys ${USER}`, "a user's passkeys, newest first (FLAGGED: a cloned key was detected, it no longer signs in)").action(
    async (user: string, _opts: object, cmd: Command) => {
      show(wantsJson(cmd), await answer(api().GET('/admin/v1/users/{id}/passkeys', byId(user))), (passkeys) =>
        table(
          ['ID', 'NAME', 'AUTHENTICATOR', 'SYNCED', 'CREATED', 'LAST_USED', 'STATE'],
          passkeys.map((p) => [p.id, p.name, p.authenticator ?? p.aaguid, yesNo(p.synced), when(p.createdAt), when(p.lastUsedAt), p.flagged ? 'FLAGGED' : 'active']),
        ),
      );
    },
  );

  leaf(users, `rename-passkey ${USER} <passkey_id> <name>`, 'rename a passkey (1-100 characters)').action(
    async (user: string, id: string, name: string, _opts: object, cmd: Command) => {
      show(wantsJson(cmd), await answer(api().PATCH('/admin/v1/users/{id}/passkeys/{passkeyId}', { params: { path: { id: user, passkeyId: id } }, body: { name } })), (p) => out(`renamed passkey ${p.id} of ${user} to "${p.name}"`));
    },
  );

  leaf(users, `delete-passkey ${USER} <passkey_id>`, 'remove a passkey: it no longer signs in').action(
    async (user: string, id: string, _opts: object, cmd: Command) => {
      await completed(api().DELETE('/admin/v1/users/{id}/passkeys/{passkeyId}', { params: { path: { id: user, passkeyId: id } } }));
      done(wantsJson(cmd), { deleted: 'passkey', user, id }, `deleted passkey ${id} of ${user}`);
    },
  );

  leaf(users, `identities ${USER}`, "a user's identities at upstream providers (Google, itsme…), oldest first").action(async (user: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(api().GET('/admin/v1/users/{id}/identities', byId(user))), (identities) =>
      table(
        ['PROVIDER', 'SUBJECT', 'EMAIL', 'LINKED', 'LAST_USED'],
        identities.map((i) => [i.providerId, i.subject, i.email, when(i.createdAt), when(i.lastUsedAt)]),
      ),
    );
  });

  leaf(users, `unlink ${USER} <provider>`, "unlink a user's identity at an upstream provider; their sessions end").action(
    async (user: string, provider: string, _opts: object, cmd: Command) => {
      await completed(api().DELETE('/admin/v1/users/{id}/identities/{provider}', { params: { path: { id: user, provider } } }));
      done(wantsJson(cmd), { unlinked: 'identity', user, provider }, `unlinked the ${provider} identity of ${user}: they no longer sign in through it`);
    },
  );

  leaf(users, `recovery-codes ${USER}`, 'issue new recovery codes (the earlier ones stop working); shown once').action(
    async (user: string, _opts: object, cmd: Command) => {
      show(wantsJson(cmd), await answer(api().POST('/admin/v1/users/{id}/recovery-codes', byId(user))), (r) => {
        out(`new recovery codes for ${user} (shown this once; the earlier ones no longer work):`);
        for (const code of r.codes) out(`  ${code}`);
      });
    },
  );
}
