/** The login flow as a table: facts in, next step out. */
import { describe, expect, it } from '@jest/globals';
import { nextStep, type Decision, type FlowFacts } from '../../interactions/flow.js';

const base: FlowFacts = {
  prompt: 'login',
  journey: { methods: [] },
  session: {},
  request: {},
  eligibleTenants: [],
  clientRestricted: false,
  client: { firstParty: true, consentMissing: true },
};

type Row = [string, Partial<Omit<FlowFacts, 'journey'>> & { journey?: Partial<FlowFacts['journey']> }, Decision];

const proven = { userId: 'u1', methods: ['pwd'] };

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
  ['password changed: go on', { journey: { ...proven, passwordChanged: true }, eligibleTenants: ['t1'], user: { mustChangePassword: true } }, { step: 'finish', tenantId: 't1' }],
  [
    'must change but signed in from the session (no password typed): no change asked',
    { prompt: 'consent', session: { accountId: 'u1' }, user: { mustChangePassword: true } },
    { step: 'finish', adoptSession: 'u1', tenantId: null },
  ],
  ['third-party client: consent', { journey: proven, client: { firstParty: false, consentMissing: true } }, { step: 'consent', tenantId: null }],
  ['third-party client already consented', { journey: { ...proven, consented: true }, client: { firstParty: false, consentMissing: true } }, { step: 'finish', tenantId: null }],
  ['third-party client whose grant covers the request: no consent', { journey: proven, client: { firstParty: false, consentMissing: false } }, { step: 'finish', tenantId: null }],

  // --- second factors (tenant t1 chosen, password just proven)
  ...mfaRows(),
];

function mfaRows(): Row[] {
  const j = { ...proven, tenantId: 't1' };
  const mfa = (over: Partial<NonNullable<FlowFacts['mfa']>>): NonNullable<FlowFacts['mfa']> => ({
    policy: 'required',
    allowed: ['sms', 'totp'],
    enrolled: [],
    firstConnectionToTenant: false,
    deviceTrusted: false,
    forced: false,
    ...over,
  });
  return [
    ['2FA off: no second factor', { journey: j, mfa: mfa({ policy: 'off', allowed: [] }) }, { step: 'finish' }],
    ['2FA required, nothing enrolled: enrol inside the journey', { journey: j, mfa: mfa({}) }, { step: 'enroll-second-factor' }],
    ['2FA required, SMS enrolled: ask it', { journey: j, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'second-factor' }],
    ['2FA required, trusted device: spared', { journey: j, mfa: mfa({ enrolled: ['sms'], deviceTrusted: true }) }, { step: 'finish' }],
    ['trusted device but first sign-in to this tenant: asked', { journey: j, mfa: mfa({ enrolled: ['sms'], deviceTrusted: true, firstConnectionToTenant: true }) }, { step: 'second-factor' }],
    ['trusted device but the app forces it (acr_values / max_age): asked', { journey: j, mfa: mfa({ enrolled: ['totp'], deviceTrusted: true, forced: true }) }, { step: 'second-factor' }],
    ['2FA optional and nothing enrolled: not asked', { journey: j, mfa: mfa({ policy: 'optional' }) }, { step: 'finish' }],
    ['2FA optional and TOTP enrolled: asked', { journey: j, mfa: mfa({ policy: 'optional', enrolled: ['totp', 'recovery'] }) }, { step: 'second-factor' }],
    ['2FA optional, nothing enrolled, the app forces it: enrol', { journey: j, mfa: mfa({ policy: 'optional', forced: true }) }, { step: 'enroll-second-factor' }],
    ['2FA off, the app forces it and the user has TOTP: asked', { journey: j, mfa: mfa({ policy: 'off', allowed: [], enrolled: ['totp'], forced: true }) }, { step: 'second-factor' }],
    ['2FA off, forced, nothing enrolled: one factor only (acr says so)', { journey: j, mfa: mfa({ policy: 'off', allowed: [], forced: true }) }, { step: 'finish' }],
    ['enrolled method not allowed by the tenant any more: enrol an allowed one', { journey: j, mfa: mfa({ allowed: ['totp'], enrolled: ['sms'] }) }, { step: 'enroll-second-factor' }],
    ['second factor proven: go on', { journey: { ...j, methods: ['pwd', 'otp'] }, mfa: mfa({ enrolled: ['totp'] }) }, { step: 'finish' }],
    ['first enrolment done: show the recovery codes once', { journey: { ...j, methods: ['pwd', 'sms'], recoveryCodesPending: true }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'recovery-codes' }],
    ['second factor before the forced password change', { journey: j, user: { mustChangePassword: true }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'second-factor' }],
    ['signed in from the session: no second factor asked again', { prompt: 'consent', session: { accountId: 'u1' }, journey: { tenantId: 't1' }, mfa: mfa({ enrolled: ['sms'] }) }, { step: 'finish', adoptSession: 'u1' }],
  ];
}

describe('nextStep', () => {
  it.each(rows)('%s', (_name, facts, expected) => {
    const input: FlowFacts = { ...base, ...facts, journey: { ...base.journey, ...facts.journey } } as FlowFacts;
    expect(nextStep(input)).toEqual(expected);
  });
});
