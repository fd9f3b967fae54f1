/**
 * The end of a journey: the engine gets the login (acr, amr, remember) and a grant holding
 * the requested scopes; the chosen tenant is stored with the grant for org_id / org_name.
 */
import { acrAmr } from '../src/oidc/acr.js';
import { loadGrantContext, saveGrantContext } from '../src/oidc/accounts.js';
import { SCOPES } from '../src/oidc/configuration.js';
import { chosenMembership, type StepContext } from './step.js';

export async function finishJourney(sc: StepContext): Promise<void> {
  const { services, details, journey } = sc;
  const provider = services.provider();
  const accountId = journey.userId!;
  const clientId = sc.client.clientId;
  const tenantId = journey.tenantId ?? null;
  const membership = chosenMembership(sc);
  const tenantName = membership?.tenantName ?? null;

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
  await saveGrantContext(services.kv, grantId, { tenantId, tenantName }, services.grantTtlSeconds);

  const result: Record<string, unknown> = { consent: { grantId }, select_account: {} };
  if (!journey.fromSession) {
    const { acr, amr } = acrAmr(journey.methods);
    result.login = { accountId, acr, amr, remember: journey.remember === true };
  }
  if (tenantId && membership?.firstLoginAt === null) await services.users.markFirstLogin(accountId, tenantId);
  await services.events.record({
    type: 'login.success',
    userId: accountId,
    ...sc.meta,
    tenantId,
    method: journey.fromSession ? 'session' : journey.methods.join('+'),
  });
  await services.journeys.delete(sc.uid);
  await provider.interactionFinished(sc.ctx.req, sc.ctx.res, result, { mergeWithLastSubmission: false });
  sc.ctx.respond = false;
}
