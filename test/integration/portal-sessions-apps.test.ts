/**
 * The portal's "Devices and sessions" and "Applications" on a real Sesam (PostgreSQL + Redis, and
 * PostgreSQL alone, where the account index is SQL): two users, each signed in from two browsers,
 * see and end only their own sessions, trusted devices and app access. An id of another account's
 * session, device or app changes nothing; a form without the token or from another site is
 * refused; a refresh token of an app whose access the user removed fails afterwards (openid-client).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { oidc, relyingParty, startCallbackServer, type CallbackServer, type RelyingParty } from '../helpers/browser.js';
import { PortalHttp, USER_AGENTS, flashOf, hiddenValues, mainText } from '../helpers/portal-http.js';
import { titleOf } from '../helpers/journey-client.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';

const PASSWORD = 'a sentence that is long enough';
const SECRET = 'app-secret-0123456789abcdef-0123456789abcdef';

async function refreshes(rp: RelyingParty, refreshToken: string): Promise<string> {
  try {
    await oidc.refreshTokenGrant(rp.config, refreshToken);
    return 'ok';
  } catch (e) {
    return (e as { error?: string }).error ?? String(e);
  }
}

describe.each([
  { name: 'PostgreSQL + Redis', redis: true },
  { name: 'PostgreSQL alone (SQL account index)', redis: false },
])('portal sessions and apps on $name', ({ redis }) => {
  let server: TestServer;
  let app: CallbackServer;
  let jobtracker: RelyingParty;
  let partner: RelyingParty;
  let anna: { id: string };
  let ben: { id: string };
  const browsers: Record<string, PortalHttp> = {};

  beforeAll(async () => {
    app = await startCallbackServer();
    server = await startTestServer({
      backend: 'postgres',
      redis,
      import: {
        tenants: [
          { id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'off' } },
          { id: 'zeta', name: 'Zeta Fiduciaire', policy: { mfa: 'off' } },
        ],
        users: [
          { login: 'anna', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
          { login: 'ben', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
        ],
        clients: [
          { client_id: 'jobtracker', client_name: 'Job Tracker', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true, tenants: ['acme'] },
          { client_id: 'partner', client_name: 'Partner Planning', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: false },
          { client_id: 'zeta-books', client_name: 'Zeta Books', client_secret: SECRET, redirect_uris: [app.redirectUri], first_party: true, tenants: ['zeta'] },
        ],
      },
    });
    jobtracker = await relyingParty(server.issuer, 'jobtracker', SECRET, app.redirectUri);
    partner = await relyingParty(server.issuer, 'partner', SECRET, app.redirectUri);
    anna = await server.sesam.directory.requireUser('anna');
    ben = await server.sesam.directory.requireUser('ben');
    // Each user on two browsers.
    for (const [key, login, ua] of [
      ['anna1', 'anna', USER_AGENTS.firefoxWindows],
      ['anna2', 'anna', USER_AGENTS.safariIphone],
      ['ben1', 'ben', USER_AGENTS.chromeMac],
      ['ben2', 'ben', USER_AGENTS.edgeWindows],
    ] as const) {
      browsers[key] = new PortalHttp(server.url, ua, jobtracker);
      const landed = await browsers[key].portalSignIn(login, PASSWORD);
      expect(new URL(landed.url).pathname).toBe('/account');
    }
  });

  afterAll(async () => {
    await server?.stop();
    await app?.close();
  });

  const eventsOf = (userId: string, type: string) => server.sesam.events.list({ userId, type });

  it("lists the account's own sessions, where each came from, this one marked", async () => {
    const page = await browsers.anna1.page('/account/sessions');
    expect(page.status).toBe(200);
    const text = mainText(page);
    expect(text).toContain('Firefox 121 on Windows (this device)');
    expect(text).toContain('Safari 17 on iOS');
    // Ben's browsers are not Anna's business.
    expect(text).not.toContain('Chrome 125');
    expect(text).not.toContain('Microsoft Edge');
    expect(text).toMatch(/Used for: My account/);
    expect(text).toMatch(/address: \S+/);
    // One "sign out" per other session: this device has none.
    expect(hiddenValues(page, 'session')).toHaveLength(1);
    expect(text).toContain('Sign out all other sessions');
  });

  it("ending another account's session, or this one, changes nothing", async () => {
    const bensSession = hiddenValues(await browsers.ben1.page('/account/sessions'), 'session')[0];
    const res = await browsers.anna1.action('/account/sessions/end', { session: bensSession });
    expect(res.status).toBe(303);
    expect(flashOf(await browsers.anna1.page('/account/sessions'))).toEqual({ kind: 'error', text: expect.stringContaining('not found') });
    expect(await browsers.ben2.signedIn()).toBe(true);
    expect(await browsers.ben1.signedIn()).toBe(true);
    expect(await eventsOf(anna.id, 'session.ended_by_user')).toHaveLength(0);

    // Its own session's uid is not in the page, but a hand-made form is answered too.
    const portal = await server.sesam.kv.get<{ providerSessionUid: string }>(`portal:session:${browsers.anna1.jar.get('sesam.portal')}`);
    expect(portal?.providerSessionUid).toBeTruthy();
    await browsers.anna1.action('/account/sessions/end', { session: portal!.providerSessionUid });
    expect(flashOf(await browsers.anna1.page('/account/sessions'))?.text).toContain('Sign out');
    expect(await browsers.anna1.signedIn()).toBe(true);
    // Nonsense is unknown, never an error page.
    const odd = await browsers.anna1.action('/account/sessions/end', { session: 'x'.repeat(5000) });
    expect(odd.status).toBe(303);
  });

  it('refuses a form without the token or from another site', async () => {
    const target = hiddenValues(await browsers.anna1.page('/account/sessions'), 'session')[0];
    const forged = await browsers.anna1.action('/account/sessions/end', { session: target }, { csrf: 'not-the-token' });
    expect(forged.status).toBe(403);
    const crossSite = await browsers.anna1.action('/account/sessions/end', { session: target }, { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    const fetchMeta = await browsers.anna1.action('/account/sessions/end', { session: target }, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(fetchMeta.status).toBe(403);
    // A GET never ends anything.
    expect([404, 405]).toContain((await browsers.anna1.fetch(`/account/sessions/end?session=${target}`)).status);
    expect(await browsers.anna2.signedIn()).toBe(true);
  });

  it('ends one of its own sessions: that browser is signed out, the event recorded', async () => {
    const page = await browsers.anna1.page('/account/sessions');
    const [other] = hiddenValues(page, 'session');
    const res = await browsers.anna1.action('/account/sessions/end', { session: other });
    expect(res.status).toBe(303);
    expect(flashOf(await browsers.anna1.page('/account/sessions'))).toEqual({ kind: 'success', text: expect.stringContaining('signed out') });
    expect(await browsers.anna2.signedIn()).toBe(false);
    expect(await browsers.anna1.signedIn()).toBe(true);
    expect(await server.sesam.host.current.Session.findByUid(other)).toBeUndefined();
    const [event] = await eventsOf(anna.id, 'session.ended_by_user');
    expect(event).toMatchObject({ clientId: 'sesam-account', userAgent: USER_AGENTS.firefoxWindows, details: { sessionUid: other } });
    // Twice: it is gone.
    await browsers.anna1.action('/account/sessions/end', { session: other });
    expect(flashOf(await browsers.anna1.page('/account/sessions'))?.kind).toBe('error');
    expect(hiddenValues(await browsers.anna1.page('/account/sessions'), 'session')).toHaveLength(0);
    // Ben's sessions were never touched.
    expect(await browsers.ben1.signedIn()).toBe(true);
    expect(await browsers.ben2.signedIn()).toBe(true);
  });

  /** The job tracker signed in with offline access through a browser already signed in (single sign-on). */
  async function offlineAppOn(b: PortalHttp): Promise<string> {
    await b.start({ scope: 'openid offline_access', prompt: 'consent' });
    expect(b.callback?.searchParams.get('code')).toBeTruthy();
    return (await b.tokens()).refresh_token!;
  }

  it('ends all the other sessions of the account, and only those; this device keeps its apps', async () => {
    const again = new PortalHttp(server.url, USER_AGENTS.safariIphone, jobtracker);
    await again.portalSignIn('anna', PASSWORD);
    const third = new PortalHttp(server.url, USER_AGENTS.chromeMac);
    await third.portalSignIn('anna', PASSWORD);
    const here = await offlineAppOn(browsers.anna1);
    const there = await offlineAppOn(again);
    const bens = await offlineAppOn(browsers.ben1);
    expect(hiddenValues(await browsers.anna1.page('/account/sessions'), 'session')).toHaveLength(2);
    await browsers.anna1.action('/account/sessions/end-others', {});
    expect(flashOf(await browsers.anna1.page('/account/sessions'))).toEqual({ kind: 'success', text: 'Other sessions signed out: 2.' });
    expect(await again.signedIn()).toBe(false);
    expect(await third.signedIn()).toBe(false);
    expect(await browsers.anna1.signedIn()).toBe(true);
    expect(await browsers.ben1.signedIn()).toBe(true);
    expect(await browsers.ben2.signedIn()).toBe(true);
    // The app on the device signed out is out; the one on this device, and Ben's, go on.
    expect(await refreshes(jobtracker, there)).toBe('invalid_grant');
    expect(await refreshes(jobtracker, here)).toBe('ok');
    expect(await refreshes(jobtracker, bens)).toBe('ok');
    expect((await eventsOf(anna.id, 'session.ended_by_user'))[0].details).toMatchObject({ others: true, sessions: 2 });
    expect(mainText(await browsers.anna1.page('/account/sessions'))).toContain('You are signed in on this device only.');
  });

  it('lists and forgets only its own trusted devices', async () => {
    const devices = new TrustedDevices(new DevicesRepository(server.sesam.db));
    const annas = await devices.trust(anna.id, { userAgent: USER_AGENTS.safariIphone, ip: '203.0.113.7', days: 30 });
    const bens = await devices.trust(ben.id, { userAgent: USER_AGENTS.chromeMac, ip: '198.51.100.4', days: 30 });
    const page = await browsers.anna1.page('/account/sessions');
    expect(hiddenValues(page, 'device')).toEqual([annas.id]);
    expect(mainText(page)).toContain('Safari 17 on iOS');
    expect(mainText(page)).toContain('203.0.113.7');

    await browsers.anna1.action('/account/sessions/forget-device', { device: bens.id });
    expect(flashOf(await browsers.anna1.page('/account/sessions'))?.kind).toBe('error');
    expect(await devices.isTrusted(ben.id, bens.token)).toBe(true);
    await browsers.anna1.action('/account/sessions/forget-device', { device: 'not-a-uuid' });
    expect(flashOf(await browsers.anna1.page('/account/sessions'))?.kind).toBe('error');

    await browsers.anna1.action('/account/sessions/forget-device', { device: annas.id });
    expect(flashOf(await browsers.anna1.page('/account/sessions'))).toEqual({ kind: 'success', text: expect.stringContaining('forgotten') });
    expect(await devices.isTrusted(anna.id, annas.token)).toBe(false);
    expect(hiddenValues(await browsers.anna1.page('/account/sessions'), 'device')).toEqual([]);
    const [event] = await eventsOf(anna.id, 'device.revoked_by_user');
    expect(event).toMatchObject({ clientId: 'sesam-account', details: { deviceId: annas.id } });
    expect(await eventsOf(anna.id, 'admin.device_revoked')).toHaveLength(0);
  });

  /** A phone app's sign-in on its own browser: offline access, so its refresh token outlives the session. */
  async function appSignIn(rp: RelyingParty, login: string, options: { consent?: boolean } = {}) {
    const phone = new PortalHttp(server.url, USER_AGENTS.safariIphone, rp);
    let page = await phone.signIn(login, PASSWORD, { scope: 'openid profile email offline_access', prompt: 'consent' });
    if (options.consent) {
      expect(titleOf(page)).toBe('Allow access');
      page = await phone.post('consent', { decision: 'allow' });
    }
    expect(phone.callback?.searchParams.get('code')).toBeTruthy();
    const tokens = await phone.tokens();
    expect(tokens.refresh_token).toBeTruthy();
    return { phone, refreshToken: tokens.refresh_token! };
  }

  it("lists the apps the user may use, with the access each has; removes only the account's own", async () => {
    const annaJobs = await appSignIn(jobtracker, 'anna');
    const annaPartner = await appSignIn(partner, 'anna', { consent: true });
    const benJobs = await appSignIn(jobtracker, 'ben');

    const page = await browsers.anna1.page('/account/apps');
    const text = mainText(page);
    expect(text).toContain('Job Tracker');
    expect(text).toContain('Partner Planning');
    expect(text).toContain('Access allowed by you');
    expect(text).toContain('your e-mail address');
    // Not Anna's tenant, the portal itself, the operator's client.
    expect(text).not.toContain('Zeta Books');
    expect(text).not.toContain('Sesam administration');
    expect(hiddenValues(page, 'app').sort()).toEqual(['jobtracker', 'partner']);

    // Ben removes "his" access to the partner app, which he never gave: nothing happens to Anna's.
    await browsers.ben1.action('/account/apps/revoke', { app: 'partner' });
    expect(flashOf(await browsers.ben1.page('/account/apps'))?.kind).toBe('error');
    expect(await refreshes(partner, annaPartner.refreshToken)).toBe('ok');
    // Unknown apps and the portal itself are not "removable".
    for (const name of ['nope', 'sesam-account']) {
      await browsers.anna1.action('/account/apps/revoke', { app: name });
      expect(flashOf(await browsers.anna1.page('/account/apps'))?.kind).toBe('error');
    }
    expect(await browsers.anna1.signedIn()).toBe(true);

    // Anna removes the job tracker: its refresh token dies, Ben's does not, the partner app keeps its access.
    await browsers.anna1.action('/account/apps/revoke', { app: 'jobtracker' });
    expect(flashOf(await browsers.anna1.page('/account/apps'))).toEqual({ kind: 'success', text: 'Job Tracker no longer has access to your account: it will have to sign in again.' });
    expect(await refreshes(jobtracker, annaJobs.refreshToken)).toBe('invalid_grant');
    expect(await refreshes(jobtracker, benJobs.refreshToken)).toBe('ok');
    expect(await refreshes(partner, annaPartner.refreshToken)).toBe('ok');
    expect(hiddenValues(await browsers.anna1.page('/account/apps'), 'app')).toEqual(['partner']);
    const [event] = await eventsOf(anna.id, 'consent.revoked');
    expect(event).toMatchObject({ clientId: 'sesam-account', details: { app: 'jobtracker', sessions: 2 } }); // the phone's browser and this one
    // It left the phone's browser session too.
    const sessions = await server.sesam.host.current.Session.find(annaJobs.phone.jar.get('_session')!);
    expect(Object.keys(sessions?.authorizations ?? {})).not.toContain('jobtracker');

    // The outside app: its consent goes; the next sign-in asks for it again.
    await browsers.anna1.action('/account/apps/revoke', { app: 'partner' });
    expect(await refreshes(partner, annaPartner.refreshToken)).toBe('invalid_grant');
    const asked = await annaPartner.phone.start({ scope: 'openid profile email', prompt: 'consent' });
    expect(titleOf(asked)).toBe('Allow access');
    expect(await eventsOf(anna.id, 'consent.revoked')).toHaveLength(2);
    expect(await eventsOf(ben.id, 'consent.revoked')).toHaveLength(0);
  });
});
