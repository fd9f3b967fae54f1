/**
 * The login flow as data: a pure function from what is known about the journey to the next
 * step. No I/O, no HTTP: it is tested as a table (test/unit/flow.test.ts). New factors plug in
 * as new steps and new rows here.
 */
export type StepName =
  | 'identifier'
  | 'password'
  | 'tenant'
  | 'no-access'
  | 'second-factor'
  | 'enroll-second-factor'
  | 'recovery-codes'
  | 'change-password'
  | 'consent'
  | 'finish';

/** Second factors a user can have; `recovery` stands in for the others. */
export type Factor = 'sms' | 'totp' | 'recovery';

export interface FlowFacts {
  /** The engine's prompt for this interaction: 'login', 'select_account' or 'consent'. */
  prompt: string;
  journey: {
    identifier?: string;
    userId?: string;
    methods: string[];
    switchAccount?: boolean;
    tenantId?: string | null;
    passwordOutdated?: boolean;
    passwordChanged?: boolean;
    consented?: boolean;
    /** A second factor was enrolled in this journey and its recovery codes not yet shown. */
    recoveryCodesPending?: boolean;
  };
  /** The signed-in account of the browser session, and the tenant it chose, if any. */
  session: { accountId?: string; tenantId?: string | null };
  request: { organization?: string };
  /** Known once an account is proven. */
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
    /** Methods the tenant allows (and Sesam implements). */
    allowed: Factor[];
    /** Factors the user has proven before (`recovery` when codes remain). */
    enrolled: Factor[];
    /** No sign-in into this tenant yet (seed 000: always asked then). */
    firstConnectionToTenant: boolean;
    /** This browser carries a valid trusted-device token of the user. */
    deviceTrusted: boolean;
    /** acr_values asks for two factors, or max_age asks for a fresh login. */
    forced: boolean;
  };
}

const SECOND_FACTOR_AMR = ['sms', 'otp'];

export interface Decision {
  step: StepName;
  /** The account to adopt from the session, when the journey has none yet. */
  adoptSession?: string;
  /** A tenant chosen without asking (organization parameter, only tenant, the session's). */
  tenantId?: string | null;
}

export function nextStep(f: FlowFacts): Decision {
  const decision: Decision = { step: 'finish' };
  let userId = f.journey.userId;

  // 1. Who: the session's account unless the engine asks for a login or the user switches.
  if (!userId && f.prompt !== 'login' && !f.journey.switchAccount && f.session.accountId) {
    userId = decision.adoptSession = f.session.accountId;
  }
  if (!userId) return { step: f.journey.identifier ? 'password' : 'identifier' };

  // 2. Which tenant.
  if (f.journey.tenantId === undefined) {
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

  // 3. A second factor: when the tenant requires it, or the user has one (optional policy), or
  // the app asks for it; a trusted device is spared unless it is the first sign-in to this tenant
  // or the app forces it. Required but nothing usable enrolled: enrol now, then go on.
  const m = f.mfa;
  const passwordJustProven = f.journey.methods.includes('pwd');
  if (m && passwordJustProven && !f.journey.methods.some((x) => SECOND_FACTOR_AMR.includes(x))) {
    // An app asking for two factors accepts any factor the user has; otherwise the tenant's list.
    const usable = m.forced ? m.enrolled : m.enrolled.filter((x) => x === 'recovery' || m.allowed.includes(x));
    const hasUsable = usable.some((x) => x !== 'recovery');
    const wanted = m.policy === 'required' || m.forced || (m.policy === 'optional' && hasUsable);
    const spared = m.deviceTrusted && !m.firstConnectionToTenant && !m.forced;
    if (wanted && !spared) {
      if (hasUsable) return { ...decision, step: 'second-factor' };
      if (m.policy !== 'off' && m.allowed.length > 0) return { ...decision, step: 'enroll-second-factor' };
    }
  }
  if (f.journey.recoveryCodesPending) return { ...decision, step: 'recovery-codes' };

  // 4. A password chosen by someone else, or below the policy, is replaced before any token.
  if (f.journey.methods.includes('pwd') && (f.user?.mustChangePassword || f.journey.passwordOutdated) && !f.journey.passwordChanged) {
    return { ...decision, step: 'change-password' };
  }

  // 5. Third-party apps ask for consent.
  if (!f.client.firstParty && f.client.consentMissing && !f.journey.consented) return { ...decision, step: 'consent' };

  return decision;
}
