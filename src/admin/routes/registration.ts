/**
 * Initial access tokens for dynamic client registration (RFC 7591): an operator mints one for an
 * app vendor, who registers with it at the engine's registration endpoint and then manages the
 * registration with the registration access token it gets back (RFC 7592). Only with
 * DYNAMIC_REGISTRATION=initial-access-token; otherwise these routes answer 501.
 */
import { z } from '../zod-openapi.js';
import { tenantIdSchema } from '../../domain/schemas.js';
import { ApiError, notFound } from '../errors.js';
import { route, type AdminRoute, type AdminRouterDeps } from '../route-types.js';
import { dateTime } from './common.js';

/** The engine's registration endpoint (its default route, which Sesam leaves as it is). */
const REGISTRATION_PATH = '/reg';
const DAY = 24 * 3600;

const tokenIdParam = z
  .string()
  .min(1)
  .max(64)
  .openapi({ param: { name: 'id', in: 'path', description: 'The id of an initial access token (a hash of it, not the token)' } });
const params = z.object({ id: tokenIdParam });

const mintInput = z
  .strictObject({
    expiresIn: z
      .number()
      .int()
      .min(60)
      .max(30 * DAY)
      .default(DAY)
      .openapi({ description: 'Seconds until it expires (60 to 2592000, 30 days; default 86400, a day)' }),
    maxClients: z.number().int().min(1).max(1000).default(1).openapi({ description: 'How many clients it may register (1-1000, default 1)' }),
    tenants: z
      .array(tenantIdSchema)
      .min(1)
      .max(100)
      .nullable()
      .default(null)
      .openapi({ description: 'The tenants the clients it registers serve; absent or null: every tenant' }),
  })
  .openapi('InitialAccessTokenInput', { description: 'The terms of an initial access token; every field has a default' });

const tokenView = z
  .object({
    id: z.string().openapi({ description: 'Names the token in the audit trail and for revocation; not the token' }),
    expiresAt: dateTime,
    maxClients: z.number().int(),
    used: z.number().int().openapi({ description: 'Clients registered with it so far' }),
    tenants: z.array(z.string()).nullable().openapi({ description: 'The tenants its clients serve; null: every tenant' }),
  })
  .openapi('InitialAccessToken', { description: 'An initial access token, without its value' });
const mintedToken = tokenView
  .extend({
    token: z.string().openapi({ description: 'The initial access token: shown this once. The app sends it as `Authorization: Bearer <token>` to `registrationEndpoint`' }),
    registrationEndpoint: z.string().openapi({ format: 'uri', description: 'Where the app registers (RFC 7591)' }),
  })
  .openapi('MintedInitialAccessToken', { description: 'A new initial access token, with its value this once' });

function requireEnabled(deps: AdminRouterDeps): void {
  if (!deps.registration.enabled) {
    throw new ApiError(501, 'not_implemented', 'dynamic client registration is off on this server (DYNAMIC_REGISTRATION=initial-access-token switches it on)');
  }
}

export const registrationRoutes: AdminRoute[] = [
  route({
    method: 'post',
    path: '/initial-access-tokens',
    operationId: 'createInitialAccessToken',
    summary: 'Mint an initial access token for dynamic client registration',
    description:
      'An app registers itself (RFC 7591) at the registration endpoint with this token, as many times as `maxClients` allows until it expires, ' +
      'and gets a registration access token to read, update or delete its registration (RFC 7592). Such a client is never first-party, ' +
      'never has the `admin` scope or the client_credentials grant, and serves the tenants named here. Needs DYNAMIC_REGISTRATION=initial-access-token (else 501).',
    tags: ['clients'],
    scope: 'admin',
    audit: ['admin.initial_access_token_created'],
    body: { schema: mintInput, object: true },
    answers: { 201: { description: 'Minted; the token is in the answer, this once', schema: mintedToken, location: true } },
    errors: [400, 404, 413, 415, 501],
    handle: async ({ body, deps, audit }) => {
      requireEnabled(deps);
      const tenants = body.tenants ? [...new Set(body.tenants)] : null;
      for (const tenant of tenants ?? []) await deps.directory.requireTenant(tenant);
      const minted = await deps.registration.mint(deps.provider(), { expiresIn: body.expiresIn, maxClients: body.maxClients, tenants });
      const { token, ...terms } = minted;
      await audit({
        type: 'admin.initial_access_token_created',
        targetType: 'initial_token',
        targetId: minted.id,
        details: { expiresAt: terms.expiresAt, maxClients: terms.maxClients, tenants: terms.tenants },
      });
      return {
        status: 201,
        location: `/initial-access-tokens/${encodeURIComponent(minted.id)}`,
        body: { ...terms, token, registrationEndpoint: `${deps.issuer}${REGISTRATION_PATH}` },
      };
    },
  }),
  route({
    method: 'get',
    path: '/initial-access-tokens/:id',
    operationId: 'getInitialAccessToken',
    summary: 'Get an initial access token (without its value)',
    tags: ['clients'],
    scope: 'admin',
    params,
    answers: { 200: { description: 'Its terms and how many clients it registered', schema: tokenView } },
    errors: [404, 501],
    handle: async ({ params: p, deps }) => {
      requireEnabled(deps);
      const found = await deps.registration.find(p.id);
      if (!found) throw notFound(`initial access token ${p.id} does not exist (or expired)`);
      return { body: found };
    },
  }),
  route({
    method: 'delete',
    path: '/initial-access-tokens/:id',
    operationId: 'revokeInitialAccessToken',
    summary: 'Revoke an initial access token',
    description: 'No client registers with it any more; the clients it registered stay (delete them under /clients).',
    tags: ['clients'],
    scope: 'admin',
    audit: ['admin.initial_access_token_revoked'],
    params,
    answers: { 204: { description: 'Revoked' } },
    errors: [404, 501],
    handle: async ({ params: p, deps, audit }) => {
      requireEnabled(deps);
      if (!(await deps.registration.revoke(p.id))) throw notFound(`initial access token ${p.id} does not exist (or expired)`);
      await audit({ type: 'admin.initial_access_token_revoked', targetType: 'initial_token', targetId: p.id });
      return { status: 204 };
    },
  }),
];
