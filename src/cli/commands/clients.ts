/** `sesam clients …`: the client apps. */
import type { Command } from 'commander';
import { collect, jsonArg } from '../arguments.js';
import { leaf, wantsJson, type Context } from '../command.js';
import { done, fields, out, show, table } from '../output.js';

interface CreateOptions {
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  grantType?: string[];
  tenant?: string[];
  secret?: string;
  authMethod?: string;
  firstParty?: boolean;
  name?: string;
  scope?: string;
  applicationType?: string;
  notice?: string;
}

export function registerClients(program: Command, ctx: Context): void {
  const clients = program.command('clients').description('client apps');
  const api = () => ctx.api().clients;

  leaf(clients, 'list', 'list client apps').action(async (_opts: object, cmd: Command) => {
    show(wantsJson(cmd), await api().list(), (list) =>
      table(
        ['CLIENT_ID', 'NAME', 'AUTH', 'GRANTS', 'TENANTS', 'FIRST_PARTY'],
        list.map((c) => [c.client_id, c.client_name, c.token_endpoint_auth_method, c.grant_types, c.tenants ?? 'all', c.first_party ? 'yes' : 'no']),
      ),
    );
  });

  leaf(clients, 'get <client_id>', 'show a client app (never its secret)').action(async (id: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await api().get(id), (c) => fields({ ...c, tenants: c.tenants ?? 'all' }, Object.keys({ ...c, tenants: null })));
  });

  leaf(clients, 'create <client_id>', 'register a client app; a generated secret is shown once')
    .option('--redirect-uri <uri>', 'where sign-ins return (repeatable)', collect)
    .option('--post-logout-redirect-uri <uri>', 'where sign-outs may return (repeatable)', collect)
    .option('--grant-type <grant>', 'a grant type, e.g. authorization_code, refresh_token, client_credentials (repeatable)', collect)
    .option('--tenant <tenant>', 'limit the app to this tenant (repeatable; all tenants when none)', collect)
    .option('--secret <secret>', 'its client secret (generated when needed and not given)')
    .option('--auth-method <method>', 'token_endpoint_auth_method, e.g. client_secret_basic, none')
    .option('--first-party', 'an app of the operator: no consent screen')
    .option('--name <name>', 'the name shown to users')
    .option('--scope <scope>', 'the scopes it may ask for, space-separated')
    .option('--application-type <type>', 'web or native')
    .option('--notice <json>', 'a notice beside its sign-in, per language, e.g. \'{"en":"Beware of scams!"}\'')
    .action(async (clientId: string, opts: CreateOptions, cmd: Command) => {
      const c = await api().create({
        client_id: clientId,
        redirect_uris: opts.redirectUri ?? [],
        ...(opts.postLogoutRedirectUri ? { post_logout_redirect_uris: opts.postLogoutRedirectUri } : {}),
        ...(opts.grantType ? { grant_types: opts.grantType } : {}),
        ...(opts.tenant ? { tenants: opts.tenant } : {}),
        ...(opts.secret ? { client_secret: opts.secret } : {}),
        ...(opts.authMethod ? { token_endpoint_auth_method: opts.authMethod } : {}),
        ...(opts.firstParty ? { first_party: true as const } : {}),
        ...(opts.name ? { client_name: opts.name } : {}),
        ...(opts.scope ? { scope: opts.scope } : {}),
        ...(opts.applicationType ? { application_type: opts.applicationType } : {}),
        ...(opts.notice ? { notice: jsonArg('--notice', opts.notice) } : {}),
      });
      show(wantsJson(cmd), c, () => {
        out(`created client ${c.client_id} (${c.token_endpoint_auth_method === 'none' ? 'public, PKCE' : String(c.token_endpoint_auth_method)})`);
        if (c.client_secret) out(`client_secret: ${c.client_secret}   (shown this once: keep it now)`);
      });
    });

  leaf(
    clients,
    'set-notice <client_id> <json>',
    'set the notice shown beside the sign-in to an app (per language), or remove it with none, e.g. \'{"fr":"Attention aux arnaques !","en":"Beware of scams!"}\'',
  ).action(async (id: string, json: string, _opts: object, cmd: Command) => {
    const c = json === 'none' ? await api().removeNotice(id) : await api().setNotice(id, jsonArg('notice', json));
    show(wantsJson(cmd), c, () => out(c.notice ? `set the notice of client ${c.client_id}` : `removed the notice of client ${c.client_id}`));
  });

  leaf(clients, 'delete <client_id>', 'delete a client app').action(async (id: string, _opts: object, cmd: Command) => {
    await api().delete(id);
    done(wantsJson(cmd), { deleted: 'client', id }, `deleted client ${id}`);
  });
}
