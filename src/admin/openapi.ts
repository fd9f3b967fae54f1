/**
 * The OpenAPI 3.1 description of the admin API, served at `GET /admin/openapi.json`, generated
 * (zod-to-openapi) from the route table: the schemas are the very zod schemas the router
 * validates with, so the two cannot drift apart.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from './zod-openapi.js';
import { ADMIN_SCOPE, TENANT_ADMIN_SCOPE } from './auth.js';
import { adminRoutes, API_PREFIX } from './route-table.js';
import type { AdminRoute, ErrorStatus } from './route-types.js';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const SECURITY = 'adminClientCredentials';
const TENANT_SECURITY = 'tenantAdminSignIn';
const TAGS = ['tenants', 'members', 'users', 'clients', 'providers', 'keys', 'events'] as const;
const TAG_DESCRIPTIONS: Record<(typeof TAGS)[number], string> = {
  tenants: 'Tenants and their policy',
  members: "A tenant's members, as its own admins (scope `tenant-admin`) or the operator run them",
  users: 'Users of every tenant (the operator)',
  clients: 'Client apps',
  providers: 'Upstream identity providers users sign in with (Google, itsme, any OpenID provider), and the identities linked at them',
  keys: 'Signing keys',
  events: 'The event log and the audit trail',
};

const errorSchema = z
  .object({
    error: z.string().openapi({
      description: 'invalid_request, invalid_token, insufficient_scope, not_found, conflict, method_not_allowed, not_implemented or server_error',
    }),
    error_description: z.string().openapi({ description: 'One line: `<field>: <problem>` for validation errors' }),
  })
  .openapi('Error');

const ERROR_RESPONSES: Record<ErrorStatus | 401 | 403, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'Invalid request: malformed JSON or a field that does not validate (`<field>: <problem>`)' },
  401: { name: 'Unauthorized', description: 'No access token, or an unknown or expired one (`invalid_token`)' },
  403: {
    name: 'Forbidden',
    description:
      'The access token lacks the scope (`insufficient_scope`), or a tenant admin acts outside the tenant of their sign-in or is no longer its admin (`forbidden`)',
  },
  404: { name: 'NotFound', description: 'No such tenant, user, client, trusted device, passkey, upstream provider or linked identity' },
  409: { name: 'Conflict', description: 'Already exists, or still in use (`conflict`); an account shared with another tenant (`shared_account`)' },
  413: { name: 'TooLarge', description: 'Body larger than 256kb' },
  415: { name: 'NotJson', description: 'A body that is not application/json' },
  501: { name: 'NotImplemented', description: 'The feature is switched off on this server, or it was built without it (`not_implemented`)' },
};

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
/** `/users/:id` → `/users/{id}` */
export const openApiPath = (koaPath: string) => koaPath.replace(/:(\w+)/g, '{$1}');

function operation(route: AdminRoute): RouteConfig {
  const responses: Record<string, ResponseConfig | { $ref: string }> = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    responses[status] = {
      description: answer.description,
      ...(answer.schema ? { content: json(answer.schema) } : {}),
      ...(answer.location ? { headers: { Location: { description: 'The new resource', schema: { type: 'string' } } } } : {}),
    };
  }
  for (const status of [...(route.errors ?? []), 401, 403] as const) {
    responses[status] = { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
  }
  return {
    method: route.method,
    path: `/admin${API_PREFIX}${openApiPath(route.path)}`,
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    // A `tenant-admin` route takes the operator's token too.
    security: route.scope === TENANT_ADMIN_SCOPE ? [{ [SECURITY]: [ADMIN_SCOPE] }, { [TENANT_SECURITY]: [TENANT_ADMIN_SCOPE] }] : [{ [SECURITY]: [ADMIN_SCOPE] }],
    ...(route.audit?.length ? { 'x-audit-events': [...route.audit] } : {}),
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.body ? { body: { required: true, content: json(route.body.schema) } } : {}),
    },
    // zod-to-openapi types responses as its own configs; a $ref to a registered response is valid OpenAPI.
    responses: responses as Record<string, ResponseConfig>,
  };
}

export function openApiDocument(issuer: string): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.register('Error', errorSchema);
  for (const { name, description } of Object.values(ERROR_RESPONSES)) {
    registry.registerComponent('responses', name, {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      ...(name === 'Unauthorized' ? { headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer challenge' } } } : {}),
    });
  }
  registry.registerComponent('securitySchemes', SECURITY, {
    type: 'oauth2',
    description: 'An access token of a client allowed the `admin` scope, sent as `Authorization: Bearer <token>`',
    flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { [ADMIN_SCOPE]: 'Manage tenants, users, client apps and keys' } } },
  });
  registry.registerComponent('securitySchemes', TENANT_SECURITY, {
    type: 'oauth2',
    description:
      "A tenant admin's own sign-in (code + PKCE; the CLI's `sesam login` uses the client `sesam-cli`): the token acts in the tenant chosen at that sign-in, while its user is an admin of it",
    flows: {
      authorizationCode: {
        authorizationUrl: `${issuer}/auth`,
        tokenUrl: `${issuer}/token`,
        scopes: { [TENANT_ADMIN_SCOPE]: "Run the members, policy and events of the tenant of one's sign-in" },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/admin/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document',
    tags: ['meta'],
    security: [],
    responses: { 200: { description: 'The OpenAPI 3.1 description of the admin API', content: json(z.looseObject({})) } },
  });
  for (const route of adminRoutes) registry.registerPath(operation(route));

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Sesam admin API',
      version: '1',
      description:
        'Tenants, users (and their second factors), client apps, upstream identity providers, signing keys and the event log of a Sesam server. ' +
        'Authenticate with an access token sent as `Authorization: Bearer <token>`: the operator\'s, obtained by client_credentials ' +
        '(scope `admin`), calls every operation; a tenant admin\'s, obtained by signing in (scope `tenant-admin`), calls the operations ' +
        'under `/tenants/{id}` that list it, for the tenant chosen at that sign-in. Errors are `{ error, error_description }`. The `sesam` CLI is a client of this API. ' +
        'Each operation lists in `x-audit-events` the audit events it records itself.',
    },
    servers: [{ url: issuer }],
    tags: [...TAGS.map((name) => ({ name, description: TAG_DESCRIPTIONS[name] })), { name: 'meta', description: 'About the API' }],
    security: [{ [SECURITY]: [ADMIN_SCOPE] }],
  });
}
