/**
 * What every step module gets, and the one interface every step implements. A step renders a
 * page, and takes a form POST, a JSON POST (WebAuthn ceremonies answer JSON), or both; the
 * registry (steps/index.ts) is typed so a step the flow can name but nobody implements is a
 * compile error.
 */
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { PageContext } from './views/layout.js';
import type { Journey } from './journey.js';
import type { Decision, PageStep, RequiredAction } from './flow.js';
import type { Services } from './services.js';
import type { ClientRecord, Membership, User } from '../src/model/types.js';
import type { RequestMeta } from '../src/domain/events.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../src/model/tenant-policy.js';

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
  /**
   * The tenant the request names before any is chosen: `organization` when the app serves it,
   * else the app's only tenant. Never guessed from a typed identifier.
   */
  requestTenant?: string;
  user?: User;
  memberships: Membership[];
  /** The user's tenants this client serves. */
  eligible: Membership[];
  meta: { ip: string; userAgent: string; clientId: string };
  /** What the flow decided for this request: its step and the methods it offers there. */
  decision: Decision;
}

export type SubmitResult =
  /**
   * `userLoaded`: the step left `sc.user` and `sc.memberships` as they are now in the database
   * (it read them itself, or changed nothing of the account): they need not be read again.
   */
  | { ok: true; userLoaded?: true }
  /** Show the step again: with an error (status 400), or just updated (status 200). */
  | { ok: false; error: string; values?: Record<string, string>; status?: number }
  /** The step ended the interaction itself (e.g. consent denied): nothing more to do. */
  | { ok: 'handled' };

/** A JSON answer: `data` for the page script (ceremony options), else it loads the journey again. */
export type JsonResult = { ok: true; data?: Record<string, unknown> } | { ok: false; status: number; error: string; message: string };

export interface RenderOptions {
  error?: string;
  values?: Record<string, string>;
}

export interface StepModule<N extends PageStep = PageStep> {
  name: N;
  render(sc: StepContext, options?: RenderOptions): Promise<string> | string;
  /** A form POST to the step. */
  submit?(sc: StepContext, form: Record<string, string>): Promise<SubmitResult>;
  /** A JSON POST to the step. */
  json?(sc: StepContext, body: Record<string, unknown>): Promise<JsonResult>;
}

/** One module for every step that shows a page: a missing one does not compile. */
export type StepRegistry = { [N in PageStep]: StepModule<N> };

/** Sets the journey's account and its memberships, and the tenants of them the app serves. */
export function useUser(sc: StepContext, user: User | undefined, memberships: Membership[]): void {
  sc.user = user;
  sc.memberships = user ? memberships : [];
  const allowed = sc.client.tenants;
  sc.eligible = allowed ? sc.memberships.filter((m) => allowed.includes(m.tenantId)) : sc.memberships;
}

/** The user's membership of the tenant chosen in this journey, if any. */
export function chosenMembership(sc: StepContext): Membership | undefined {
  return sc.journey.tenantId ? sc.memberships.find((m) => m.tenantId === sc.journey.tenantId) : undefined;
}

/** The chosen tenant's policy; the default policy when no tenant was chosen. */
export function chosenPolicy(sc: StepContext): TenantPolicy {
  return chosenMembership(sc)?.policy ?? DEFAULT_POLICY;
}

/** Notes an action after proof as done (or, for the passkey offer, declined) in this journey. */
export function markDone(sc: StepContext, action: RequiredAction): void {
  sc.journey.done = [...new Set([...(sc.journey.done ?? []), action])];
}

/** What events and credential changes record of this request. */
export function requestMeta(sc: StepContext): RequestMeta {
  return { ...sc.meta, tenantId: sc.journey.tenantId ?? null };
}

/** The browser session to keep when this user changes a credential here (their own browser). */
export function ownSessionUid(sc: StepContext): string | undefined {
  const session = sc.details.session;
  return session?.accountId && session.accountId === sc.user?.id ? session.uid : undefined;
}
