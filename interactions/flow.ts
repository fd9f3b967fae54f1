/**
 * The login flow as data: a pure function from what is known about the journey to the next
 * step. No I/O, no HTTP: it is tested as a table (test/unit/flow.test.ts).
 *
 * What was proven is a list of verification records; how strong that is comes from
 * `assess` (src/domain/assurance.ts), never from which page was seen. A journey has an intent:
 * - `sign-in`: identify the account, then prove as much as the tenant and the app ask;
 * - `step-up`: the browser's session already identified the account, the app asks for more
 *   (acr_values): prove it now, nothing else;
 * - `recover`: an e-mailed link identified the account (issue 10): a second factor the user has
 *   is still asked (NIST: a reset link alone never bypasses it), then a new password, then the
 *   journey goes on as a sign-in with that password (the link itself proves no factor).
 * Actions required after proof (replace a password someone else chose, set up a factor the
 * tenant requires, keep the recovery codes) come after the proofs, then the optional offer of a
 * passkey (seed 004), then consent.
 */
import { assess, meets, type Assurance, type Level, type VerificationRecord } from '../src/domain/assurance.js';

export type StepName =
  | 'identifier'
  | 'password'
  | 'passkey'
  | 'tenant'
  | 'no-access'
  | 'second-factor'
  | 'enroll-second-factor'
  | 'mfa-unavailable'
  | 'recovery-codes'
  | 'change-password'
  | 'passkey-offer'
  | 'consent'
  | 'finish';

/** Steps that show a page (`finish` hands the result to the engine). */
export type PageStep = Exclude<StepName, 'finish'>;

export type Intent = 'sign-in' | 'step-up' | 'recover';

/** What a user can have enrolled beyond a password; `recovery` stands in for the others. */
export type Factor = 'sms' | 'totp' | 'recovery' | 'passkey';

/** Methods a tenant's policy can name. */
export type PolicyMethod = 'sms' | 'totp' | 'passkey';

/** Actions after proof, once done (or declined, for the offer) in this journey. */
export type RequiredAction = 'change-password' | 'enroll-second-factor' | 'recovery-codes' | 'passkey-offer';

export interface FlowFacts {
  intent: Intent;
  /** The engine's prompt for this interaction: 'login', 'select_account' or 'consent'. */
  prompt: string;
  journey: {
    identifier?: string;
    userId?: string;
    switchAccount?: boolean;
    /** The user chose the password over the passkey the identifier has. */
    passwordInstead?: boolean;
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
  /** The account the typed identifier names has a usable passkey (and the browser can use one). */
  identifierHasPasskey?: boolean;
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
    /** Methods the tenant allows (its policy's list): only `passkey` means phishing-resistant sign-in. */
    allowed: PolicyMethod[];
    /** Of those, the ones a user can set up inside a sign-in on this server. */
    setUp: PolicyMethod[];
    /** Factors the user has proven before (`recovery` when codes remain). */
    enrolled: Factor[];
    /** No sign-in into this tenant yet (seed 000: always asked then). */
    firstConnectionToTenant: boolean;
    /** This browser is a device the user trusted, within the tenant's trustedDeviceDays. */
    deviceTrusted: boolean;
    /** acr_values asks for two factors (or more). */
    forced: boolean;
    /**
     * max_age asks for a fresh login (the portal before a credential change): the user proves
     * again what they have — their second factor too, on any device — but a user without one is
     * not made to set one up.
     */
    fresh?: boolean;
    /** acr_values asks for a phishing-resistant sign-in. */
    phishingResistant: boolean;
  };
  /** Offer to create a passkey after this sign-in: the tenant offers them, this browser has a platform authenticator, the user did not skip here lately. */
  offerPasskey?: boolean;
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
  // user switches, or a password is being recovered. Identifier first: a passkey when the
  // account has one, the password otherwise (or when the user prefers it).
  const adoptable = f.intent === 'step-up' || (f.intent === 'sign-in' && f.prompt !== 'login');
  if (!userId && adoptable && !j.switchAccount && f.session.accountId) {
    userId = decision.adoptSession = f.session.accountId;
  }
  if (!userId) {
    if (!j.identifier) return { step: 'identifier' };
    return { step: f.identifierHasPasskey && !j.passwordInstead ? 'passkey' : 'password' };
  }

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
    const needed = strengthStep(m, f.intent, assurance, j.verifications.map((r) => r.method));
    if (needed) return { ...decision, ...needed };
  }

  // 4. Actions required after proof.
  if (j.recoveryCodesPending) return { ...decision, step: 'recovery-codes' };
  const mustChange = f.user?.mustChangePassword || j.passwordOutdated;
  if (mustChange && provenHere && !done.includes('change-password')) return { ...decision, step: 'change-password' };

  // 5. The passkey offer (seed 004), once, after a sign-in with the password; "skip" goes on.
  const signedInWithPassword = j.verifications.some((r) => r.method === 'password') && !j.verifications.some((r) => r.method === 'passkey');
  if (f.offerPasskey && signedInWithPassword && !done.includes('passkey-offer')) return { ...decision, step: 'passkey-offer' };

  // 6. Third-party apps ask for consent.
  if (!f.client.firstParty && f.client.consentMissing && !j.consented) return { ...decision, step: 'consent' };

  return decision;
}

/**
 * The proof the journey still needs, or undefined. Fails closed: when the tenant or the app asks
 * for more than the user has or could set up here, the journey stops on `mfa-unavailable`, never
 * with a weaker token.
 */
function strengthStep(m: NonNullable<FlowFacts['mfa']>, intent: Intent, assurance: Assurance, provenMethods: string[]): Decision | undefined {
  // A tenant allowing passkeys only asks for a phishing-resistant sign-in.
  const passkeysOnly = m.policy === 'required' && m.allowed.length > 0 && m.allowed.every((x) => x === 'passkey');
  if (passkeysOnly || m.phishingResistant) {
    const missing = phishingResistantStep(m, assurance);
    if (missing) return missing;
  }
  if (passkeysOnly) return undefined;
  return secondFactorStep(m, intent, assurance.twoFactors, provenMethods);
}

/**
 * A phishing-resistant sign-in: with the passkey the user has; without one, reach the tenant's
 * level with what the user has (never a password alone where the tenant requires two factors),
 * create one, then sign in with it.
 */
function phishingResistantStep(m: NonNullable<FlowFacts['mfa']>, assurance: Assurance): Decision | undefined {
  if (assurance.phishingResistant) return undefined;
  if (m.enrolled.includes('passkey')) return { step: 'passkey' };
  const tenantLevel: Level = m.policy === 'required' ? '2fa' : '1fa';
  if (meets(assurance.level, tenantLevel)) return { step: 'enroll-second-factor', methods: ['passkey'] };
  const existing = m.enrolled.filter((x) => x !== 'passkey');
  return existing.length > 0 ? { step: 'second-factor', methods: existing } : { step: 'mfa-unavailable' };
}

/** Two factors, when the tenant or the app asks for them. */
function secondFactorStep(m: NonNullable<FlowFacts['mfa']>, intent: Intent, twoFactors: boolean, provenMethods: string[]): Decision | undefined {
  // An app asking for two factors (or a step-up) accepts any factor the user has; otherwise the
  // tenant's list. A passkey proves two factors by itself, so it satisfies any tenant.
  const forced = m.forced || intent === 'step-up';
  const anyFactor = forced || !!m.fresh;
  const accepted = (x: Factor) => anyFactor || x === 'recovery' || x === 'passkey' || m.allowed.includes(x);
  const usable = m.enrolled.filter(accepted);
  const hasUsable = usable.some((x) => x !== 'recovery');
  const hasAllowed = m.enrolled.some((x) => x !== 'recovery' && accepted(x)) || provenMethods.some((x) => x === 'passkey' || (m.allowed as string[]).includes(x));

  if (!twoFactors) {
    const wanted = m.policy === 'required' || forced || ((m.policy === 'optional' || m.fresh) && hasUsable);
    const spared = m.deviceTrusted && !m.firstConnectionToTenant && !forced && !m.fresh && intent === 'sign-in';
    if (!wanted || spared) return undefined;
    if (hasUsable) return { step: 'second-factor', methods: usable };
    // A passkey is created only by an account proven to its tenant's level: never on a password
    // alone where the tenant requires two factors (a code factor is set up first, then offered).
    const setUp = m.policy === 'required' ? m.setUp.filter((x) => x !== 'passkey') : m.setUp;
    if (setUp.length === 0) return { step: 'mfa-unavailable' };
    // Whoever has a second factor proves it before adding another: nothing unproven replaces it.
    if (m.enrolled.length > 0) return { step: 'second-factor', methods: m.enrolled };
    return { step: 'enroll-second-factor', methods: setUp };
  }

  // Two factors proven, but with one the tenant no longer allows: set up one it allows.
  if (m.policy === 'required' && !hasAllowed) {
    return m.setUp.length > 0 ? { step: 'enroll-second-factor', methods: m.setUp } : { step: 'mfa-unavailable' };
  }
  return undefined;
}
