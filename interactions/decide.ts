/**
 * Gathers the facts the flow needs for this request, asks it for the next step, and applies what
 * it settled without asking (the session's account, a tenant). The flow itself stays pure.
 */
import { nextStep, type Factor, type FlowFacts, type PolicyMethod, type StepName } from './flow.js';
import { offerSkipped, readDeviceToken } from './device-cookie.js';
import { loadUser } from './context.js';
import { setUpMethods } from './methods/index.js';
import { chosenMembership, chosenPolicy, type StepContext } from './step.js';
import { requestedLevel, sessionRecord, wantsTwoFactors } from '../src/domain/assurance.js';
import { loadGrantContext } from '../src/oidc/accounts.js';

export async function decide(sc: StepContext): Promise<StepName> {
  const { details, journey } = sc;
  const session = details.session;
  const sessionTenant = session?.accountId && !journey.userId ? await sessionTenantOf(sc) : undefined;
  const provenHere = journey.verifications.some((r) => r.identifies);
  const mfa = journey.tenantId !== undefined && sc.user && (provenHere || journey.intent !== 'sign-in') ? await mfaFacts(sc) : undefined;
  const offerPasskey =
    provenHere && !!sc.user && journey.webauthn === 'platform' && chosenPolicy(sc).offerPasskeys && !offerSkipped(sc.ctx, sc.user.id) ? true : undefined;
  const decision = nextStep({
    intent: journey.intent,
    prompt: details.prompt.name,
    journey: { ...journey, recoveryCodesPending: !!journey.recoveryCodesSealed },
    session: { accountId: session?.accountId, tenantId: sessionTenant },
    request: { organization: details.params.organization as string | undefined },
    user: sc.user ? { mustChangePassword: sc.user.mustChangePassword } : undefined,
    eligibleTenants: sc.eligible.map((m) => m.tenantId),
    clientRestricted: sc.client.tenants !== null,
    // RFC 8252 §8.6: any app can claim a native app's redirect, so a native app never gets a code
    // without the user: one signed in by the browser's session alone confirms on the consent page.
    client: {
      firstParty: sc.client.firstParty && !(sc.client.metadata.application_type === 'native' && journey.verifications.length === 0),
      consentMissing: details.prompt.name === 'consent' || !details.grantId,
    },
    mfa,
    identifierHasPasskey: journey.userId ? undefined : journey.identifierHasPasskey,
    offerPasskey,
  });
  sc.decision = decision;

  if (decision.adoptSession) {
    journey.userId = decision.adoptSession;
    journey.fromSession = true;
    const carried = sessionRecord(session?.amr, Date.now(), session?.acr);
    journey.carried = carried ? [carried] : [];
    await loadUser(sc);
    if (!sc.user || sc.user.disabled) {
      // The session's account is gone or disabled: sign in afresh.
      Object.assign(journey, { userId: undefined, fromSession: undefined, carried: undefined, switchAccount: true });
      await loadUser(sc);
    }
    return decide(sc);
  }
  if (decision.step === 'password' && !journey.identifier && sc.user) journey.identifier = sc.user.login;
  if (decision.tenantId !== undefined) {
    // A tenant settled without asking is recorded with the sign-in (`login.success` names it);
    // only a choice the user made gets an event of its own (steps/tenant.ts).
    journey.tenantId = decision.tenantId;
    // The tenant settles its second-factor policy: ask again with it.
    return decide(sc);
  }
  return decision.step;
}

/** What the flow needs to know of second factors, for the chosen tenant. */
async function mfaFacts(sc: StepContext): Promise<NonNullable<FlowFacts['mfa']>> {
  const user = sc.user!;
  const membership = chosenMembership(sc);
  const tenantPolicy = chosenPolicy(sc);
  // A user of no tenant who switched two-step verification on in the portal is asked for it, as
  // under a tenant that makes it optional.
  const policy = !membership && user.mfaEnabledBy === 'user' && tenantPolicy.mfa === 'off' ? { ...tenantPolicy, mfa: 'optional' as const } : tenantPolicy;
  const params = sc.details.params;
  const acrValues = params.acr_values as string | undefined;
  const forced = wantsTwoFactors(acrValues);
  const fresh = params.max_age !== undefined;
  const allowed: PolicyMethod[] = [...policy.methods];
  // Factors typed as a code have a set-up module; a passkey is created by its own ceremony.
  const setUp = allowed.filter((m) => m in setUpMethods || m === 'passkey');
  const firstConnectionToTenant = !!membership && membership.firstLoginAt === null;
  const base = { policy: policy.mfa, allowed, setUp, firstConnectionToTenant, forced, fresh, phishingResistant: requestedLevel(acrValues) === 'phr' };
  // 2FA off and not asked for: nothing to look up (the common case stays cheap).
  if (policy.mfa === 'off' && !forced && !fresh && sc.journey.intent === 'sign-in') return { ...base, enrolled: [], deviceTrusted: false };
  const enrolled: Factor[] = [];
  if (user.phone && user.phoneVerifiedAt) enrolled.push('sms');
  if (await sc.services.totp.isEnrolled(user.id)) enrolled.push('totp');
  if ((await sc.services.recoveryCodes.remaining(user.id)) > 0) enrolled.push('recovery');
  if ((await sc.services.passkeys.count(user.id)) > 0) enrolled.push('passkey');
  // Sparing follows the tenant being entered: its days, counted from when the device was trusted.
  const deviceTrusted = await sc.services.trustedDevices.isTrusted(user.id, readDeviceToken(sc.ctx, user.id), policy.trustedDeviceDays);
  return { ...base, enrolled, deviceTrusted };
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
