/** Tenants and their policy. */
import { z } from '../zod-openapi.js';
import { tenantInputSchema } from '../../domain/schemas.js';
import { tenantPolicySchema } from '../../model/tenant-policy.js';
import { conflict, notFound } from '../errors.js';
import { route, type AdminRoute } from '../route-types.js';
import { acting, tenantIdParam } from './common.js';

export const tenantPolicyView = tenantPolicySchema.meta({ id: 'TenantPolicy', description: 'A tenant policy, every key filled in' });
const tenantPolicyPatch = tenantPolicySchema.meta({ id: 'TenantPolicyPatch', description: 'Some keys of a policy; `lockout` is merged key by key' });
export const tenantView = z.object({ id: z.string(), name: z.string(), policy: tenantPolicyView }).openapi('Tenant');
const tenantInput = tenantInputSchema.meta({ id: 'TenantInput' });
const tenantReplace = tenantInputSchema.partial({ id: true }).meta({
  id: 'TenantReplace',
  description: 'A tenant; `id`, when given, must match the path; a missing `policy` keeps the current one (defaults for a new tenant)',
});
const params = z.object({ id: tenantIdParam });
const location = (id: string) => `/tenants/${encodeURIComponent(id)}`;

export const tenantRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/tenants',
    operationId: 'listTenants',
    summary: 'List tenants',
    tags: ['tenants'],
    scope: 'admin',
    answers: { 200: { description: 'Tenants, by name', schema: z.array(tenantView) } },
    handle: async ({ deps }) => ({ body: await deps.directory.tenants.list() }),
  }),
  route({
    method: 'post',
    path: '/tenants',
    operationId: 'createTenant',
    summary: 'Create a tenant',
    tags: ['tenants'],
    scope: 'admin',
    audit: ['admin.tenant_created'],
    body: { schema: tenantInput },
    answers: { 201: { description: 'Created', schema: tenantView, location: true } },
    errors: [400, 413, 415, 409],
    handle: async ({ body, deps, audit }) => {
      if (await deps.directory.tenants.find(body.id)) throw conflict(`tenant ${body.id} already exists`);
      const tenant = await deps.directory.putTenant(body);
      await audit({ type: 'admin.tenant_created', tenantId: tenant.id, targetType: 'tenant', targetId: tenant.id });
      return { status: 201, location: location(tenant.id), body: tenant };
    },
  }),
  route({
    method: 'get',
    path: '/tenants/:id',
    operationId: 'getTenant',
    summary: 'Get a tenant',
    tags: ['tenants'],
    scope: 'tenant-admin',
    params,
    answers: { 200: { description: 'The tenant', schema: tenantView } },
    errors: [404],
    handle: async ({ tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.tenant(acting(tenantAdmin)) }),
  }),
  route({
    method: 'put',
    path: '/tenants/:id',
    operationId: 'putTenant',
    summary: 'Create or replace a tenant',
    tags: ['tenants'],
    scope: 'admin',
    audit: ['admin.tenant_created', 'admin.tenant_updated'],
    params,
    body: { schema: tenantReplace, object: true, fromPath: { field: 'id', param: 'id' } },
    answers: { 200: { description: 'Replaced', schema: tenantView }, 201: { description: 'Created', schema: tenantView, location: true } },
    errors: [400, 413, 415],
    handle: async ({ params: p, body, deps, audit }) => {
      const input = { ...body, id: p.id };
      const existed = !!(await deps.directory.tenants.find(input.id));
      const tenant = await deps.directory.putTenant(input);
      await audit({ type: existed ? 'admin.tenant_updated' : 'admin.tenant_created', tenantId: tenant.id, targetType: 'tenant', targetId: tenant.id });
      return existed ? { body: tenant } : { status: 201, location: location(tenant.id), body: tenant };
    },
  }),
  route({
    method: 'patch',
    path: '/tenants/:id/policy',
    operationId: 'patchTenantPolicy',
    summary: "Change some keys of a tenant's policy",
    description: 'Recorded as `admin.tenant_updated` (by TenantAdministration), with the keys changed.',
    tags: ['tenants'],
    scope: 'tenant-admin',
    params,
    // The policy is merged into the current one, then validated as a whole.
    body: { schema: tenantPolicyPatch, object: true, raw: true },
    answers: { 200: { description: 'The tenant with its new policy', schema: tenantView } },
    errors: [400, 413, 415, 404],
    handle: async ({ json, tenantAdmin, deps }) => ({ body: await deps.tenantAdministration.updatePolicy(acting(tenantAdmin), json) }),
  }),
  route({
    method: 'delete',
    path: '/tenants/:id',
    operationId: 'deleteTenant',
    summary: 'Delete a tenant',
    description: 'Its memberships go with it. Refused (409) while a client still lists the tenant.',
    tags: ['tenants'],
    scope: 'admin',
    audit: ['admin.tenant_deleted'],
    params,
    answers: { 204: { description: 'Deleted' } },
    errors: [404, 409],
    handle: async ({ params: { id }, deps, audit }) => {
      await deps.directory.requireTenant(id);
      const users = (await deps.directory.clients.list()).filter((c) => c.tenants?.includes(id)).map((c) => c.clientId);
      if (users.length) throw conflict(`tenant ${id} is still listed by client(s) ${users.join(', ')}: change them first`);
      if (!(await deps.directory.tenants.delete(id))) throw notFound(`tenant ${id} does not exist`);
      await audit({ type: 'admin.tenant_deleted', tenantId: id, targetType: 'tenant', targetId: id });
      return { status: 204 };
    },
  }),
];
