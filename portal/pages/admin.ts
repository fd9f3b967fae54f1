/**
 * The tenant admin console under /account/admin (issue 11): for a member with the `admin` role,
 * their tenant's members, policy and events. The landing page picks the tenant (straight to it
 * when there is one); a user who administers none is refused.
 */
import type { PortalRoutes } from '../routes.js';
import { ADMIN, administered, pickerPage, refusalPage, tenantOf, tenantPath } from './admin-common.js';
import { registerAdminMembers } from './admin-members.js';
import { registerAdminPhone } from './admin-phone.js';
import { registerAdminPolicy } from './admin-policy.js';
import { registerAdminEvents } from './admin-events.js';

export function registerAdmin(routes: PortalRoutes): void {
  routes.page(ADMIN, async (p) => {
    const tenants = administered(p);
    if (tenants.length === 0) return refusalPage(p, 'forbidden');
    if (tenants.length === 1) return { redirect: tenantPath(tenants[0].tenantId, '/members') };
    return pickerPage(p);
  });
  routes.page(`${ADMIN}/:tenant`, async (p) => {
    const tenant = tenantOf(p);
    return tenant ? { redirect: tenantPath(tenant.tenantId, '/members') } : refusalPage(p, 'forbidden');
  });
  registerAdminMembers(routes);
  registerAdminPhone(routes);
  registerAdminPolicy(routes);
  registerAdminEvents(routes);
}
