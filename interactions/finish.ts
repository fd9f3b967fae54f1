/**
 * The end of a journey: the engine gets the login (acr and amr derived from the journey's
 * verification records, "stay signed in") and a grant holding the requested scopes; the chosen
 * tenant is stored with the grant for org_id / org_name.
 */
import { assess } from '../src/domain/assurance.js';
import { loadGrantContext, saveGrantContext } from '../src/oidc/accounts.js';
import { SCOPES } from '../src/model/scopes.js';
import { chosenMembership, type StepContext } from './step.js';
import { completePendingLink } from './upstream.js';

/**
 * Hands the result to the engine. A page request is redirected to the engine's resume; a JSON
 * request (a passkey ceremony that ended the journey) gets the resume URL to go to, saving the
 * page script a round trip.
 */
export async function finishJourney(sc: StepContext, answer: 'redirect' | 'url' = 'redirect'): Promise<string | undefined> {
  const { services, details, journey } = sc;
  const provider = services.provider();
  const accountId = journey.userId!;
  const clientId = sc.client.clientId;
  const tenantId = journey.tenantId ?? null;
  const membership = chosenMembership(sc);
  const tenantName = membership?.tenantName ?? null;
  // The account an upstream identity matched is proven now: link them (issue 12).
  if (journey.pendingLink && journey.verifications.length > 0) await completePendingLink(sc);

  // Reuse the session's grant only when it is the same account and the same tenant.
  let grant;
  if (details.grantId && !journey.switchAccount) {
    const existing = await provider.Grant.find(details.grantId);
    const ctxOfGrant = existing ? await loadGrantContext(services.kv, details.grantId) : undefined;
    if (existing && existing.accountId === accountId && (ctxOfGrant?.tenantId ?? null) === tenantId) grant = existing;
  }
  grant ??= new provider.Grant({ accountId, clientId });
  const allowed = new Set(String(sc.client.metadata.scope ?? '').split(' '));
  const requested = String(details.params.scope ?? 'openid')
    .split(' ')
    .filter((s) => (SCOPES as readonly string[]).includes(s) && allowed.has(s));
  grant.addOIDCScope(requested.join(' '));
  const missingClaims = (details.prompt.details as { missingOIDCClaims?: string[] }).missingOIDCClaims;
  if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
  const grantId = await grant.save();
  const result: Record<string, unknown> = { consent: { grantId }, select_account: {} };
  const proved = journey.verifications.length > 0;
  if (proved) {
    const { acr, amr } = assess([...(journey.carried ?? []), ...journey.verifications]);
    result.login = { accountId, acr, amr, remember: await remember(sc) };
  }
  // Independent writes, at once: a sign-in's last step is on every sign-in's path.
  await Promise.all([
    saveGrantContext(services.kv, grantId, { tenantId, tenantName }, services.grantTtlSeconds),
    services.credentials.signedIn(accountId, {
      proved,
      firstToTenant: tenantId && membership?.firstLoginAt === null ? tenantId : undefined,
      lockouts: sc.user?.id === accountId ? sc.user.lockouts : undefined,
    }),
    services.events.record({
      type: 'login.success',
      userId: accountId,
      ...sc.meta,
      tenantId,
      method: proved ? journey.verifications.map((r) => r.method).join('+') : 'session',
    }),
    services.journeys.delete(sc.uid),
  ]);
  const returnTo = await storeResult(details, result);
  if (answer === 'url') return returnTo;
  sc.ctx.status = 303;
  sc.ctx.redirect(returnTo);
  return undefined;
}

/**
 * The engine's `interactionResult` (with `mergeWithLastSubmission: false`) on the interaction this
 * request already loaded (context.ts), rather than reading it from the store a second time.
 */
async function storeResult(details: StepContext['details'], result: Record<string, unknown>): Promise<string> {
  details.result = result;
  await details.save(details.exp - Math.floor(Date.now() / 1000));
  return details.returnTo;
}

/** "Stay signed in" as asked on the password page; a step-up keeps what the session had. */
async function remember(sc: StepContext): Promise<boolean> {
  if (sc.journey.remember !== undefined) return sc.journey.remember;
  const uid = sc.journey.fromSession ? sc.details.session?.uid : undefined;
  if (!uid) return false;
  const session = await sc.services.provider().Session.findByUid(uid);
  return !!session && !session.transient;
}
