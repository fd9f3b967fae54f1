/**
 * What the portal's pages may call, built once at boot (src/boot/portal.ts). The portal reuses
 * the journey's services (the same credentials service, methods and stores), so a change made
 * here is the change a sign-in would make.
 */
import type { Services } from '../interactions/services.js';
import type { AccountSessions } from '../src/oidc/account-sessions.js';
import type { EventsRepository } from '../src/repositories/events-repository.js';
import type { ClientRecord } from '../src/model/types.js';
import type { TenantAdministration } from '../src/domain/tenant-administration.js';
import type { PortalSessions } from './session.js';
import type { PortalClient } from './oidc-client.js';

export interface PortalDeps {
  services: Services;
  sessions: PortalSessions;
  client: PortalClient;
  /** The account's sessions and grants in the engine (list, end). */
  accountSessions: AccountSessions;
  /** Read side of the event log (recent sign-ins). */
  eventsRepo: EventsRepository;
  /** Every registered client (the applications page). */
  listClients: () => Promise<ClientRecord[]>;
  /** What a tenant's admins may do in their tenant (the console under /account/admin). */
  tenantAdmin: TenantAdministration;
  /** Seconds after a sign-in during which credential changes need no new proof. */
  recentSeconds: number;
}
