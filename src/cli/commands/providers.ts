/** `sesam providers …`: the upstream identity providers users sign in with (Google, itsme, any OpenID provider). */
import type { Command } from 'commander';
import { answer, byId, completed, type Schemas } from '../api-client.js';
import { collect, jsonArg, jsonFileArg, once, stdinArg } from '../arguments.js';
import { leaf, wantsJson, type Context } from '../command.js';
import { UsageError } from '../errors.js';
import { done, fields, out, show, table, when, yesNo } from '../output.js';

type Provider = Schemas['UpstreamProvider'];
type ProviderInput = Schemas['UpstreamProviderInput'];

interface PutOptions {
  preset?: string;
  issuer?: string;
  clientId: string;
  clientSecret?: string;
  privateKeyFile?: string;
  authMethod?: string;
  requestObject?: boolean;
  scope?: string[];
  acrValues?: string;
  subjectClaim?: string;
  trusted?: boolean;
  label?: string;
  icon?: string;
  tenant?: string[];
  client?: string[];
  authoritativeDomain?: string[];
  disabled?: boolean;
}

const secrets = (p: Provider) => [p.hasClientSecret ? 'client secret' : '', p.privateKey ? `key ${p.privateKey.kty} ${p.privateKey.kid}` : ''].filter(Boolean).join(', ') || 'none';

/** A private JWK from a file: the key itself, or a JWK Set of exactly one key. */
function privateKeyFile(file: string): Record<string, unknown> {
  const content = jsonFileArg('--private-key-file', file);
  const keys = content && typeof content === 'object' && 'keys' in content && Array.isArray(content.keys) ? (content.keys as unknown[]) : [content];
  const [key] = keys;
  if (keys.length !== 1 || !key || typeof key !== 'object' || Array.isArray(key)) throw new UsageError(`--private-key-file ${file}: expected one JWK (or a JWK Set of one key)`);
  return key as Record<string, unknown>;
}

export function registerProviders(program: Command, ctx: Context): void {
  const providers = program.command('providers').description('upstream identity providers users sign in with (Google, itsme, any OpenID provider)');
  const api = () => ctx.api();

  leaf(providers, 'list', 'list upstream identity providers').action(async (_opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(api().GET('/admin/v1/providers')), (list) =>
      table(
        ['ID', 'PRESET', 'ISSUER', 'AUTH', 'TRUSTED_2FA', 'TENANTS', 'CLIENTS', 'ENABLED'],
        list.map((p) => [p.id, p.preset, p.issuer, p.tokenEndpointAuthMethod, yesNo(p.trustedForTwoFactors), p.tenants ?? 'all', p.clients ?? 'all', yesNo(p.enabled)]),
      ),
    );
  });

  leaf(providers, 'get <id>', 'show an upstream identity provider (never its secrets: only whether they are set)').action(async (id: string, _opts: object, cmd: Command) => {
    show(wantsJson(cmd), await answer(api().GET('/admin/v1/providers/{id}', byId(id))), (p) =>
      fields({ ...p, tenants: p.tenants ?? 'all', clients: p.clients ?? 'all', secrets: secrets(p), createdAt: when(p.createdAt), updatedAt: when(p.updatedAt) }, [
        'id',
        'preset',
        'issuer',
        'clientId',
        'tokenEndpointAuthMethod',
        'requestObject',
        'scopes',
        'acrValues',
        'subjectClaim',
        'trustedForTwoFactors',
        'label',
        'icon',
        'tenants',
        'clients',
        'authoritativeDomains',
        'enabled',
        'secrets',
        'createdAt',
        'updatedAt',
      ]),
    );
  });

  leaf(providers, 'put <id>', 'configure or replace an upstream identity provider; a secret not given again is kept')
    .requiredOption('--client-id <client_id>', 'the client id Sesam has at the provider')
    .option('--preset <preset>', 'google, itsme or generic (default): fills in what is not given', once('preset'))
    .option('--issuer <url>', "the provider's issuer (https; given by the google and itsme presets)")
    .option('--client-secret <secret>', "the client secret, or - to read it from standard input's first line")
    .option('--private-key-file <path.jwk.json>', 'a private RSA or EC JWK (or a JWK Set of one) for private_key_jwt and signed request objects')
    .option('--auth-method <method>', 'client_secret_basic, client_secret_post or private_key_jwt')
    .option('--request-object', 'send the authorization request as a signed request object (itsme)')
    .option('--no-request-object', 'send a plain authorization request')
    .option('--scope <scope>', 'a scope to ask for (repeatable; itsme also wants service:<SERVICE_CODE>)', collect)
    .option('--acr-values <acr>', 'acr_values sent upstream, e.g. http://itsme.net/loa/advanced ("" for none)')
    .option('--subject-claim <claim>', 'the claim naming the user at the provider (default sub)')
    .option('--trusted', "count the provider's sign-in as two factors (an eID such as itsme)")
    .option('--no-trusted', "do not count the provider's sign-in as two factors")
    .option('--label <json>', 'the button\'s label per language, e.g. \'{"fr":"Connexion Acme","en":"Acme sign-in"}\'')
    .option('--icon <icon>', 'google, itsme or none')
    .option('--tenant <tenant>', 'show it to this tenant (repeatable; every tenant when none)', collect)
    .option('--client <client_id>', 'show it on this client app (repeatable; every app when none)', collect)
    .option('--authoritative-domain <domain>', 'an e-mail domain whose verified addresses link silently (repeatable)', collect)
    .option('--disabled', 'configure it without showing it yet')
    .action(async (id: string, opts: PutOptions, cmd: Command) => {
      // Enumerated values go as the operator wrote them: the server checks them and names a wrong one.
      const body: ProviderInput = {
        kind: 'oidc',
        preset: (opts.preset ?? 'generic') as ProviderInput['preset'],
        clientId: opts.clientId,
        ...(opts.issuer ? { issuer: opts.issuer } : {}),
        ...(opts.clientSecret ? { clientSecret: stdinArg('--client-secret', opts.clientSecret) } : {}),
        ...(opts.privateKeyFile ? { privateKeyJwk: privateKeyFile(opts.privateKeyFile) } : {}),
        ...(opts.authMethod ? { tokenEndpointAuthMethod: opts.authMethod as ProviderInput['tokenEndpointAuthMethod'] } : {}),
        ...(opts.requestObject !== undefined ? { requestObject: opts.requestObject } : {}),
        ...(opts.scope ? { scopes: opts.scope } : {}),
        ...(opts.acrValues !== undefined ? { acrValues: opts.acrValues } : {}),
        ...(opts.subjectClaim ? { subjectClaim: opts.subjectClaim } : {}),
        ...(opts.trusted !== undefined ? { trustedForTwoFactors: opts.trusted } : {}),
        ...(opts.label ? { label: jsonArg('--label', opts.label) as ProviderInput['label'] } : {}),
        ...(opts.icon ? { icon: opts.icon as ProviderInput['icon'] } : {}),
        ...(opts.tenant ? { tenants: opts.tenant } : {}),
        ...(opts.client ? { clients: opts.client } : {}),
        ...(opts.authoritativeDomain ? { authoritativeDomains: opts.authoritativeDomain } : {}),
        ...(opts.disabled ? { enabled: false } : {}),
      };
      const call = api().PUT('/admin/v1/providers/{id}', { ...byId(id), body });
      const p = await answer(call);
      const created = (await call).response.status === 201;
      show(wantsJson(cmd), p, () => out(`${created ? 'created' : 'replaced'} provider ${p.id} (${p.preset}, ${p.issuer}, ${p.tokenEndpointAuthMethod}; secrets: ${secrets(p)})`));
    });

  leaf(providers, 'delete <id>', 'delete an upstream identity provider; the identities linked through it are unlinked').action(async (id: string, _opts: object, cmd: Command) => {
    await completed(api().DELETE('/admin/v1/providers/{id}', byId(id)));
    done(wantsJson(cmd), { deleted: 'provider', id }, `deleted provider ${id}`);
  });
}
