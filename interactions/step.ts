/** What every step module gets, and the one interface every step implements. */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { PageContext } from './views/layout.js';
import type { Journey } from './journey.js';
import type { Factor, StepName } from './flow.js';
import type { Services } from './services.js';
import type { ClientRecord, Membership, User } from '../src/domain/types.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../src/domain/tenant-policy.js';

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface StepContext {
  ctx: Context;
  uid: string;
  details: InteractionDetails;
  journey: Journey;
  /** The journey as read from the store, to write it back only when it changed. */
  journeyAsLoaded: string;
  services: Services;
  pc: PageContext;
  client: ClientRecord;
  clientName: string;
  user?: User;
  memberships: Membership[];
  /** The user's tenants this client serves. */
  eligible: Membership[];
  meta: { ip: string; userAgent: string; clientId: string };
  /** Second factors: what the tenant allows, and what the user can use now (preferred first). */
  factors: { allowed: Factor[]; usable: Factor[] };
}

export type SubmitResult =
  | { ok: true }
  /** Show the step again: with an error (status 400), or just updated (status 200). */
  | { ok: false; error: string; values?: Record<string, string>; status?: number }
  /** The step ended the interaction itself (e.g. consent denied): nothing more to do. */
  | { ok: 'handled' };

export interface RenderOptions {
  error?: string;
  values?: Record<string, string>;
}

export interface StepModule {
  name: StepName;
  render(sc: StepContext, options?: RenderOptions): Promise<string> | string;
  submit(sc: StepContext, form: Record<string, string>): Promise<SubmitResult>;
}

/** The user's membership of the tenant chosen in this journey, if any. */
export function chosenMembership(sc: StepContext): Membership | undefined {
  return sc.journey.tenantId ? sc.memberships.find((m) => m.tenantId === sc.journey.tenantId) : undefined;
}

/** The chosen tenant's policy; the default policy when no tenant was chosen. */
export function chosenPolicy(sc: StepContext): TenantPolicy {
  return chosenMembership(sc)?.policy ?? DEFAULT_POLICY;
}
