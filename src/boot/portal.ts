/**
 * Wires the account portal (portal/) to the rest of Sesam: the journey's services it reuses,
 * its session store, its relying-party client of this very server, the account's engine
 * sessions and the read side of the event log. With app.ts and journey.ts, the one place where
 * src/ reaches into the HTTP modules above it.
 */
import type Router from '@koa/router';
import type { Settings } from '../../config/settings.js';
import type { Stores } from './stores.js';
import type { Domain, Repositories } from './domain.js';
import type { Directory } from '../domain/directory.js';
import type { Logger } from '../logger.js';
import type { Services } from '../../interactions/services.js';
import { portalRouter } from '../../portal/router.js';
import { PortalSessions } from '../../portal/session.js';
import { PortalClient, portalClientMetadata, PORTAL_CLIENT_ID } from '../../portal/oidc-client.js';

/** A credential change needs a sign-in of the last five minutes (issue 10). */
const RECENT_SECONDS = 5 * 60;

export function accountPortalRouter(settings: Settings, stores: Stores, repos: Repositories, domain: Domain, services: Services, localOrigin: () => string | undefined): Router {
  return portalRouter({
    services,
    sessions: new PortalSessions(stores.kv, settings.issuer.startsWith('https:')),
    client: new PortalClient({ issuer: settings.issuer, localOrigin }),
    accountSessions: domain.accountSessions,
    eventsRepo: repos.eventsRepo,
    listClients: () => domain.directory.clients.list(),
    tenantAdmin: domain.tenantAdministration,
    recentSeconds: RECENT_SECONDS,
  });
}

/** Registers (or brings up to date) the portal's own client: first party, public, PKCE, serving every tenant. */
export async function bootstrapPortalClient(settings: Settings, directory: Directory, logger: Logger): Promise<void> {
  const wanted = portalClientMetadata(settings.issuer);
  const existing = await directory.clients.find(PORTAL_CLIENT_ID);
  const same = existing?.firstParty && existing.tenants === null && JSON.stringify(existing.metadata.redirect_uris) === JSON.stringify(wanted.redirect_uris) && JSON.stringify(existing.metadata.post_logout_redirect_uris) === JSON.stringify(wanted.post_logout_redirect_uris);
  if (same) return;
  await directory.putClient({ ...wanted, first_party: true, tenants: null });
  logger.info({ clientId: PORTAL_CLIENT_ID }, 'registered the account portal client');
}
