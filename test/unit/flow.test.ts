/**
 * The login flow as a table: facts in, next step out. What was proven is a list of verification
 * records (a password, a code, a passkey, an upstream provider), and the strength comes from the
 * records, never from which page was seen.
 */
import { describe, expect, it } from '@jest/globals';
import { nextStep, type Decision, type FlowFacts } from '../../interactions/flow.js';
import { assess, sessionRecord, type VerificationRecord } from '../../src/domain/assurance.js';
import type { StepRegistry } from '../../interactions/step.js';
import { steps } from '../../interactions/steps/index.js';

const base: FlowFacts = {
  intent: 'sign-in',
  prompt: 'login',
  journey: { verifications: [] },
  session: {},
  request: {},
  eligibleTenants: [],
  clientRestricted: false,
  client: { firstParty: true, consentMissing: true },
};

type Row = [string, Partial<Omit<FlowFacts, 'journey'>> & { journey?: Partial<FlowFacts['journey']> }, Decision];

const at = 1_700_000_000_000;
const pwd: VerificationRecord = { method: 'password', at, amr: ['pwd'], factors: ['knowledge'], identifies: true };
const sms: VerificationRecord = { method: 'sms', at, amr: ['sms'], factors: ['possession'], identifies: false };
const otp: VerificationRecord = { method: 'totp', at, amr: ['otp'], factors: ['possession'], identifies: false };
const passkey: VerificationRecord = { method: 'passkey', at, amr: ['hwk', 'user'], factors: ['possession', 'inherence'], identifies: true, phishingResistant: true };
const google: VerificationRecord = { method: 'upstream:google', at, amr: ['fed'], factors: ['knowledge'], identifies: true };
const itsme: VerificationRecord = { method: 'upstream:itsme', at, amr: ['fed', 'swk'], factors: ['possession', 'knowledge'], identifies: true };
/** An e-mailed link identifies the account but is no authenticator (NIST SP 800-63B): it proves no factor. */
const emailLink: VerificationRecord = { method: 'email-link', at, amr: [], factors: [], identifies: true };

const proven = { userId: 'u1', verifications: [pwd] };

type Mfa = NonNullable<FlowFacts['mfa']>;
const mfa = (over: Partial<Mfa>): Mfa => ({
  policy: 'required',
  allowed: ['sms', 'totp'],
  setUp: ['sms', 'totp'],
  enrolled: [],
  firstConnectionToTenant: false,
  deviceTrusted: false,
  forced: false,
  phishingResistant: false,
  ...over,
});
const j = { ...proven, tenantId: 't1' };

const rows: Row[] = [
  ['nothing known: ask the identifier', {}, { step: 'identifier' }],
  ['identifier typed: ask the password', { journey: { identifier: 'marie' } }, { step: 'password' }],
  ['a session but the engine asks a login (prompt=login, max_age): identifier', { session: { accountId: 'u1' } }, { step: 'identifier' }],
  [
    'a session and a consent prompt: adopt the session account, its tenant',
    { prompt: 'consent', session: { accountId: 'u1', tenantId: 't1' }, eligibleTenants: ['t1', 't2'] },
    { step: 'finish', adoptSession: 'u1', tenantId: 't1' },
  ],
  ['switch account ignores the session', { prompt: 'consent', session: { accountId: 'u1' }, journey: { switchAccount: true } }, { step: 'identifier' }],
  ['one tenant: chosen without asking', { journey: proven, eligibleTenants: ['t1'] }, { step: 'finish', tenantId: 't1' }],
  ['two tenants: the picker', { journey: proven, eligibleTenants: ['t1', 't2'] }, { step: 'tenant' }],
  ['two tenants and organization=t2: skip the picker', { journey: proven, eligibleTenants: ['t1', 't2'], request: { organization: 't2' } }, { step: 'finish', tenantId: 't2' }],
  ['organization the user is not in: the picker', { journey: proven, eligibleTenants: ['t1', 't2'], request: { organization: 'zz' } }, { step: 'tenant' }],
  ['tenant already chosen in the journey', { journey: { ...proven, tenantId: 't2' }, eligibleTenants: ['t1', 't2'] }, { step: 'finish' }],
  ['restricted client, no eligible tenant: no access page', { journey: proven, clientRestricted: true }, { step: 'no-access' }],
  ['open client, user of no tenant: no tenant', { journey: proven }, { step: 'finish', tenantId: null }],
  ['select_account with one tenant still shows the picker', { prompt: 'select_account', session: { accountId: 'u1', tenantId: 't1' }, eligibleTenants: ['t1'] }, { step: 'tenant', adoptSession: 'u1' }],
  [
    'session tenant not served by this client: ask',
    { prompt: 'consent', session: { accountId: 'u1', tenantId: 't9' }, eligibleTenants: ['t1', 't2'] },
    { step: 'tenant', adoptSession: 'u1' },
  ],
  ['must change password: before any token', { journey: proven, eligibleTenants: ['t1'], user: { mustChangePassword: true } }, { step: 'change-password', tenantId: 't1' }],
  ['outdated password: change it', { journey: { ...proven, passwordOutdated: true }, eligibleTenants: ['t1'] }, { step: 'change-password', tenantId: 't1' }],
  ['password changed: go on', { journey: { ...proven, done: ['change-password'] }, eligibleTenants: ['t1'], user: { mustChangePassword: true } }, { step: 'finish', tenantId: 't1' }],
  [
    'a session never sets a password it did not prove: must change from the session → the password first',
    { prompt: 'consent', session: { accountId: 'u1' }, user: { mustChangePassword: true } },
    { step: 'password', adoptSession: 'u1' },
  ],
  ['third-party client: consent', { journey: proven, client: { firstParty: false, consentMissing: true } }, { step: 'consent', tenantId: null }],
  ['third-party client already consented', { journey: { ...proven, consented: true }, client: { firstParty: false, consentMissing: true } }, { step: 'finish', tenantId: null }],
  ['third-party client whose grant covers the request: no consent', { journey: proven, client: { firstParty: false, consentMissing: false } }, { step: 'finish', tenantId: null }],

  ...mfaRows(),
  ...otherWaysInRows(),
  ...intentRows(),
];

/** Second factors, tenant t1 chosen, password just proven. */
function mfaRows(): Row[] {
  return [
    ['2FA off: no second factor', { journey: j, mfa: mfa({ policy: 'off' }) }, { step: 'finish' }],
    ['2FA required, nothing enrolled: set one up inside the journey', { journey: j, mfa: mfa({}) }, { step: 'enroll-second-factor', methods: ['sms', 'totp'] }],
    ['2FA required, SMS enrolled: ask it', { journey: j, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'second-factor', methods: ['sms'] }],
    ['2FA required, SMS and recovery codes: both offered', { journey: j, mfa: mfa({ enrolled: ['sms', 'recovery'] }) }, { step: 'second-factor', methods: ['sms', 'recovery'] }],
    ['2FA required, trusted device: spared', { journey: j, mfa: mfa({ enrolled: ['sms'], deviceTrusted: true }) }, { step: 'finish' }],
    ['trusted device but first sign-in to this tenant: asked', { journey: j, mfa: mfa({ enrolled: ['sms'], deviceTrusted: true, firstConnectionToTenant: true }) }, { step: 'second-factor', methods: ['sms'] }],
    ['trusted device but the app forces it (acr_values): asked', { journey: j, mfa: mfa({ enrolled: ['totp'], deviceTrusted: true, forced: true }) }, { step: 'second-factor', methods: ['totp'] }],
    ['a fresh login (max_age) on a trusted device: the second factor is asked', { journey: j, mfa: mfa({ enrolled: ['totp'], deviceTrusted: true, fresh: true }) }, { step: 'second-factor', methods: ['totp'] }],
    ['a fresh login (max_age), 2FA off but the user has a factor: asked, any factor', { journey: j, mfa: mfa({ policy: 'off', allowed: ['sms'], enrolled: ['totp'], fresh: true }) }, { step: 'second-factor', methods: ['totp'] }],
    ['a fresh login (max_age), nothing enrolled, 2FA off: the password is enough, nothing to set up', { journey: j, mfa: mfa({ policy: 'off', fresh: true }) }, { step: 'finish' }],
    ['2FA optional and nothing enrolled: not asked', { journey: j, mfa: mfa({ policy: 'optional' }) }, { step: 'finish' }],
    ['2FA optional and TOTP enrolled: asked', { journey: j, mfa: mfa({ policy: 'optional', enrolled: ['totp', 'recovery'] }) }, { step: 'second-factor', methods: ['totp', 'recovery'] }],
    ['2FA optional, nothing enrolled, the app forces it: set one up', { journey: j, mfa: mfa({ policy: 'optional', forced: true }) }, { step: 'enroll-second-factor', methods: ['sms', 'totp'] }],
    ['2FA off, the app forces it and the user has TOTP: asked', { journey: j, mfa: mfa({ policy: 'off', enrolled: ['totp'], forced: true }) }, { step: 'second-factor', methods: ['totp'] }],
    ['an app forcing it accepts a factor the tenant does not list', { journey: j, mfa: mfa({ policy: 'optional', allowed: ['totp'], enrolled: ['sms'], forced: true }) }, { step: 'second-factor', methods: ['sms'] }],
    ['second factor proven: go on', { journey: { ...j, verifications: [pwd, otp] }, mfa: mfa({ enrolled: ['totp'] }) }, { step: 'finish' }],
    ['first set-up done: show the recovery codes once', { journey: { ...j, verifications: [pwd, sms], recoveryCodesPending: true }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'recovery-codes' }],
    ['second factor before the forced password change', { journey: j, user: { mustChangePassword: true }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'second-factor', methods: ['sms'] }],
    ['then the forced password change', { journey: { ...j, verifications: [pwd, sms] }, user: { mustChangePassword: true }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'change-password' }],
    ['signed in from the session: no second factor asked again', { prompt: 'consent', session: { accountId: 'u1' }, journey: { tenantId: 't1' }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'finish', adoptSession: 'u1' }],

    // Prove what you have before adding anything (a verified phone is never replaced unproven).
    [
      'phone verified, tenant allows only the app: prove the phone first',
      { journey: j, mfa: mfa({ allowed: ['totp'], setUp: ['totp'], enrolled: ['sms'] }) },
      { step: 'second-factor', methods: ['sms'] },
    ],
    [
      'phone proven, tenant allows only the app: now set the app up',
      { journey: { ...j, verifications: [pwd, sms] }, mfa: mfa({ allowed: ['totp'], setUp: ['totp'], enrolled: ['sms'] }) },
      { step: 'enroll-second-factor', methods: ['totp'] },
    ],
    [
      'app set up after proving the phone: go on',
      { journey: { ...j, verifications: [pwd, sms, otp], done: ['enroll-second-factor'] }, mfa: mfa({ allowed: ['totp'], setUp: ['totp'], enrolled: ['sms', 'totp'] }) },
      { step: 'finish' },
    ],
    ['only recovery codes left: prove one before setting up', { journey: j, mfa: mfa({ enrolled: ['recovery'] }) }, { step: 'second-factor', methods: ['recovery'] }],

    // Fail closed: never a token below the tenant's policy or the app's request.
    [
      'required, only passkeys allowed, a password and nothing else: never a passkey on a password alone, fail closed',
      { journey: j, mfa: mfa({ allowed: ['passkey'], setUp: ['passkey'] }) },
      { step: 'mfa-unavailable' },
    ],
    ['the app forces it, nothing enrolled, nothing the tenant offers: fail closed', { journey: j, mfa: mfa({ policy: 'off', allowed: ['passkey'], setUp: [], forced: true }) }, { step: 'mfa-unavailable' }],
    ['2FA off, forced, nothing enrolled: set one up from the tenant list', { journey: j, mfa: mfa({ policy: 'off', forced: true }) }, { step: 'enroll-second-factor', methods: ['sms', 'totp'] }],
    [
      'proven with a factor the tenant dropped, nothing it allows can be set up: fail closed',
      { journey: { ...j, verifications: [pwd, sms] }, mfa: mfa({ allowed: ['totp'], setUp: [], enrolled: ['sms'] }) },
      { step: 'mfa-unavailable' },
    ],
  ];
}

/** Passkeys, and upstream providers (their records already count). */
function otherWaysInRows(): Row[] {
  const pk = (over: Partial<Mfa>) => mfa({ allowed: ['passkey'], setUp: ['passkey'], ...over });
  return [
    // Identifier first, then the passkey.
    ['identifier of an account with a passkey: the passkey, no password page', { journey: { identifier: 'marie' }, identifierHasPasskey: true }, { step: 'passkey' }],
    ['... unless the user asked for the password instead', { journey: { identifier: 'marie', passwordInstead: true }, identifierHasPasskey: true }, { step: 'password' }],
    ['identifier without a passkey (or unknown): the password', { journey: { identifier: 'marie' }, identifierHasPasskey: false }, { step: 'password' }],
    ['signed in with a passkey (identifier, usernameless or autofill): no second factor, no offer', { journey: { ...j, verifications: [passkey] }, mfa: mfa({ enrolled: ['sms', 'passkey'] }), offerPasskey: true }, { step: 'finish' }],
    ['a passkey counts as the second factor too, even where the tenant lists codes only', { journey: j, mfa: mfa({ allowed: ['sms'], enrolled: ['passkey'] }) }, { step: 'second-factor', methods: ['passkey'] }],
    // The offer (seed 004): once, after a password sign-in, on a device that can hold one.
    ['password sign-in on a device with a platform authenticator: offer a passkey', { journey: j, eligibleTenants: ['t1'], offerPasskey: true }, { step: 'passkey-offer' }],
    ['offer declined or done: go on', { journey: { ...j, done: ['passkey-offer'] }, offerPasskey: true }, { step: 'finish' }],
    ['offer after the second factor and the password change', { journey: j, user: { mustChangePassword: true }, mfa: mfa({ enrolled: ['sms'] }), offerPasskey: true }, { step: 'second-factor', methods: ['sms'] }],
    ['no offer to a session adopted without a proof', { prompt: 'consent', session: { accountId: 'u1' }, journey: { tenantId: 't1' }, offerPasskey: true }, { step: 'finish', adoptSession: 'u1' }],
    // Phishing-resistant sign-in: a tenant allowing passkeys only, or acr_values=…:phr.
    ['passkey-only tenant, user with a passkey who typed the password: the passkey now', { journey: j, mfa: pk({ enrolled: ['passkey'] }) }, { step: 'passkey' }],
    ['passkey-only tenant, password and SMS proven, no passkey yet: create one', { journey: { ...j, verifications: [pwd, sms] }, mfa: pk({ enrolled: ['sms'] }) }, { step: 'enroll-second-factor', methods: ['passkey'] }],
    ['passkey-only tenant, just created: now sign in with it', { journey: { ...j, verifications: [pwd, sms], done: ['enroll-second-factor'] }, mfa: pk({ enrolled: ['sms', 'passkey'] }) }, { step: 'passkey' }],
    ['passkey-only tenant, the trusted device does not spare it', { journey: j, mfa: pk({ enrolled: ['passkey'], deviceTrusted: true }) }, { step: 'passkey' }],
    ['the app asks phr in a tenant that does not require 2FA: a password is its level, create a passkey', { journey: j, mfa: mfa({ policy: 'off', phishingResistant: true, forced: true }) }, { step: 'enroll-second-factor', methods: ['passkey'] }],
    ['the app asks phr, user with a passkey: the passkey', { journey: j, mfa: mfa({ policy: 'off', phishingResistant: true, forced: true, enrolled: ['passkey'] }) }, { step: 'passkey' }],
    [
      'a 2FA tenant allowing codes and passkeys, user with nothing: a code factor first, never a passkey on a password alone',
      { journey: j, mfa: mfa({ allowed: ['totp', 'passkey'], setUp: ['totp', 'passkey'] }) },
      { step: 'enroll-second-factor', methods: ['totp'] },
    ],
    [
      'an optional-2FA tenant, the app asks for two factors, user with nothing: a passkey may be set up (the tenant level is a password)',
      { journey: j, mfa: mfa({ policy: 'optional', forced: true, allowed: ['totp', 'passkey'], setUp: ['totp', 'passkey'] }) },
      { step: 'enroll-second-factor', methods: ['totp', 'passkey'] },
    ],
    ['a passkey with user verification is two factors: nothing more asked', { journey: { ...j, verifications: [passkey] }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'finish' }],
    ['passkey-only tenant, signed in with a passkey: finish', { journey: { ...j, verifications: [passkey] }, mfa: mfa({ allowed: ['passkey'], setUp: ['passkey'], enrolled: [] }) }, { step: 'finish' }],
    [
      'passkey-only tenant, password alone: prove the phone before creating a passkey',
      { journey: j, mfa: mfa({ allowed: ['passkey'], setUp: ['passkey'], enrolled: ['sms'] }) },
      { step: 'second-factor', methods: ['sms'] },
    ],
    ['federated (one factor) in a 2FA tenant: a code next', { journey: { ...j, verifications: [google] }, mfa: mfa({ enrolled: ['totp'] }) }, { step: 'second-factor', methods: ['totp'] }],
    ['federated + code: two factors, finish', { journey: { ...j, verifications: [google, otp] }, mfa: mfa({ enrolled: ['totp'] }) }, { step: 'finish' }],
    ['a trusted upstream (itsme) counts as two factors', { journey: { ...j, verifications: [itsme] }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'finish' }],
  ];
}

function intentRows(): Row[] {
  const carried = [sessionRecord(['pwd'], at)!];
  const stepUp = { intent: 'step-up' as const, session: { accountId: 'u1', tenantId: 't1' }, eligibleTenants: ['t1'] };
  return [
    [
      'step-up: the session account is kept, no identifier asked; a second factor now',
      { ...stepUp, mfa: mfa({ policy: 'off', enrolled: ['sms'] }) },
      { step: 'second-factor', adoptSession: 'u1', tenantId: 't1', methods: ['sms'] },
    ],
    ['step-up: a second factor now, even on a trusted device', { ...stepUp, journey: { userId: 'u1', tenantId: 't1', carried }, mfa: mfa({ policy: 'off', enrolled: ['sms'], deviceTrusted: true }) }, { step: 'second-factor', methods: ['sms'] }],
    ['step-up: proven, finish', { ...stepUp, journey: { userId: 'u1', tenantId: 't1', carried, verifications: [sms] }, mfa: mfa({ policy: 'off', enrolled: ['sms'] }) }, { step: 'finish' }],
    ['step-up without any factor: set one up', { ...stepUp, journey: { userId: 'u1', tenantId: 't1', carried }, mfa: mfa({ policy: 'optional' }) }, { step: 'enroll-second-factor', methods: ['sms', 'totp'] }],
    ['step-up, nothing possible: fail closed', { ...stepUp, journey: { userId: 'u1', tenantId: 't1', carried }, mfa: mfa({ policy: 'off', allowed: ['passkey'], setUp: [] }) }, { step: 'mfa-unavailable' }],
    ['recover: never the session account', { intent: 'recover', prompt: 'consent', session: { accountId: 'u1' } }, { step: 'identifier' }],
    [
      'recover: the e-mailed link alone never bypasses the second factor the user has',
      { intent: 'recover', journey: { ...j, verifications: [emailLink] }, mfa: mfa({ policy: 'off', enrolled: ['totp'], deviceTrusted: true }) },
      { step: 'second-factor', methods: ['totp'] },
    ],
    ['recover: link and code proven, a new password next', { intent: 'recover', journey: { ...j, verifications: [emailLink, otp] }, mfa: mfa({ policy: 'off', enrolled: ['totp'] }) }, { step: 'change-password' }],
    ['recover: user without second factor, link proven: a new password', { intent: 'recover', journey: { ...j, verifications: [emailLink] }, mfa: mfa({ policy: 'off' }) }, { step: 'change-password' }],
    [
      'recover: new password set, then signed in with it (the link proves no factor)',
      { intent: 'recover', journey: { ...j, verifications: [emailLink, otp], done: ['change-password'] }, mfa: mfa({ enrolled: ['totp'] }) },
      { step: 'password' },
    ],
    [
      'recover: link, code and the new password: two factors, finish',
      { intent: 'recover', journey: { ...j, verifications: [emailLink, otp, pwd], done: ['change-password'] }, mfa: mfa({ enrolled: ['totp'] }) },
      { step: 'finish' },
    ],
  ];
}

describe('nextStep', () => {
  it.each(rows)('%s', (_name, facts, expected) => {
    const input: FlowFacts = { ...base, ...facts, journey: { ...base.journey, ...facts.journey } } as FlowFacts;
    expect(nextStep(input)).toEqual(expected);
  });
});

describe('assess: acr and amr from the records, in one place', () => {
  it.each<[string, VerificationRecord[], { acr: string; amr?: string[] }]>([
    ['password alone', [pwd], { acr: 'urn:sesam:acr:1fa', amr: ['pwd'] }],
    ['password and SMS', [pwd, sms], { acr: 'urn:sesam:acr:2fa', amr: ['pwd', 'sms', 'mfa'] }],
    ['password and authenticator', [pwd, otp], { acr: 'urn:sesam:acr:2fa', amr: ['pwd', 'otp', 'mfa'] }],
    ['two codes of the same kind are still one factor', [sms, otp], { acr: 'urn:sesam:acr:1fa', amr: ['sms', 'otp'] }],
    ['a passkey with user verification: phishing-resistant', [passkey], { acr: 'urn:sesam:acr:phr', amr: ['hwk', 'user', 'mfa'] }],
    ['a session that signed in with a passkey stays phishing-resistant', [sessionRecord(['swk', 'user', 'mfa'], at, 'urn:sesam:acr:phr')!], { acr: 'urn:sesam:acr:phr', amr: ['swk', 'user', 'mfa'] }],
    ['a session of two factors stepped up with a passkey: phishing-resistant', [sessionRecord(['pwd', 'sms', 'mfa'], at, 'urn:sesam:acr:2fa')!, passkey], { acr: 'urn:sesam:acr:phr' }],
    ['federated plus a code', [google, otp], { acr: 'urn:sesam:acr:2fa', amr: ['fed', 'otp', 'mfa'] }],
    ['a session that proved a password, stepped up with SMS', [sessionRecord(['pwd'], at)!, sms], { acr: 'urn:sesam:acr:2fa', amr: ['pwd', 'sms', 'mfa'] }],
  ])('%s', (_name, records, expected) => {
    expect(assess(records)).toMatchObject(expected);
  });
});

describe('the step registry', () => {
  it('has one module for every page the flow can name, under its own name (a missing one does not compile)', () => {
    // @ts-expect-error: a registry without the consent step is refused by the type checker.
    const incomplete: StepRegistry = { ...steps, consent: undefined };
    expect(incomplete.consent).toBeUndefined();
    const pages = ['identifier', 'password', 'passkey', 'passkey-offer', 'tenant', 'no-access', 'second-factor', 'enroll-second-factor', 'mfa-unavailable', 'recovery-codes', 'change-password', 'consent'];
    expect(Object.keys(steps).sort()).toEqual([...pages].sort());
    for (const [name, step] of Object.entries(steps)) expect(step.name).toBe(name);
  });
});
