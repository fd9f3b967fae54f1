/**
 * Builds a step's context for one request: the engine's interaction (from its cookie), the
 * journey from the shared store (a new one, with its intent, on the first page), the client, the
 * page's language, and the account the journey has identified.
 */
import type { Context } from 'koa';
import { isLocale } from './i18n/index.js';
import { newJourney } from './journey.js';
import { pageContextFor } from './views/provider-pages.js';
import { errorPage } from './views/layout.js';
import { startRecovery } from './recovery-start.js';
import type { Intent } from './flow.js';
import type { Services } from './services.js';
import { useUser, type InteractionDetails, type StepContext } from './step.js';

/** Reasons of the engine's login prompt that only ask for more proof of the session's account. */
const STEP_UP_REASONS = new Set(['acr_2fa']);

export async function loadContext(ctx: Context, services: Services, expectedUid?: string): Promise<StepContext | undefined> {
  // The journey is asked for with the interaction, in the same round trip to the store; it is
  // used only when the interaction turns out to be the one the URL names.
  const early = expectedUid ? services.journeys.load(expectedUid) : undefined;
  early?.catch(() => undefined);
  let details: InteractionDetails;
  try {
    details = await services.provider().interactionDetails(ctx.req, ctx.res);
  } catch {
    // No interaction cookie, an expired interaction, or its session ended (a credential changed).
    const pc = pageContextFor(ctx, services.defaultLocale);
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = errorPage(pc, pc.t('error.expired'));
    return undefined;
  }
  if (expectedUid && details.uid !== expectedUid) {
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}`);
    return undefined;
  }
  // A journey stored by an older version (no token, no records) starts again rather than half-work.
  const loaded = await (early ?? services.journeys.load(details.uid));
  const stored = loaded?.csrf && Array.isArray(loaded.verifications) ? loaded : undefined;
  const journey = stored ?? newJourney(intentOf(details));
  const journeyAsLoaded = stored ? JSON.stringify(stored) : '';
  if (isLocale(ctx.query.lang)) journey.locale = ctx.query.lang;
  const clientId = String(details.params.client_id);
  const client = (await services.clients.find(clientId)) ?? { clientId, metadata: {}, firstParty: false, tenants: [] };
  const clientName = String(client.metadata.client_name ?? clientId);
  // A new journey carrying an e-mailed link's handle recovers a password (issue 10).
  if (!stored) await startRecovery(services, details, client, journey);
  // The tenant's language, when the request names one: the organization asked for, or the client's only tenant.
  const organization = details.params.organization as string | undefined;
  const contextTenant = organization && (!client.tenants || client.tenants.includes(organization)) ? organization : client.tenants?.length === 1 ? client.tenants[0] : undefined;
  const tenantDefault = contextTenant ? (await services.tenants.find(contextTenant))?.policy.locale : undefined;
  const pc = pageContextFor(ctx, services.defaultLocale, { chosen: journey.locale, uiLocales: details.params.ui_locales as string | undefined, tenantDefault, clientName });
  const sc: StepContext = {
    ctx,
    uid: details.uid,
    details,
    journey,
    journeyAsLoaded,
    services,
    pc,
    client,
    clientName,
    requestTenant: contextTenant,
    memberships: [],
    eligible: [],
    meta: { ip: ctx.ip, userAgent: ctx.get('user-agent'), clientId },
    decision: { step: 'identifier' },
  };
  await loadUser(sc);
  return sc;
}

/** (Re)reads the journey's account and its memberships; a step may have just identified or changed it. */
export async function loadUser(sc: StepContext): Promise<void> {
  const id = sc.journey.userId;
  // Both at once: a missing account simply has no memberships.
  const [user, memberships] = id ? await Promise.all([sc.services.users.findById(id), sc.services.users.memberships(id)]) : [undefined, []];
  useUser(sc, user, memberships);
}

/**
 * A step-up when the engine asks a login only because the app wants more than the session proved
 * (and the session says what it proved: its proof is carried into the new level).
 */
function intentOf(details: InteractionDetails): Intent {
  const reasons = details.prompt.reasons ?? [];
  const session = details.session as { accountId?: string; amr?: string[] } | undefined;
  const stepUp = details.prompt.name === 'login' && !!session?.accountId && !!session.amr?.length && reasons.length > 0 && reasons.every((r) => STEP_UP_REASONS.has(r));
  return stepUp ? 'step-up' : 'sign-in';
}

/** Writes the journey back only when this request changed it. */
export async function saveJourney(sc: StepContext): Promise<void> {
  const now = JSON.stringify(sc.journey);
  if (now === sc.journeyAsLoaded) return;
  await sc.services.journeys.save(sc.uid, sc.journey);
  sc.journeyAsLoaded = now;
}
