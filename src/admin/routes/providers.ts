/**
 * Upstream identity providers (issue 12) and the identities linked at them. Secrets go in (a
 * client secret, a private JWK) and never come out: an answer says whether they are set.
 */
import { z } from '../zod-openapi.js';
import { PROVIDER_PRESETS, UPSTREAM_AUTH_METHODS, upstreamProviderInputSchema } from '../../model/upstream-provider.js';
import { providerView } from '../../domain/upstream-providers.js';
import { notFound } from '../errors.js';
import { route, type AdminRoute } from '../route-types.js';
import { dateTime, nullableDateTime, providerIdParam, userIdParam } from './common.js';

const label = z
  .object({ fr: z.string().optional(), nl: z.string().optional(), de: z.string().optional(), en: z.string().optional() })
  .openapi({ description: "The button's label per language" });

const providerSchema = z
  .object({
    id: z.string(),
    kind: z.literal('oidc'),
    preset: z.enum(PROVIDER_PRESETS),
    issuer: z.string().openapi({ format: 'uri' }),
    clientId: z.string(),
    tokenEndpointAuthMethod: z.enum(UPSTREAM_AUTH_METHODS),
    requestObject: z.boolean().openapi({ description: 'The authorization request goes as a signed request object (RFC 9101)' }),
    scopes: z.array(z.string()),
    acrValues: z.string().optional().openapi({ description: '`acr_values` sent upstream' }),
    subjectClaim: z.string().openapi({ description: 'The claim naming the user at the provider' }),
    trustedForTwoFactors: z.boolean().openapi({ description: "The provider's sign-in counts as two factors" }),
    label,
    icon: z.enum(['google', 'itsme', 'none']),
    tenants: z.array(z.string()).nullable().openapi({ description: 'Tenants whose sign-ins show it; null: every tenant' }),
    clients: z.array(z.string()).nullable().openapi({ description: 'Client apps whose sign-ins show it; null: every app' }),
    authoritativeDomains: z.array(z.string()).openapi({ description: 'E-mail domains whose verified addresses link silently to the account with that address' }),
    enabled: z.boolean(),
    hasClientSecret: z.boolean().openapi({ description: 'A client secret is set (never shown)' }),
    hasPrivateKey: z.boolean().openapi({ description: 'A private key is set (never shown)' }),
    privateKey: z
      .object({ kid: z.string(), kty: z.string() })
      .nullable()
      .openapi({ description: "The private key's `kid` (its RFC 7638 thumbprint when it had none) and `kty`; null without one" }),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .openapi('UpstreamProvider', { description: 'An upstream identity provider, without its secrets' });

const providerReplace = upstreamProviderInputSchema.partial({ id: true }).meta({
  id: 'UpstreamProviderInput',
  description:
    'An upstream provider. `id`, when given, must match the path. The `preset` (google, itsme, generic) fills in what is not given: google ' +
    '(issuer https://accounts.google.com, client_secret_basic, not trusted for two factors), itsme (issuer https://idp.prd.itsme.services/v2, ' +
    'the test one is https://idp.e2e.itsme.services/v2; private_key_jwt, signed request objects, acr_values http://itsme.net/loa/substantial, trusted ' +
    'for two factors; add the scope `service:<SERVICE_CODE>` to `scopes`), generic (an issuer to give; client_secret_basic). `clientSecret` is required ' +
    'for client_secret_basic and client_secret_post, `privateKeyJwk` (a private RSA or EC JWK) for private_key_jwt or requestObject; a secret not given ' +
    'again is kept while the configuration uses it. The issuer must be https (http only on loopback). `acrValues` "" sends none.',
});

const identitySchema = z
  .object({
    providerId: z.string(),
    subject: z.string().openapi({ description: "The user's identifier at the provider" }),
    userId: z.string().openapi({ format: 'uuid' }),
    email: z.string().nullable().openapi({ description: 'The e-mail the provider gave at the last sign-in' }),
    createdAt: dateTime,
    lastUsedAt: nullableDateTime('The last sign-in through it'),
  })
  .openapi('FederatedIdentity', { description: "An identity at an upstream provider, linked to a user's account" });

const params = z.object({ id: providerIdParam });
const location = (id: string) => `/providers/${encodeURIComponent(id)}`;

export const providerRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/providers',
    operationId: 'listProviders',
    summary: 'List upstream identity providers',
    tags: ['providers'],
    scope: 'admin',
    answers: { 200: { description: 'Providers, by id', schema: z.array(providerSchema) } },
    handle: async ({ deps }) => ({ body: (await deps.upstreamProviders.list()).map(providerView) }),
  }),
  route({
    method: 'get',
    path: '/providers/:id',
    operationId: 'getProvider',
    summary: 'Get an upstream identity provider',
    tags: ['providers'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'The provider', schema: providerSchema } },
    errors: [404],
    handle: async ({ params: p, deps }) => {
      const provider = await deps.upstreamProviders.find(p.id);
      if (!provider) throw notFound(`provider ${p.id} does not exist`);
      return { body: providerView(provider) };
    },
  }),
  route({
    method: 'put',
    path: '/providers/:id',
    operationId: 'putProvider',
    summary: 'Configure or replace an upstream identity provider',
    description: 'The tenants and client apps it names must exist (404 otherwise). Records `admin.provider_created` or `admin.provider_updated`, never a secret.',
    tags: ['providers'],
    scope: 'admin',
    audit: ['admin.provider_created', 'admin.provider_updated'],
    params,
    body: { schema: providerReplace, object: true, fromPath: { field: 'id', param: 'id' } },
    answers: {
      200: { description: 'Replaced', schema: providerSchema },
      201: { description: 'Created', schema: providerSchema, location: true },
    },
    errors: [400, 413, 415, 404],
    handle: async ({ params: p, body, actor, deps }) => {
      const { provider, created } = await deps.upstreamProviders.put({ ...body, id: p.id }, actor);
      const view = providerView(provider);
      return created ? { status: 201, location: location(provider.id), body: view } : { body: view };
    },
  }),
  route({
    method: 'delete',
    path: '/providers/:id',
    operationId: 'deleteProvider',
    summary: 'Delete an upstream identity provider',
    description: 'The identities linked through it are unlinked (the accounts stay).',
    tags: ['providers'],
    scope: 'admin',
    audit: ['admin.provider_deleted'],
    params,
    answers: { 204: { description: 'Deleted' } },
    errors: [404],
    handle: async ({ params: p, actor, deps }) => {
      await deps.upstreamProviders.delete(p.id, actor);
      return { status: 204 };
    },
  }),
  route({
    method: 'get',
    path: '/users/:id/identities',
    operationId: 'listUserIdentities',
    summary: "A user's identities at upstream providers",
    tags: ['users', 'providers'],
    scope: 'admin',
    params: z.object({ id: userIdParam }),
    answers: { 200: { description: 'Linked identities, oldest first', schema: z.array(identitySchema) } },
    errors: [404],
    handle: async ({ params: p, deps }) => ({ body: await deps.federatedIdentities.listFor(p.id) }),
  }),
  route({
    method: 'delete',
    path: '/users/:id/identities/:provider',
    operationId: 'deleteUserIdentity',
    summary: "Unlink a user's identity at an upstream provider",
    description:
      'The user no longer signs in through it; like a credential reset, every session of the user ends and every grant is revoked. ' +
      'Records `admin.identity_unlinked` and `account.sessions_ended`.',
    tags: ['users', 'providers'],
    scope: 'admin',
    audit: ['admin.identity_unlinked'],
    params: z.object({ id: userIdParam, provider: z.string().openapi({ param: { name: 'provider', in: 'path', description: 'Upstream provider id' } }) }),
    answers: { 204: { description: 'Unlinked' } },
    errors: [404],
    handle: async ({ params: p, actor, deps }) => {
      await deps.federatedIdentities.unlink(p.id, p.provider, actor);
      return { status: 204 };
    },
  }),
];
