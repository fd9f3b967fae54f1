/**
 * The shape of one admin route: declared once, it gives the Koa route (router.ts: authentication,
 * request validation, the handler) and its OpenAPI operation (openapi.ts).
 */
import type Provider from 'oidc-provider';
import type { z } from './zod-openapi.js';
import type { Logger } from '../logger.js';
import type { Queryable } from '../storage/database.js';
import type { Actor, Directory } from '../domain/directory.js';
import type { Credentials } from '../domain/credentials.js';
import type { EventsRepository } from '../repositories/events-repository.js';
import type { EventRecord } from '../model/types.js';
import type { AdminScope, AdminState } from './auth.js';
import type { SessionProof } from '../oidc/session-proof.js';
import type { TenantAdmin, TenantAdministration } from '../domain/tenant-administration.js';
import type { DynamicRegistration } from '../oidc/registration.js';
import type { UpstreamProviders } from '../domain/upstream-providers.js';
import type { FederatedIdentities } from '../domain/federated-identities.js';

export interface AdminRouterDeps {
  directory: Directory;
  events: EventsRepository;
  provider: () => Provider;
  rotateKeys: (actor?: Actor) => Promise<string[]>;
  logger: Logger;
  issuer: string;
  /** The database holding the signing keys (GET /keys). */
  db: Queryable;
  /** The writer of credentials: second factors (status, reset, trusted devices, recovery codes, passkeys). */
  credentials: Credentials;
  /** What a tenant admin (or the operator, in one tenant) may do: the routes of scope `tenant-admin`. */
  tenantAdministration: TenantAdministration;
  /** The tenant chosen at the sign-in of a grant (a tenant admin's token acts in it only). */
  grantTenant: (grantId: string) => Promise<string | null>;
  /** The sign-in behind a tenant admin's token proved their second factor, if they have one. */
  sessionProof: SessionProof;
  /** Dynamic client registration: whether it is on, and the initial access tokens operators mint. */
  registration: Pick<DynamicRegistration, 'enabled' | 'mint' | 'find' | 'revoke'>;
  /** Upstream providers (federated sign-in): configured by the operator. */
  upstreamProviders: UpstreamProviders;
  /** The identities at upstream providers linked to an account. */
  federatedIdentities: FederatedIdentities;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type { AdminScope } from './auth.js';
/** Error answers a route documents (401 and 403 go with every route). */
export type ErrorStatus = 400 | 404 | 409 | 413 | 415 | 501;
export type Tag = 'tenants' | 'members' | 'users' | 'clients' | 'providers' | 'keys' | 'events';

type AnyObject = z.ZodObject;

export interface AnswerSpec {
  description: string;
  /** The JSON answer; none for 204. */
  schema?: z.ZodType;
  /** A 201 names the new resource in `Location`. */
  location?: boolean;
}

export interface BodySpec<B extends z.ZodType> {
  /** What the body must match (documented; validated unless `raw`). */
  schema: B;
  /** Refuse a body that is not a JSON object before anything else (`body: must be a JSON object`). */
  object?: boolean;
  /** PUT: this body field names the resource; when given it must equal the path parameter, which fills it in. */
  fromPath?: { field: string; param: string };
  /** A field the schema would take that this route refuses, with the reason. */
  refuse?: { field: string; reason: string };
  /** Names the field in validation errors: `<prefix>.<field>: <problem>`. */
  prefix?: string;
  /** The domain merges and validates the body itself: the handler gets the JSON object as sent. */
  raw?: boolean;
}

/** What a handler answers: a 200 with `body` unless told otherwise. */
export interface Answer {
  status?: 200 | 201 | 204;
  body?: unknown;
  /** For a 201: the new resource, under /admin/v1. */
  location?: string;
}

export interface RouteInput<P, Q, B, E extends string> {
  params: P;
  query: Q;
  /** The validated body (undefined for a `raw` body). */
  body: B;
  /** The JSON object as sent ({} without one): what a `raw` body route reads. */
  json: Record<string, unknown>;
  actor: AdminState['actor'];
  /**
   * On a route of scope `tenant-admin` (its path starts with `/tenants/:id`): who acts in that
   * tenant, for TenantAdministration (a tenant admin, or the operator).
   */
  tenantAdmin?: TenantAdmin;
  deps: AdminRouterDeps;
  /** Records an admin change the directory does not record itself; never fails the request. */
  audit: (event: EventRecord & { type: E }) => Promise<void>;
}

export interface AdminRoute<
  P extends AnyObject = AnyObject,
  Q extends AnyObject = AnyObject,
  B extends z.ZodType = z.ZodType,
  E extends string = string,
> {
  method: HttpMethod;
  /** Under /admin/v1, Koa style (`/users/:id`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: Tag[];
  /** `admin`: the operator only. `tenant-admin`: also an admin of the tenant the path names (`/tenants/:id/…`). */
  scope: AdminScope;
  /**
   * The audit events the route records, itself or through the service it calls (documented as
   * `x-audit-events`; the directory and the credentials service record others without a list here).
   */
  audit?: readonly E[];
  params?: P;
  query?: Q;
  body?: BodySpec<B>;
  answers: Partial<Record<200 | 201 | 204, AnswerSpec>>;
  errors?: ErrorStatus[];
  handle: (input: RouteInput<z.output<P>, z.output<Q>, B extends z.ZodType ? z.output<B> : never, E>) => Promise<Answer>;
}

/** Declares a route with its types inferred from its schemas. */
export function route<P extends AnyObject, Q extends AnyObject, B extends z.ZodType, const E extends string = never>(
  r: AdminRoute<P, Q, B, E>,
): AdminRoute {
  return r as unknown as AdminRoute;
}
