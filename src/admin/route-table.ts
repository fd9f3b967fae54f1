/**
 * Every route of the admin API (`/admin/v1`), declared once: router.ts serves them, openapi.ts
 * describes them. The order is the order of the OpenAPI document.
 */
import type { AdminRoute } from './route-types.js';
import { tenantRoutes } from './routes/tenants.js';
import { tenantMemberRoutes } from './routes/tenant-members.js';
import { userRoutes } from './routes/users.js';
import { secondFactorRoutes } from './routes/second-factors.js';
import { clientRoutes } from './routes/clients.js';
import { registrationRoutes } from './routes/registration.js';
import { providerRoutes } from './routes/providers.js';
import { keyRoutes } from './routes/keys.js';
import { eventRoutes } from './routes/events.js';
import { auditRoutes } from './routes/audit.js';

export const API_PREFIX = '/v1';

export const adminRoutes: readonly AdminRoute[] = [
  ...tenantRoutes,
  ...tenantMemberRoutes,
  ...userRoutes,
  ...secondFactorRoutes,
  ...clientRoutes,
  ...registrationRoutes,
  ...providerRoutes,
  ...keyRoutes,
  ...eventRoutes,
  ...auditRoutes,
];
