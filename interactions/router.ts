/**
 * HTTP for the login journey. Each request loads the interaction and its journey from the
 * store, asks the flow for the current step, and either renders it or hands a submission to
 * it. A submission to a step that is no longer current (back button, reload, second tab)
 * answers with the current step instead of an error.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { nextStep, type Factor, type FlowFacts, type StepName } from './flow.js';
import { readDeviceToken } from './device-cookie.js';
import { wantsTwoFactors } from '../src/oidc/acr.js';
import { steps } from './steps/index.js';
import { finishJourney } from './finish.js';
import type { Services } from './services.js';
import { chosenMembership, chosenPolicy, type StepContext } from './step.js';
import { pageContextFor } from './views/provider-pages.js';
import { isLocale } from './i18n/index.js';
import { loadGrantContext } from '../src/oidc/accounts.js';
import { errorPage } from './views/layout.js';

export function interactionRouter(services: Services): Router {
  const router = new Router({ prefix: '/interaction' });
  const forms = bodyParser({ enableTypes: ['form'], formLimit: '32kb' });

  router.get('/:uid', async (ctx) => {
    const sc = await load(ctx, services);
    if (!sc) return;
    await advance(sc);
  });

  router.post('/:uid/:step', forms, async (ctx) => {
    const sc = await load(ctx, services);
    if (!sc) return;
    const decision = await decide(sc);
    if (decision !== ctx.params.step || !steps[decision]) {
      ctx.redirect(`/interaction/${sc.uid}`);
      ctx.status = 303;
      return;
    }
    const form = normalizeForm(ctx.request.body);
    const outcome = await steps[decision]!.submit(sc, form);
    if (outcome.ok === 'handled') return;
    await saveJourney(sc);
    if (outcome.ok === false) {
      ctx.status = outcome.status ?? 400;
      ctx.type = 'html';
      ctx.body = await steps[decision]!.render(sc, { error: outcome.error || undefined, values: outcome.values });
      return;
    }
    // The step may have proven an account or changed it: refresh that, then move on.
    await loadUser(sc);
    await advance(sc, true);
  });

  router.get('/:uid/restart', async (ctx) => {
    const sc = await load(ctx, services);
    if (!sc) return;
    await services.journeys.save(sc.uid, { methods: [], switchAccount: true, locale: sc.journey.locale, remember: sc.journey.remember });
    ctx.status = 303;
    ctx.redirect(`/interaction/${sc.uid}`);
  });

  router.get('/:uid/abort', async (ctx) => {
    const sc = await load(ctx, services);
    if (!sc) return;
    await services.journeys.delete(sc.uid);
    await services.provider().interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    ctx.respond = false;
  });

  return router;
}

/** Renders the current step, or finishes. `redirect` after a POST so a reload never resubmits. */
async function advance(sc: StepContext, redirect = false): Promise<void> {
  const step = await decide(sc);
  await saveJourney(sc);
  if (step === 'finish') return finishJourney(sc);
  if (redirect) {
    sc.ctx.status = 303;
    sc.ctx.redirect(`/interaction/${sc.uid}`);
    return;
  }
  sc.ctx.type = 'html';
  sc.ctx.body = await steps[step]!.render(sc);
}

/** Writes the journey back only when this request changed it. */
async function saveJourney(sc: StepContext): Promise<void> {
  const now = JSON.stringify(sc.journey);
  if (now === sc.journeyAsLoaded) return;
  await sc.services.journeys.save(sc.uid, sc.journey);
  sc.journeyAsLoaded = now;
}

/** Asks the flow for the current step and applies what it settled (adopted account, tenant). */
async function decide(sc: StepContext): Promise<StepName> {
  const { details, journey } = sc;
  const session = details.session;
  let sessionTenant: string | null | undefined;
  if (session?.accountId && !journey.userId) sessionTenant = await sessionTenantOf(sc);
  const mfa = journey.tenantId !== undefined && journey.methods.includes('pwd') ? await mfaFacts(sc) : undefined;
  const decision = nextStep({
    prompt: details.prompt.name,
    journey,
    session: { accountId: session?.accountId, tenantId: sessionTenant },
    request: { organization: details.params.organization as string | undefined },
    user: sc.user ? { mustChangePassword: sc.user.mustChangePassword } : undefined,
    eligibleTenants: sc.eligible.map((m) => m.tenantId),
    clientRestricted: sc.client.tenants !== null,
    client: { firstParty: sc.client.firstParty, consentMissing: details.prompt.name === 'consent' || !details.grantId },
    mfa,
  });
  if (decision.adoptSession) {
    journey.userId = decision.adoptSession;
    journey.fromSession = true;
    journey.methods = [...((session as { amr?: string[] } | undefined)?.amr ?? [])];
    await loadUser(sc);
    return decide(sc);
  }
  if (decision.tenantId !== undefined) {
    journey.tenantId = decision.tenantId;
    if (decision.tenantId && journey.fromSession === false) {
      await sc.services.events.record({ type: 'login.tenant_chosen', userId: journey.userId, ...sc.meta, tenantId: decision.tenantId, details: { automatic: true } });
    }
    // The tenant settles its second-factor policy: ask again with it.
    if (journey.methods.includes('pwd')) return decide(sc);
  }
  return decision.step;
}

/** What the flow needs to know of second factors, for the chosen tenant; also fills `sc.factors`. */
async function mfaFacts(sc: StepContext): Promise<NonNullable<FlowFacts['mfa']>> {
  const user = sc.user!;
  const membership = chosenMembership(sc);
  const policy = chosenPolicy(sc);
  const allowed: Factor[] = policy.mfa === 'off' ? [] : policy.methods.filter((m): m is 'sms' | 'totp' => m === 'sms' || m === 'totp');
  const params = sc.details.params;
  const forced = wantsTwoFactors(params.acr_values as string | undefined) || params.max_age !== undefined;
  const firstConnectionToTenant = !!membership && membership.firstLoginAt === null;
  // 2FA off and not asked for by the app: nothing to look up (the common case stays cheap).
  if (policy.mfa === 'off' && !forced) return { policy: 'off', allowed, enrolled: [], firstConnectionToTenant, deviceTrusted: false, forced };
  const enrolled: Factor[] = [];
  if (user.phone && user.phoneVerifiedAt) enrolled.push('sms');
  if (await sc.services.totp.isEnrolled(user.id)) enrolled.push('totp');
  if ((await sc.services.recoveryCodes.remaining(user.id)) > 0) enrolled.push('recovery');
  const rank = (f: Factor) => (f === user.preferredFactor ? 0 : f === 'recovery' ? 2 : 1);
  const usable = (forced ? enrolled : enrolled.filter((x) => x === 'recovery' || allowed.includes(x))).sort((a, b) => rank(a) - rank(b));
  sc.factors = { allowed, usable: usable.some((x) => x !== 'recovery') ? usable : [] };
  return {
    policy: policy.mfa,
    allowed,
    enrolled,
    firstConnectionToTenant,
    deviceTrusted: await sc.services.trustedDevices.isTrusted(user.id, readDeviceToken(sc.ctx, user.id)),
    forced,
  };
}

/** The tenant already chosen in this browser session (any of its grants), for "remembered for the session". */
async function sessionTenantOf(sc: StepContext): Promise<string | null | undefined> {
  const uid = sc.details.session?.uid;
  if (!uid) return undefined;
  const session = await sc.services.provider().Session.findByUid(uid);
  const authorizations = (session?.authorizations ?? {}) as Record<string, { grantId?: string }>;
  for (const { grantId } of Object.values(authorizations)) {
    if (!grantId) continue;
    const gc = await loadGrantContext(sc.services.kv, grantId);
    if (gc) return gc.tenantId;
  }
  return undefined;
}

async function load(ctx: Context, services: Services): Promise<StepContext | undefined> {
  const provider = services.provider();
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    const pc = pageContextFor(ctx, services.defaultLocale);
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = errorPage(pc, pc.t('error.expired'));
    return undefined;
  }
  if (details.uid !== ctx.params.uid) {
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}`);
    return undefined;
  }
  const journey = await services.journeys.load(details.uid);
  const journeyAsLoaded = JSON.stringify(journey);
  if (isLocale(ctx.query.lang)) journey.locale = ctx.query.lang;
  const clientId = String(details.params.client_id);
  const client = (await services.clients.find(clientId)) ?? { clientId, metadata: {}, firstParty: false, tenants: [] };
  const clientName = String(client.metadata.client_name ?? clientId);
  // The tenant's language, when the request names one: the organization asked for, or the client's only tenant.
  const organization = details.params.organization as string | undefined;
  const contextTenant = organization && (!client.tenants || client.tenants.includes(organization)) ? organization : client.tenants?.length === 1 ? client.tenants[0] : undefined;
  const tenantDefault = contextTenant ? (await services.tenants.find(contextTenant))?.policy.locale : undefined;
  const pc = pageContextFor(ctx, services.defaultLocale, {
    chosen: journey.locale,
    uiLocales: details.params.ui_locales as string | undefined,
    tenantDefault,
    clientName,
  });
  const sc: StepContext = {
    ctx,
    uid: details.uid,
    details,
    journey,
    services,
    pc,
    client,
    clientName,
    memberships: [],
    eligible: [],
    factors: { allowed: [], usable: [] },
    journeyAsLoaded,
    meta: { ip: ctx.ip, userAgent: ctx.get('user-agent'), clientId },
  };
  await loadUser(sc);
  return sc;
}

async function loadUser(sc: StepContext): Promise<void> {
  if (!sc.journey.userId) return;
  sc.user = await sc.services.users.findById(sc.journey.userId);
  sc.memberships = sc.user ? await sc.services.users.memberships(sc.user.id) : [];
  const allowed = sc.client.tenants;
  sc.eligible = allowed ? sc.memberships.filter((m) => allowed.includes(m.tenantId)) : sc.memberships;
}

function normalizeForm(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) out[k] = Array.isArray(v) ? String(v[0] ?? '') : String(v ?? '');
  }
  return out;
}
