/** `sesam clients …`: the client apps. */
import type { Command } from 'commander';
import { answer, byId, completed, type Schemas } from '../api-client.js';
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
  const api = () => ctx.api();

  leaf(clients, 'list', 'list client apps').action(async (_opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(api().GET('/admin/v1/clients')), (list) =>
      table(
        ['CLIENT_ID', 'NAME', 'AUTH', 'GRANTS', 'TENANTS', 'FIRST_PARTY'],
        list.map((c) => [c.client_id, c.client_name, c.token_endpoint_auth_method, c.grant_types, c.tenants ?? 'all', c.first_party ? 'yes' : 'no']),
      ),
    );
  });

  leaf(clients, 'get <client_id>', 'show a client app (never its secret)').action(async (id: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(api().GET('/admin/v1/clients/{id}', byId(id))), (c) => fields({ ...c, tenants: c.tenants ?? 'all' }, Object.keys({ ...c, tenants: null })));
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
      // The grant types, auth method, application type and notice go as the operator wrote them:
      // the server checks them against the very schema these types come from, and names a wrong one.
      const body: Schemas['ClientInput'] = {
        client_id: clientId,
        redirect_uris: opts.redirectUri ?? [],
        ...(opts.postLogoutRedirectUri ? { post_logout_redirect_uris: opts.postLogoutRedirectUri } : {}),
        ...(opts.grantType ? { grant_types: opts.grantType as Schemas['ClientInput']['grant_types'] } : {}),
        ...(opts.tenant ? { tenants: opts.tenant } : {}),
        ...(opts.secret ? { client_secret: opts.secret } : {}),
        ...(opts.authMethod ? { token_endpoint_auth_method: opts.authMethod as Schemas['ClientInput']['token_endpoint_auth_method'] } : {}),
        ...(opts.firstParty ? { first_party: true } : {}),
        ...(opts.name ? { client_name: opts.name } : {}),
        ...(opts.scope ? { scope: opts.scope } : {}),
        ...(opts.applicationType ? { application_type: opts.applicationType as Schemas['ClientInput']['application_type'] } : {}),
        ...(opts.notice ? { notice: jsonArg('--notice', opts.notice) as Schemas['Notice'] } : {}),
      };
      const c = await answer(api().POST('/admin/v1/clients', { body }));
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
    const c =
      json === 'none'
        ? await answer(api().DELETE('/admin/v1/clients/{id}/notice', byId(id)))
        : // The notice as the operator wrote it: the server checks it and names a wrong key.
          await answer(api().PUT('/admin/v1/clients/{id}/notice', { ...byId(id), body: jsonArg('notice', json) as Schemas['Notice'] }));
    show(wantsJson(cmd), c, () => out(c.notice ? `set the notice of client ${c.client_id}` : `removed the notice of client ${c.client_id}`));
  });

  leaf(clients, 'delete <client_id>', 'delete a client app').action(async (id: string, _opts: object, cmd: Command) => {
    await completed(api().DELETE('/admin/v1/clients/{id}', byId(id)));
    done(wantsJson(cmd), { deleted: 'client', id }, `deleted client ${id}`);
  });

  leaf(clients, 'rotate-secret <client_id>', "give a confidential client a new secret (shown once); the old one stops working").action(
    async (id: string, _opts: object, cmd: Command) => {
      const c = await answer(api().POST('/admin/v1/clients/{id}/rotate-secret', byId(id)));
      show(wantsJson(cmd), c, () => {
        out(`rotated the secret of client ${c.client_id}`);
        out(`client_secret: ${c.client_secret}   (shown this once: keep it now)`);
      });
    },
  );

  const tokens = clients.command('initial-token').description('initial access tokens for dynamic client registration (RFC 7591; DYNAMIC_REGISTRATION=initial-access-token)');

  leaf(tokens, 'create', 'mint an initial access token an app registers itself with (shown once)')
    .option('--expires-in <seconds>', 'seconds until it expires (60 to 2592000; default a day)')
    .option('--max-clients <n>', 'how many clients it may register (1-1000; default 1)')
    .option('--tenant <id>', 'a tenant the clients it registers serve (repeat; default every tenant)', collect)
    .action(async (opts: { expiresIn?: string; maxClients?: string; tenant?: string[] }, cmd: Command) => {
      // Only what was given: the server fills in its defaults.
      const body = {
        ...(opts.expiresIn === undefined ? {} : { expiresIn: Number(opts.expiresIn) }),
        ...(opts.maxClients === undefined ? {} : { maxClients: Number(opts.maxClients) }),
        ...(opts.tenant ? { tenants: opts.tenant } : {}),
      } as Schemas['InitialAccessTokenInput'];
      const t = await answer(api().POST('/admin/v1/initial-access-tokens', { body }));
      show(wantsJson(cmd), t, () => {
        fields({ ...t, tenants: t.tenants ?? 'every tenant' }, ['id', 'expiresAt', 'maxClients', 'tenants', 'registrationEndpoint']);
        out(`token: ${t.token}   (shown this once: give it to the app, which sends it as Bearer to the registration endpoint)`);
      });
    });

  leaf(tokens, 'get <id>', 'show an initial access token (not its value): expiry, clients registered with it').action(async (id: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(api().GET('/admin/v1/initial-access-tokens/{id}', byId(id))), (t) =>
      fields({ ...t, tenants: t.tenants ?? 'every tenant' }, ['id', 'expiresAt', 'maxClients', 'used', 'tenants']),
    );
  });

  leaf(tokens, 'revoke <id>', 'revoke an initial access token: it registers no more clients').action(async (id: string, _opts: object, cmd: Command) => {
    await completed(api().DELETE('/admin/v1/initial-access-tokens/{id}', byId(id)));
    done(wantsJson(cmd), { revoked: 'initial-access-token', id }, `revoked initial access token ${id}`);
  });
}
