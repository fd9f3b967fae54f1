/**
 * The admin API (`/admin/v1`, JSON): tenants, users (and their second factors), client apps,
 * signing keys and the event log, for operators and the `sesam` CLI. A thin layer over the Directory: it authenticates
 * (auth.ts), validates, calls the domain and shapes the answer; errors are JSON (errors.ts).
 * `GET /admin/openapi.json` describes it all (openapi.ts).
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { Queryable } from '../storage/database.js';
import type { Actor, Directory } from '../domain/directory.js';
import type { Credentials } from '../domain/credentials.js';
import type { EventsRepository } from '../repositories/events-repository.js';
import type { EventRecord } from '../model/types.js';
import { clientInputSchema, describeZodError, tenantIdSchema, tenantInputSchema, userInputSchema } from '../domain/schemas.js';
import { listSigningKeys } from '../oidc/signing-keys.js';
import { requireAdmin, type AdminState } from './auth.js';
import { ApiError, apiErrors, badRequest, conflict, notFound, validate } from './errors.js';
import { noticeSchema } from '../model/notice.js';
import { clientView, keyView } from './views.js';
import { openApiDocument } from './openapi.js';

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
}

export const API_PREFIX = '/v1';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const limitSchema = z.coerce.number().int().min(1).max(1000).default(100);
const usersQuery = z.object({ tenant: tenantIdSchema.optional(), limit: limitSchema, offset: z.coerce.number().int().min(0).default(0) });
const eventsQuery = z.object({
  user: z.string().min(1).max(320).optional(),
  tenant: tenantIdSchema.optional(),
  type: z.string().min(1).max(64).optional(),
  limit: limitSchema,
});
const resetPasswordBody = z.object({ password: z.string().min(1).max(256) }).strict();
const passkeyRenameBody = z
  .object({ name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters') })
  .strict();
const userPatchBody = userInputSchema.partial();

type Ctx = Context & { params: Record<string, string>; state: AdminState };

export function adminRouter(deps: AdminRouterDeps): Router {
  const { directory, events, logger } = deps;
  const router = new Router({ prefix: '/admin' });
  const errors = apiErrors(logger);
  const auth = requireAdmin(deps.provider);
  const json = [requireJson, bodyParser({ enableTypes: ['json'], jsonLimit: '256kb', encoding: 'utf-8' })];
  const document = openApiDocument(deps.issuer);

  type Handler = (ctx: Ctx) => Promise<void> | void;
  const wrap = (handler: Handler) => (ctx: Context) => handler(ctx as Ctx);
  const route = {
    get: (path: string, handler: Handler) => router.get(API_PREFIX + path, errors, auth, wrap(handler)),
    delete: (path: string, handler: Handler) => router.delete(API_PREFIX + path, errors, auth, wrap(handler)),
    post: (path: string, handler: Handler) => router.post(API_PREFIX + path, errors, auth, ...json, wrap(handler)),
    put: (path: string, handler: Handler) => router.put(API_PREFIX + path, errors, auth, ...json, wrap(handler)),
    patch: (path: string, handler: Handler) => router.patch(API_PREFIX + path, errors, auth, ...json, wrap(handler)),
  };

  /** Audit trail of admin changes the directory does not record itself; never fails the request. */
  const audit = async (ctx: Ctx, event: EventRecord) => {
    try {
      await events.insert({ ...event, clientId: ctx.state.actor.clientId, ip: ctx.state.actor.ip });
    } catch (err) {
      logger.error({ err, event: event.type }, 'could not record event');
    }
  };
  const created = (ctx: Ctx, location: string, body: unknown) => {
    ctx.status = 201;
    ctx.set('Location', `/admin${API_PREFIX}${location}`);
    ctx.body = body;
  };
  const noContent = (ctx: Ctx) => {
    ctx.status = 204;
    ctx.body = null;
  };

  router.get('/openapi.json', errors, (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = document;
  });

  // --- tenants
  route.get('/tenants', async (ctx) => {
    ctx.body = await directory.tenants.list();
  });

  route.post('/tenants', async (ctx) => {
    const input = validate(tenantInputSchema, ctx.request.body);
    if (await directory.tenants.find(input.id)) throw conflict(`tenant ${input.id} already exists`);
    const tenant = await directory.putTenant(input);
    await audit(ctx, { type: 'admin.tenant_created', tenantId: tenant.id });
    created(ctx, `/tenants/${encodeURIComponent(tenant.id)}`, tenant);
  });

  route.get('/tenants/:id', async (ctx) => {
    ctx.body = await directory.requireTenant(ctx.params.id);
  });

  route.put('/tenants/:id', async (ctx) => {
    const body = objectBody(ctx);
    if (body.id !== undefined && body.id !== ctx.params.id) throw badRequest(`id: does not match the path (${ctx.params.id})`);
    const input = validate(tenantInputSchema, { ...body, id: ctx.params.id });
    const existed = !!(await directory.tenants.find(input.id));
    const tenant = await directory.putTenant(input);
    await audit(ctx, { type: existed ? 'admin.tenant_updated' : 'admin.tenant_created', tenantId: tenant.id });
    if (existed) ctx.body = tenant;
    else created(ctx, `/tenants/${encodeURIComponent(tenant.id)}`, tenant);
  });

  route.patch('/tenants/:id/policy', async (ctx) => {
    const patch = objectBody(ctx);
    let tenant;
    try {
      tenant = await directory.updateTenantPolicy(ctx.params.id, patch);
    } catch (e) {
      if (e instanceof z.ZodError) throw badRequest(describeZodError(e, 'policy'));
      throw e;
    }
    await audit(ctx, { type: 'admin.tenant_updated', tenantId: tenant.id, details: { policy: Object.keys(patch) } });
    ctx.body = tenant;
  });

  route.delete('/tenants/:id', async (ctx) => {
    const id = ctx.params.id;
    await directory.requireTenant(id);
    const users = (await directory.clients.list()).filter((c) => c.tenants?.includes(id)).map((c) => c.clientId);
    if (users.length) throw conflict(`tenant ${id} is still listed by client(s) ${users.join(', ')}: change them first`);
    if (!(await directory.tenants.delete(id))) throw notFound(`tenant ${id} does not exist`);
    await audit(ctx, { type: 'admin.tenant_deleted', tenantId: id });
    noContent(ctx);
  });

  // --- users
  route.get('/users', async (ctx) => {
    const q = validate(usersQuery, ctx.query);
    if (q.tenant) await directory.requireTenant(q.tenant);
    const users = await directory.users.list({ tenantId: q.tenant, limit: q.limit, offset: q.offset });
    ctx.body = await Promise.all(users.map((u) => directory.view(u)));
  });

  route.post('/users', async (ctx) => {
    const input = validate(userInputSchema, ctx.request.body);
    const user = await directory.createUser(input, ctx.state.actor);
    created(ctx, `/users/${user.id}`, await directory.view(user));
  });

  route.get('/users/:id', async (ctx) => {
    ctx.body = await directory.view(await directory.requireUser(ctx.params.id));
  });

  route.patch('/users/:id', async (ctx) => {
    const body = objectBody(ctx);
    if ('password' in body) throw badRequest(`password: cannot be changed here; use POST /admin${API_PREFIX}/users/{id}/reset-password`);
    const input = validate(userPatchBody, body);
    const user = await directory.updateUser(ctx.params.id, input, ctx.state.actor);
    ctx.body = await directory.view(user);
  });

  route.delete('/users/:id', async (ctx) => {
    await directory.deleteUser(ctx.params.id, ctx.state.actor);
    noContent(ctx);
  });

  route.post('/users/:id/unlock', async (ctx) => {
    ctx.body = await directory.view(await directory.unlock(ctx.params.id, ctx.state.actor));
  });

  route.post('/users/:id/reset-password', async (ctx) => {
    const { password } = validate(resetPasswordBody, ctx.request.body);
    ctx.body = await directory.view(await directory.resetPassword(ctx.params.id, password, ctx.state.actor));
  });

  route.get('/users/:id/events', async (ctx) => {
    const q = validate(eventsQuery.omit({ user: true }), ctx.query);
    const userId = await userIdFor(ctx.params.id);
    ctx.body = await events.list({ userId, tenantId: q.tenant, type: q.type, limit: q.limit });
  });

  // --- second factors (a lost phone: an admin switches them off; trusted devices)
  route.get('/users/:id/second-factors', async (ctx) => {
    const user = await directory.requireUser(ctx.params.id);
    ctx.body = await deps.credentials.status(user.id);
  });

  route.delete('/users/:id/second-factors', async (ctx) => {
    const user = await directory.requireUser(ctx.params.id);
    await deps.credentials.resetSecondFactors(user.id, ctx.state.actor);
    noContent(ctx);
  });

  route.get('/users/:id/devices', async (ctx) => {
    const user = await directory.requireUser(ctx.params.id);
    ctx.body = await deps.credentials.devicesOf(user.id);
  });

  route.delete('/users/:id/devices/:deviceId', async (ctx) => {
    const user = await directory.requireUser(ctx.params.id);
    if (!(await deps.credentials.revokeDevice(user.id, ctx.params.deviceId, ctx.state.actor))) {
      throw notFound(`user ${ctx.params.id} has no trusted device ${ctx.params.deviceId}`);
    }
    noContent(ctx);
  });

  // --- passkeys (reads from Passkeys; renames and removals through the credentials service)
  route.get('/users/:id/passkeys', async (ctx) => {
    const user = await directory.requireUser(ctx.params.id);
    ctx.body = await deps.credentials.passkeysOf(user.id);
  });

  route.patch('/users/:id/passkeys/:passkeyId', async (ctx) => {
    const { name } = validate(passkeyRenameBody, ctx.request.body);
    const user = await directory.requireUser(ctx.params.id);
    const passkey = await deps.credentials.renamePasskey(user.id, ctx.params.passkeyId, name, { actor: ctx.state.actor }).catch((e: unknown) => {
      throw e instanceof RangeError ? badRequest(`name: ${e.message}`) : e;
    });
    if (!passkey) throw notFound(`user ${ctx.params.id} has no passkey ${ctx.params.passkeyId}`);
    ctx.body = passkey;
  });

  route.delete('/users/:id/passkeys/:passkeyId', async (ctx) => {
    const user = await directory.requireUser(ctx.params.id);
    if (!(await deps.credentials.removePasskey(user.id, ctx.params.passkeyId, { actor: ctx.state.actor }))) {
      throw notFound(`user ${ctx.params.id} has no passkey ${ctx.params.passkeyId}`);
    }
    noContent(ctx);
  });

  route.post('/users/:id/recovery-codes', async (ctx) => {
    const user = await directory.requireUser(ctx.params.id);
    ctx.body = { codes: await deps.credentials.issueRecoveryCodes(user.id, { actor: ctx.state.actor }) };
  });

  // --- clients
  route.get('/clients', async (ctx) => {
    ctx.body = (await directory.clients.list()).map(clientView);
  });

  route.post('/clients', async (ctx) => {
    const input = validate(clientInputSchema, ctx.request.body);
    if (await directory.clients.find(input.client_id)) throw conflict(`client ${input.client_id} already exists`);
    const { client, generatedSecret } = await directory.putClient(input);
    await audit(ctx, { type: 'admin.client_created', details: { client: client.clientId } });
    created(ctx, `/clients/${encodeURIComponent(client.clientId)}`, withSecret(clientView(client), generatedSecret));
  });

  route.get('/clients/:id', async (ctx) => {
    const client = await directory.clients.find(ctx.params.id);
    if (!client) throw notFound(`client ${ctx.params.id} does not exist`);
    ctx.body = clientView(client);
  });

  route.put('/clients/:id', async (ctx) => {
    const body = objectBody(ctx);
    if (body.client_id !== undefined && body.client_id !== ctx.params.id) throw badRequest(`client_id: does not match the path (${ctx.params.id})`);
    const input = validate(clientInputSchema, { ...body, client_id: ctx.params.id });
    const existing = await directory.clients.find(input.client_id);
    // A confidential client keeps its secret unless a new one is given or it becomes public.
    const currentSecret = existing?.metadata.client_secret;
    if (typeof currentSecret === 'string' && !input.client_secret && input.token_endpoint_auth_method !== 'none') input.client_secret = currentSecret;
    const { client, generatedSecret } = await directory.putClient(input);
    await audit(ctx, { type: existing ? 'admin.client_updated' : 'admin.client_created', details: { client: client.clientId } });
    const view = withSecret(clientView(client), generatedSecret);
    if (existing) ctx.body = view;
    else created(ctx, `/clients/${encodeURIComponent(client.clientId)}`, view);
  });

  route.put('/clients/:id/notice', async (ctx) => {
    const parsed = noticeSchema.safeParse(objectBody(ctx));
    if (!parsed.success) throw badRequest(describeZodError(parsed.error, 'notice'));
    const client = await directory.setClientNotice(ctx.params.id, parsed.data);
    await audit(ctx, { type: 'admin.client_updated', details: { client: client.clientId, notice: true } });
    ctx.body = clientView(client);
  });

  route.delete('/clients/:id/notice', async (ctx) => {
    const client = await directory.setClientNotice(ctx.params.id, null);
    await audit(ctx, { type: 'admin.client_updated', details: { client: client.clientId, notice: false } });
    ctx.body = clientView(client);
  });

  route.delete('/clients/:id', async (ctx) => {
    await directory.deleteClient(ctx.params.id);
    await audit(ctx, { type: 'admin.client_deleted', details: { client: ctx.params.id } });
    noContent(ctx);
  });

  // --- signing keys
  route.get('/keys', async (ctx) => {
    ctx.body = (await listSigningKeys(deps.db)).map((k) => keyView(k));
  });

  route.post('/keys/rotate', async (ctx) => {
    const kids = await deps.rotateKeys(ctx.state.actor);
    ctx.body = { kids, keys: (await listSigningKeys(deps.db)).map((k) => keyView(k)) };
  });

  // --- events
  route.get('/events', async (ctx) => {
    const q = validate(eventsQuery, ctx.query);
    const userId = q.user ? await userIdFor(q.user) : undefined;
    ctx.body = await events.list({ userId, tenantId: q.tenant, type: q.type, limit: q.limit });
  });

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

  /** Events may outlive their user: a uuid is taken as is, a login or e-mail must exist. */
  async function userIdFor(idOrIdentifier: string): Promise<string> {
    if (UUID.test(idOrIdentifier)) return idOrIdentifier.toLowerCase();
    return (await directory.requireUser(idOrIdentifier)).id;
  }

  return router;
}

/** The JSON body as an object (PUT/PATCH merge it with the path). */
function objectBody(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('body: must be a JSON object');
  return body as Record<string, unknown>;
}

function withSecret<T extends object>(view: T, generatedSecret: string | undefined): T & { client_secret?: string } {
  return generatedSecret ? { ...view, client_secret: generatedSecret } : view;
}

/** A request with a body must say it is JSON: anything else would be silently ignored. */
async function requireJson(ctx: Context, next: Next): Promise<void> {
  const hasBody = !!ctx.get('transfer-encoding') || Number(ctx.get('content-length') || 0) > 0;
  if (hasBody && !ctx.is('application/json', '+json')) {
    throw new ApiError(415, 'invalid_request', 'body: must be application/json');
  }
  await next();
}
