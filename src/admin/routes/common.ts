/** Schemas more than one resource of the admin API uses: path parameters, filters, dates. */
import { z } from '../zod-openapi.js';
import { tenantIdSchema } from '../../domain/schemas.js';
import type { TenantAdmin } from '../../domain/tenant-administration.js';

export const dateTime = z.string().openapi({ format: 'date-time' });
export const nullableDateTime = (description?: string) => z.string().nullable().openapi({ format: 'date-time', ...(description ? { description } : {}) });

export const tenantIdParam = z.string().openapi({ param: { name: 'id', in: 'path', description: 'Tenant id' } });
export const userIdParam = z.string().openapi({ param: { name: 'id', in: 'path', description: 'User id (uuid), login or e-mail' } });
export const clientIdParam = z.string().openapi({ param: { name: 'id', in: 'path', description: 'client_id' } });
export const providerIdParam = z.string().openapi({ param: { name: 'id', in: 'path', description: 'Upstream provider id' } });

export const limitSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(1000)
  .default(100)
  .openapi({ param: { name: 'limit', in: 'query', description: 'At most this many (1-1000, default 100)' } });
export const offsetSchema = z.coerce
  .number()
  .int()
  .min(0)
  .default(0)
  .openapi({ param: { name: 'offset', in: 'query', description: 'Skip this many' } });
export const tenantFilter = z.optional(tenantIdSchema).openapi({ param: { name: 'tenant', in: 'query', description: 'Only this tenant' } });
export const typeFilter = z.string().min(1).max(64).optional().openapi({ param: { name: 'type', in: 'query', description: 'Only events of this type' } });
export const userFilter = z
  .string()
  .min(1)
  .max(320)
  .optional()
  .openapi({ param: { name: 'user', in: 'query', description: 'Only events of this user (uuid, login or e-mail)' } });

export const eventSchema = z
  .object({
    id: z.number().int(),
    at: dateTime,
    type: z.string().openapi({
      examples: [
        'login.success',
        'login.failure',
        'account.locked',
        'account.unlocked',
        'admin.user_created',
        'admin.password_reset',
        'admin.second_factors_reset',
        'admin.device_revoked',
        'admin.recovery_codes_regenerated',
        'passkey.created',
        'passkey.renamed',
        'passkey.removed',
        'passkey.clone_suspected',
        'admin.keys_rotated',
        'admin.client_secret_rotated',
        'admin.initial_access_token_created',
        'client.registered',
        'admin.provider_created',
        'admin.identity_unlinked',
      ],
    }),
    userId: z.string().nullable().optional().openapi({ format: 'uuid' }),
    tenantId: z.string().nullable().optional(),
    clientId: z.string().nullable().optional(),
    ip: z.string().nullable().optional(),
    userAgent: z.string().nullable().optional(),
    method: z.string().nullable().optional(),
    details: z.record(z.string(), z.unknown()).nullable().optional(),
    actorType: z
      .enum(['operator', 'tenant_admin'])
      .nullable()
      .optional()
      .openapi({ description: 'Set on an admin action (an audit row): an operator client (`clientId`) or a tenant admin (`actorUserId`)' }),
    actorUserId: z.string().nullable().optional().openapi({ format: 'uuid', description: 'The tenant admin who acted' }),
    targetType: z.enum(['user', 'tenant', 'client', 'key', 'initial_token', 'provider']).nullable().optional().openapi({ description: 'What an admin action was on' }),
    targetId: z.string().nullable().optional(),
  })
  .openapi('Event');

/** The events of a user (GET /users/:id/events) and of the log (GET /events) are listed alike. */
export const eventsQuery = z.object({ user: userFilter, tenant: tenantFilter, type: typeFilter, limit: limitSchema });

/** Who acts on a route of scope `tenant-admin` (the router always sets it there). */
export function acting(admin: TenantAdmin | undefined): TenantAdmin {
  if (!admin) throw new Error('a tenant-admin route without its acting admin');
  return admin;
}
