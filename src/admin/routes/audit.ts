/** A tenant's audit trail: the admin actions concerning it, newest first, page by page. */
import { z } from '../zod-openapi.js';
import { formatEventCursor, parseEventCursor } from '../../repositories/events-repository.js';
import { badRequest } from '../errors.js';
import { route, type AdminRoute } from '../route-types.js';
import { acting, eventSchema, tenantIdParam } from './common.js';

const auditPage = z
  .object({
    events: z.array(eventSchema),
    next: z.string().nullable().openapi({ description: 'The `before` of the next (older) page; null on the last page' }),
  })
  .openapi('AuditPage');

const auditQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query', description: 'At most this many (1-200, default 50)' } }),
  before: z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name: 'before', in: 'query', description: 'The `next` of the previous page' } }),
});

export const auditRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/tenants/:id/audit',
    operationId: 'listTenantAudit',
    summary: "A tenant's audit trail, newest first",
    description:
      'Admin actions (by an operator client or a tenant admin) that name the tenant, and operator actions on a user who is a member of it now; ' +
      "an action of another tenant's admin on a shared account is not shown. Kept AUDIT_RETENTION_DAYS days.",
    tags: ['tenants', 'events'],
    scope: 'tenant-admin',
    params: z.object({ id: tenantIdParam }),
    query: auditQuery,
    answers: { 200: { description: 'Audit events, newest first', schema: auditPage } },
    errors: [400, 404],
    handle: async ({ query: q, tenantAdmin, deps }) => {
      const before = q.before === undefined ? undefined : parseEventCursor(q.before);
      if (q.before !== undefined && !before) throw badRequest('before: is not a page cursor (use the `next` of the previous page)');
      const page = await deps.tenantAdministration.audit(acting(tenantAdmin), { before, limit: q.limit });
      return { body: { events: page.events, next: page.next ? formatEventCursor(page.next) : null } };
    },
  }),
];
