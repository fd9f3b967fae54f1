/**
 * Signing in with an upstream provider (issue 12): the button on the identifier page posts to
 * /interaction/:uid/upstream/:provider, which sends the browser to the provider with what the
 * journey keeps to check its answer; the provider answers at /interaction/callback/:provider.
 * There the account is found (src/domain/federation.ts) and the journey goes on with one more
 * verification record: `upstream:<id>`, amr `fed`, one factor — or two when the operator trusts
 * the provider for it and its answer says the assurance asked for. Every bad answer ends on a
 * page in the user's language with the way back to the sign-in; nothing is linked or signed in.
 */
import type { VerificationRecord } from '../src/domain/assurance.js';
import { providerName, type UpstreamProvider } from '../src/model/upstream-provider.js';
import { UpstreamError, type UpstreamIdentity } from '../src/upstream/upstream-client.js';
import { html } from './views/html.js';
import { page } from './views/layout.js';
import type { StepContext, SubmitResult } from './step.js';

/** The provider's answer can be checked this long after the button was pressed. */
const UPSTREAM_WINDOW_MS = 10 * 60 * 1000;

const stateKey = (state: string) => `upstream:state:${state}`;

/** The journey an upstream answer belongs to, by its state (the provider comes back outside the journey's cookie path). */
export async function journeyOfState(services: StepContext['services'], state: string | undefined): Promise<string | undefined> {
  if (!state || state.length > 200) return undefined;
  return services.kv.get<string>(stateKey(state));
}

export const callbackUri = (issuer: string, providerId: string) => `${issuer.replace(/\/$/, '')}/interaction/callback/${encodeURIComponent(providerId)}`;

/**
 * What the provider's sign-in proved. Trusted for two factors (itsme, an eID) only when the
 * operator says so and, if Sesam asked it for an assurance (`acrValues`), its answer names one of
 * them: fail closed, an answer at a lower level counts as one factor.
 */
export function upstreamRecord(provider: UpstreamProvider, identity: Pick<UpstreamIdentity, 'acr'>, at = Date.now()): VerificationRecord {
  const asked = provider.acrValues?.split(' ').filter(Boolean) ?? [];
  const twoFactors = provider.trustedForTwoFactors && (asked.length === 0 || (!!identity.acr && asked.includes(identity.acr)));
  return {
    method: `upstream:${provider.id}`,
    at,
    amr: ['fed'],
    factors: twoFactors ? ['knowledge', 'possession'] : ['knowledge'],
    identifies: true,
  };
}

/** The button's text: "Connexion avec Google". */
export function providerLabel(sc: StepContext, provider: Pick<UpstreamProvider, 'id' | 'label'>): string {
  const name = providerName(provider, sc.pc.locale);
  return sc.pc.t('upstream.signInWith', { name });
}

/** The providers this sign-in offers: the app's and the tenant's, when it is known. */
export async function offeredProviders(sc: StepContext): Promise<Pick<UpstreamProvider, 'id' | 'label' | 'icon'>[]> {
  // The tenant when known: chosen already, or the one the request names.
  return sc.services.federation.providers.shownFor({ tenantId: sc.journey.tenantId ?? sc.requestTenant ?? null, clientId: sc.client.clientId });
}

/** The button was pressed: off to the provider, with what the callback must find. */
export async function startUpstream(sc: StepContext, providerId: string): Promise<SubmitResult> {
  const offered = (await offeredProviders(sc)).some((p) => p.id === providerId);
  // The offered list carries no secrets: the leg needs the provider as stored.
  const provider = offered ? await sc.services.federation.providers.find(providerId) : undefined;
  if (!provider) return { ok: false, status: 404, error: sc.pc.t('callback.unknown') };
  try {
    const { url, pending } = await sc.services.federation.client.start(provider, {
      redirectUri: callbackUri(sc.services.issuer, provider.id),
      loginHint: sc.journey.identifier,
      uiLocales: sc.pc.locale,
    });
    sc.journey.challenges.upstream = pending;
    await Promise.all([sc.services.journeys.save(sc.uid, sc.journey), sc.services.kv.set(stateKey(pending.state), sc.uid, UPSTREAM_WINDOW_MS / 1000)]);
    await sc.services.events.record({ type: 'login.upstream_started', userId: sc.journey.userId, ...sc.meta, method: `upstream:${provider.id}` });
    sc.ctx.status = 303;
    sc.ctx.redirect(url);
    return { ok: 'handled' };
  } catch (err) {
    return problem(sc, provider.id, err);
  }
}

/**
 * The provider's answer. Checked against this journey's pending start (a replayed or foreign
 * answer finds none), then the account; the journey goes on, or a page says why not.
 */
export async function finishUpstream(sc: StepContext, providerId: string, query: Record<string, string>): Promise<SubmitResult> {
  const pending = sc.journey.challenges.upstream;
  // Single use: whatever happens now, this answer cannot be replayed.
  sc.journey.challenges.upstream = undefined;
  await sc.services.journeys.save(sc.uid, sc.journey);
  const provider = await sc.services.federation.providers.find(providerId);
  if (!provider || !provider.enabled) return problem(sc, providerId, new UpstreamError('misconfigured', 'unknown or disabled provider'));
  if (!pending || pending.providerId !== providerId || Date.now() - pending.startedAt > UPSTREAM_WINDOW_MS) {
    return problem(sc, providerId, new UpstreamError('state_mismatch', 'no sign-in with this provider is under way in this journey'));
  }
  let identity: UpstreamIdentity;
  try {
    identity = await sc.services.federation.client.finish(provider, pending, { redirectUri: callbackUri(sc.services.issuer, providerId), query });
  } catch (err) {
    return problem(sc, providerId, err);
  }

  const outcome = await sc.services.federation.accounts.resolve(provider, identity, { clientTenants: sc.client.tenants, meta: sc.meta });
  const method = `upstream:${provider.id}`;
  switch (outcome.kind) {
    case 'account': {
      const user = outcome.user;
      if (sc.journey.userId !== user.id) {
        sc.journey.tenantId = undefined;
        sc.journey.verifications = [];
      }
      sc.journey.userId = user.id;
      sc.journey.identifier = user.login;
      sc.journey.fromSession = false;
      sc.journey.carried = undefined;
      sc.journey.pendingLink = undefined;
      sc.journey.verifications = [...sc.journey.verifications.filter((r) => r.method !== method), upstreamRecord(provider, identity)];
      await sc.services.events.record({ type: 'login.upstream_ok', userId: user.id, ...sc.meta, method, details: { how: outcome.how } });
      return { ok: true };
    }
    case 'prove-account':
      // Prove the account once (password, then its second factor per policy); the link is made when the sign-in ends.
      sc.journey.verifications = [];
      sc.journey.userId = undefined;
      sc.journey.fromSession = false;
      sc.journey.identifier = outcome.user.login;
      sc.journey.pendingLink = { providerId: provider.id, subject: identity.subject, email: identity.email, userId: outcome.user.id };
      sc.journey.notice = undefined;
      await sc.services.events.record({ type: 'login.upstream_link_pending', userId: outcome.user.id, ...sc.meta, method });
      return { ok: true };
    default:
      await sc.services.events.record({ type: 'login.upstream_refused', ...sc.meta, method, details: { reason: outcome.kind } });
      return showPage(sc, 403, sc.pc.t(`upstream.${outcome.kind === 'unverified-email' ? 'unverifiedEmail' : outcome.kind === 'disabled' ? 'disabled' : 'noAccount'}`, { name: providerName(provider, sc.pc.locale) }));
  }
}

/** The link an account proved in this journey asked for, made as the sign-in ends. */
export async function completePendingLink(sc: StepContext): Promise<void> {
  const link = sc.journey.pendingLink;
  if (!link || link.userId !== sc.journey.userId) return;
  const provider = await sc.services.federation.providers.find(link.providerId);
  if (!provider) return;
  await sc.services.federation.accounts.link(link.userId, provider, { subject: link.subject, email: link.email, emailVerified: true, name: null }, { ...sc.meta, how: 'proved' });
  sc.journey.pendingLink = undefined;
}

function problem(sc: StepContext, providerId: string, err: unknown): SubmitResult {
  const code = err instanceof UpstreamError ? err.code : 'unreachable';
  sc.services.logger.warn({ provider: providerId, code, reason: (err as Error).message }, 'upstream sign-in failed');
  void sc.services.events.record({ type: 'login.upstream_failed', userId: sc.journey.userId, ...sc.meta, method: `upstream:${providerId}`, details: { code } });
  const status = code === 'unreachable' ? 502 : 400;
  return showPage(sc, status, sc.pc.t(`upstream.error.${code}`));
}

function showPage(sc: StepContext, status: number, message: string): SubmitResult {
  const { t } = sc.pc;
  sc.ctx.status = status;
  sc.ctx.type = 'html';
  sc.ctx.body = page(
    sc.pc,
    t('upstream.problemTitle'),
    html`<h1>${t('upstream.problemTitle')}</h1>
<div role="alert">${message}</div>
<a class="button" href="/interaction/${sc.uid}">${t('upstream.back')}</a>`,
  );
  return { ok: 'handled' };
}
