/**
 * The admin API (`/admin/v1`, JSON), built from the route table (route-table.ts): each route gets
 * the JSON error layer (errors.ts), authentication with its scope (auth.ts), the JSON body parser
 * for POST/PUT/PATCH, the validation of its params, query and body, then its handler.
 * `GET /admin/openapi.json` describes it all (openapi.ts, from the same table).
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import { describeZodError } from '../domain/schemas.js';
import type { EventRecord } from '../model/types.js';
import { actorMeta } from '../domain/credentials.js';
import { requireAdmin, TENANT_ADMIN_SCOPE, type AdminState } from './auth.js';
import type { TenantAdmin } from '../domain/tenant-administration.js';
import { ApiError, apiErrors, badRequest, notFound, validate } from './errors.js';
import { openApiDocument } from './openapi.js';
import { adminRoutes, API_PREFIX } from './route-table.js';
import type { AdminRoute, AdminRouterDeps } from './route-types.js';

export type { AdminRouterDeps } from './route-types.js';
export { API_PREFIX } from './route-table.js';

type Ctx = Context & { params: Record<string, string>; state: AdminState };

export function adminRouter(deps: AdminRouterDeps): Router {
  const { logger } = deps;
  const router = new Router({ prefix: '/admin' });
  const errors = apiErrors(logger);
  const json = [requireJson, bodyParser({ enableTypes: ['json'], jsonLimit: '256kb', encoding: 'utf-8' })];
  const document = openApiDocument(deps.issuer);

  router.get('/openapi.json', errors, (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = document;
  });

  for (const route of adminRoutes) {
    const withBody = route.method === 'post' || route.method === 'put' || route.method === 'patch';
    if (route.scope === TENANT_ADMIN_SCOPE && !route.path.startsWith('/tenants/:id')) throw new Error(`${route.operationId}: a tenant-admin route names its tenant (/tenants/:id/…)`);
    const middleware: Middleware[] = [errors, requireAdmin(deps, route.scope), ...(withBody ? json : []), handler(route)];
    router[route.method](API_PREFIX + route.path, ...middleware);
  }

  function handler(route: AdminRoute): Middleware {
    const audit = async (ctx: Ctx, event: EventRecord) => {
      try {
        await deps.events.insert({ ...event, ...actorMeta(ctx.state.actor) });
      } catch (err) {
        logger.error({ err, event: event.type }, 'could not record event');
      }
    };
    return async (context: Context) => {
      const ctx = context as Ctx;
      const params = route.params ? validate(route.params, ctx.params) : ctx.params;
      const query = route.query ? validate(route.query, ctx.query) : {};
      const tenantAdmin = route.scope === TENANT_ADMIN_SCOPE ? actingIn(ctx.state, String(params.id)) : undefined;
      const { body, json } = parseBody(route, ctx);
      const answer = await route.handle({ params, query, body, json, actor: ctx.state.actor, tenantAdmin, deps, audit: (event) => audit(ctx, event) });
      ctx.status = answer.status ?? 200;
      if (answer.location) ctx.set('Location', `/admin${API_PREFIX}${answer.location}`);
      ctx.body = answer.status === 204 ? null : answer.body;
    };
  }

  // Anything else under /admin: JSON 404, or 405 when the path exists with other methods.
  router.all('/*rest', errors, (ctx) => {
    const allowed = new Set<string>();
    for (const layer of (ctx as unknown as { matched?: { path: unknown; methods: string[] }[] }).matched ?? []) {
      if (layer.path !== '/admin/*rest') for (const m of layer.methods) allowed.add(m);
    }
    if (allowed.size) {
      throw new ApiError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`, { Allow: [...allowed].join(', ') });
    }
    throw notFound(`no such admin resource: ${ctx.path} (see /admin/openapi.json)`);
  });

  return router;
}

/**
 * Who acts in the tenant a route names: the operator, or the user of a tenant admin's token, which
 * acts only in the tenant chosen at its sign-in (whether they are its admin is the domain's check).
 */
function actingIn(state: AdminState, tenantId: string): TenantAdmin {
  const { actor } = state;
  if (!actor.userId) return { operator: true, clientId: actor.clientId, tenantId, ip: actor.ip, userAgent: actor.userAgent };
  if (state.tokenTenant !== tenantId) {
    throw new ApiError(403, 'forbidden', state.tokenTenant ? `this token acts in tenant ${state.tokenTenant} only (the tenant chosen at sign-in)` : 'this token acts in no tenant: sign in again and choose one');
  }
  return { userId: actor.userId, clientId: actor.clientId, tenantId, ip: actor.ip, userAgent: actor.userAgent };
}

/** The body as the route declares it: checked for shape, merged with the path, validated. */
function parseBody(route: AdminRoute, ctx: Ctx): { body: unknown; json: Record<string, unknown> } {
  const spec = route.body;
  const sent: unknown = ctx.request.body;
  const isObject = !!sent && typeof sent === 'object' && !Array.isArray(sent);
  const json = isObject ? (sent as Record<string, unknown>) : {};
  if (!spec) return { body: undefined, json };
  if (spec.object && !isObject) throw badRequest('body: must be a JSON object');
  let value: unknown = sent;
  if (spec.fromPath) {
    const { field, param } = spec.fromPath;
    if (json[field] !== undefined && json[field] !== ctx.params[param]) throw badRequest(`${field}: does not match the path (${ctx.params[param]})`);
    value = { ...json, [field]: ctx.params[param] };
  }
  if (spec.refuse && spec.refuse.field in json) throw badRequest(`${spec.refuse.field}: ${spec.refuse.reason}`);
  if (spec.raw) return { body: undefined, json };
  const parsed = spec.schema.safeParse(value);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error, spec.prefix));
  return { body: parsed.data, json };
}

/** A request with a body must say it is JSON: anything else would be silently ignored. */
async function requireJson(ctx: Context, next: Next): Promise<void> {
  const hasBody = !!ctx.get('transfer-encoding') || Number(ctx.get('content-length') || 0) > 0;
  if (hasBody && !ctx.is('application/json', '+json')) {
    throw new ApiError(415, 'invalid_request', 'body: must be application/json');
  }
  await next();
}
