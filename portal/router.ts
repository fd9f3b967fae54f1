/**
 * The account portal at /account (seed 003, "My portal"): a first-party app of Sesam with its own
 * sign-in and session, where users see and manage their account. Each area registers its pages on
 * the same guarded routes (routes.ts); this file only lists them.
 */
import Router from '@koa/router';
import type { PortalDeps } from './deps.js';
import { portalRoutes } from './routes.js';
import { endSessionUrl, registerAuth } from './auth.js';
import { registerOverview } from './pages/overview.js';
import { registerSecurity } from './pages/security.js';
import { registerSessions } from './pages/sessions.js';
import { registerApps } from './pages/apps.js';
import { registerActivity } from './pages/activity.js';
import { registerAdmin } from './pages/admin.js';

export function portalRouter(deps: PortalDeps): Router {
  const router = new Router();
  registerAuth(router, deps);
  const routes = portalRoutes(router, deps);
  routes.action('/account/logout', async (p) => {
    await deps.sessions.destroy(p.ctx);
    return { redirect: await endSessionUrl(deps, p.session.idToken) };
  });
  registerOverview(routes);
  registerSecurity(routes);
  registerSessions(routes);
  registerApps(routes);
  registerActivity(routes);
  registerAdmin(routes);
  return router;
}
