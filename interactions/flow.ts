/**
 * The login flow as data: a pure function from what is known about the journey to the next
 * step. No I/O, no HTTP: it is tested as a table (test/unit/flow.test.ts).
 *
 * What was proven is a list of verification records; how strong that is comes from
 * `assess` (src/domain/assurance.ts), never from which page was seen. A journey has an intent:
 * - `sign-in`: identify the account, then prove as much as the tenant and the app ask;
 * - `step-up`: the browser's session already identified the account, the app asks for more
 *   (acr_values): prove a second factor now, nothing else;
 * - `recover`: an e-mailed link identified the account (issue 10): a second factor the user has
 *   is still asked (NIST: a reset link alone never bypasses it), then a new password, then the
 *   journey goes on as a sign-in with that password (the link itself proves no factor).
 * Actions required after proof (replace a password someone else chose, set up a factor the
 * tenant requires, keep the recovery codes) come after the proofs, in that order of safety.
 */
import { assess, type VerificationRecord } from '../src/domain/assurance.js';

export type StepName =
  | 'identifier'
  | 'password'
  | 'tenant'
  | 'no-access'
  | 'second-factor'
  | 'enroll-second-factor'
  | 'mfa-unavailable'
  | 'recovery-codes'
  | 'change-password'
  | 'consent'
  | 'finish';

/** Steps that show a page (`finish` hands the result to the engine). */
export type PageStep = Exclude<StepName, 'finish'>;

export type Intent = 'sign-in' | 'step-up' | 'recover';

/** Second factors a user can have enrolled; `recovery` stands in for the others. */
export type Factor = 'sms' | 'totp' | 'recovery';

/** Methods a tenant's policy can name. */
export type PolicyMethod = 'sms' | 'totp' | 'passkey';

/** Actions required after proof, once done in this journey. */
export type RequiredAction = 'change-password' | 'enroll-second-factor' | 'recovery-codes';

export interface FlowFacts {
  intent: Intent;
  /** The engine's prompt for this interaction: 'login', 'select_account' or 'consent'. */
  prompt: string;
  journey: {
    identifier?: string;
    userId?: string;
    switchAccount?: boolean;
    tenantId?: string | null;
    /** Proofs made in this journey. */
    verifications: VerificationRecord[];
    /** What the adopted browser session had proven (counts towards the level, never as a proof of this journey). */
    carried?: VerificationRecord[];
    /** The password typed no longer meets the rules. */
    passwordOutdated?: boolean;
    done?: RequiredAction[];
    /** Recovery codes drawn in this journey and not yet shown. */
    recoveryCodesPending?: boolean;
    consented?: boolean;
  };
  /** The signed-in account of the browser session, and the tenant it chose, if any. */
  session: { accountId?: string; tenantId?: string | null };
  request: { organization?: string };
  /** Known once an account is identified. */
  user?: { mustChangePassword: boolean };
  /** The user's tenants that this client serves. */
  eligibleTenants: string[];
  /** The client serves only some tenants (a tenant must be chosen). */
  clientRestricted: boolean;
  client: { firstParty: boolean; consentMissing: boolean };
  /** Second-factor facts, once the account and tenant are known. */
  mfa?: {
    /** The chosen tenant's policy (`off` with no tenant). */
    policy: 'off' | 'optional' | 'required';
    /** Methods the tenant allows (its policy's list). */
    allowed: PolicyMethod[];
    /** Of those, the ones a user can set up inside a sign-in on this server. */
    setUp: PolicyMethod[];
    /** Factors the user has proven before (`recovery` when codes remain). */
    enrolled: Factor[];
    /** No sign-in into this tenant yet (seed 000: always asked then). */
    firstConnectionToTenant: boolean;
    /** This browser is a device the user trusted, within the tenant's trustedDeviceDays. */
    deviceTrusted: boolean;
    /** acr_values asks for two factors, or max_age asks for a fresh login. */
    forced: boolean;
  };
}

export interface Decision {
  step: StepName;
  /** The account to adopt from the session, when the journey has none yet. */
  adoptSession?: string;
  /** A tenant chosen without asking (organization parameter, only tenant, the session's). */
  tenantId?: string | null;
  /** second-factor: the factors that may be proven now; enroll-second-factor: the methods that may be set up. */
  methods?: (Factor | PolicyMethod)[];
}

export function nextStep(f: FlowFacts): Decision {
  const decision: Decision = { step: 'finish' };
  const j = f.journey;
  let userId = j.userId;

  // 1. Who: the session's account unless the engine asks for a login (a step-up keeps it), the
  // user switches, or a password is being recovered.
  const adoptable = f.intent === 'step-up' || (f.intent === 'sign-in' && f.prompt !== 'login');
  if (!userId && adoptable && !j.switchAccount && f.session.accountId) {
    userId = decision.adoptSession = f.session.accountId;
  }
  if (!userId) return { step: j.identifier ? 'password' : 'identifier' };

  const provenHere = j.verifications.some((r) => r.identifies);
  // A password someone else chose is replaced only by who proves the account in this journey:
  // a browser session never sets a password it did not prove.
  if (f.user?.mustChangePassword && !provenHere) return { ...decision, step: 'password' };

  // 2. Which tenant.
  if (j.tenantId === undefined) {
    const eligible = f.eligibleTenants;
    if (eligible.length === 0) {
      if (f.clientRestricted) return { ...decision, step: 'no-access' };
      decision.tenantId = null; // a user of no tenant, on an app open to all
    } else if (f.request.organization && eligible.includes(f.request.organization)) {
      decision.tenantId = f.request.organization;
    } else if (f.prompt === 'select_account') {
      return { ...decision, step: 'tenant' };
    } else if (f.session.accountId === userId && f.session.tenantId && eligible.includes(f.session.tenantId)) {
      decision.tenantId = f.session.tenantId;
    } else if (eligible.length === 1) {
      decision.tenantId = eligible[0];
    } else {
      return { ...decision, step: 'tenant' };
    }
  }

  const done = j.done ?? [];
  const m = f.mfa;
  if (f.intent === 'recover') {
    const confirmed = j.verifications.some((r) => !r.identifies);
    if (m && m.enrolled.length > 0 && !confirmed) return { ...decision, step: 'second-factor', methods: m.enrolled };
    if (!done.includes('change-password')) return { ...decision, step: 'change-password' };
    if (!j.verifications.some((r) => r.method === 'password')) return { ...decision, step: 'password' };
  }

  // 3. How strongly: checked after every proof of this journey (an adopted session was checked
  // when it signed in), and always in a step-up or a recovery.
  const assurance = assess([...(j.carried ?? []), ...j.verifications]);
  const checking = provenHere || f.intent !== 'sign-in';
  if (m && checking) {
    const needed = strengthStep(m, f.intent, assurance.twoFactors, j.verifications.map((r) => r.method));
    if (needed) return { ...decision, ...needed };
  }

  // 4. Actions required after proof.
  if (j.recoveryCodesPending) return { ...decision, step: 'recovery-codes' };
  const mustChange = f.user?.mustChangePassword || j.passwordOutdated;
  if (mustChange && provenHere && !done.includes('change-password')) return { ...decision, step: 'change-password' };

  // 5. Third-party apps ask for consent.
  if (!f.client.firstParty && f.client.consentMissing && !j.consented) return { ...decision, step: 'consent' };

  return decision;
}

/**
 * The second factor the journey still needs, or undefined. Fails closed: when the tenant or the
 * app asks for two factors and nothing the user has or could set up satisfies it, the journey
 * stops on `mfa-unavailable`, never with a weaker token.
 */
function strengthStep(m: NonNullable<FlowFacts['mfa']>, intent: Intent, twoFactors: boolean, provenMethods: string[]): Decision | undefined {
  // An app asking for two factors (or a step-up) accepts any factor the user has; otherwise the tenant's list.
  const forced = m.forced || intent === 'step-up';
  const usable = m.enrolled.filter((x) => forced || x === 'recovery' || m.allowed.includes(x));
  const hasUsable = usable.some((x) => x !== 'recovery');
  const hasAllowed =
    m.enrolled.some((x) => x !== 'recovery' && m.allowed.includes(x)) || provenMethods.some((x) => (m.allowed as string[]).includes(x));

  if (!twoFactors) {
    const wanted = m.policy === 'required' || forced || (m.policy === 'optional' && hasUsable);
    const spared = m.deviceTrusted && !m.firstConnectionToTenant && !forced && intent === 'sign-in';
    if (!wanted || spared) return undefined;
    if (hasUsable) return { step: 'second-factor', methods: usable };
    if (m.setUp.length === 0) return { step: 'mfa-unavailable' };
    // Whoever has a second factor proves it before adding another: nothing unproven replaces it.
    if (m.enrolled.length > 0) return { step: 'second-factor', methods: m.enrolled };
    return { step: 'enroll-second-factor', methods: m.setUp };
  }

  // Two factors proven, but with one the tenant no longer allows: set up one it allows.
  if (m.policy === 'required' && !hasAllowed) {
    return m.setUp.length > 0 ? { step: 'enroll-second-factor', methods: m.setUp } : { step: 'mfa-unavailable' };
  }
  return undefined;
}
