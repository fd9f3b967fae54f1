/**
 * Federated sign-in end to end (issue 12; seeds 001 and 004), on PostgreSQL + Redis, with two
 * real upstream OpenID providers on loopback (oidc-provider): one like itsme (signed request
 * objects, private_key_jwt, trusted for two factors) and one like Google (a client secret). The
 * app is an openid-client RP; the journey is driven over HTTP, and once in Chromium.
 * What must hold: a linked account signs in with `fed` in its amr; an existing account is linked
 * only after the user proved it, or silently for a domain the provider is authoritative for; an
 * unverified upstream e-mail links nothing; an account is created just in time only where a
 * tenant allows it; the tenant's second factor is still asked, and spared only by a provider
 * trusted for it; every bad upstream answer ends on a page in the user's language, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startTestServer, adminToken, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
import { launchBrowser, relyingParty, startCallbackServer, type CallbackServer, type RelyingParty } from '../helpers/browser.js';
import { JourneyClient, alertOf, titleOf, type Page } from '../helpers/journey-client.js';
import { followUpstreamSignIn, startUpstreamIdp, ITSME_ACR, type UpstreamIdp } from '../helpers/upstream-idp.js';

const PASSWORD = 'a sentence that is long enough';

describe('federated sign-in (Google-like and itsme-like upstreams)', () => {
  let server: TestServer;
  let google: UpstreamIdp;
  let itsme: UpstreamIdp;
  let rp: RelyingParty;
  let app: CallbackServer;
  let token: string;
  const outbox = path.join(tmpDir(), 'sms.jsonl');
  const lastCode = () => /\b(\d{6})\b/.exec(JSON.parse(fs.readFileSync(outbox, 'utf8').trim().split('\n').at(-1)!).text)![1];

  async function admin(method: string, p: string, body?: unknown) {
    const res = await fetch(`${server.url}/admin/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** The provider as the admin API takes it, from the test IdP's client registration. */
  function providerInput(idp: UpstreamIdp, extra: Record<string, unknown>) {
    const p = idp.provider();
    return {
      issuer: p.issuer,
      clientId: p.clientId,
      ...(p.clientSecret ? { clientSecret: p.clientSecret } : {}),
      ...(p.privateKeyJwk ? { privateKeyJwk: p.privateKeyJwk } : {}),
      tokenEndpointAuthMethod: p.tokenEndpointAuthMethod,
      requestObject: p.requestObject,
      scopes: p.scopes,
      ...(p.acrValues ? { acrValues: p.acrValues } : {}),
      ...extra,
    };
  }

  beforeAll(async () => {
    google = await startUpstreamIdp({ flavour: 'googleLike' });
    itsme = await startUpstreamIdp({ flavour: 'itsmeLike' });
    app = await startCallbackServer('/cb');
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      env: { SMS_OUTBOX: outbox },
      import: {
        tenants: [
          { id: 'fidu', name: 'Fiduciaire Dupont', policy: { mfa: 'required', methods: ['sms'] } },
          { id: 'open', name: 'Portail ouvert', policy: { mfa: 'off', signUpProviders: ['google'] } },
        ],
        users: [
          { login: 'marie', email: 'marie@gmail.example', phone: '+32470111222', password: PASSWORD, mustChangePassword: false, tenants: ['fidu'] },
          { login: 'jan', email: 'jan@dupont.example', phone: '+32470333444', password: PASSWORD, mustChangePassword: false, tenants: ['fidu'] },
          { login: 'eva', email: 'eva@gmail.example', password: PASSWORD, mustChangePassword: false, tenants: ['open'] },
        ],
        clients: [{ client_id: 'portal', client_secret: 'portal-secret-0123456789abcdef-0123456789', redirect_uris: [app.redirectUri], first_party: true }],
      },
    });
    await server.sesam.db('users').whereIn('login', ['marie', 'jan']).update({ phone_verified_at: new Date() });
    for (const idp of [google, itsme]) idp.addRedirectUri(`${server.issuer}/interaction/callback/${idp === google ? 'google' : 'itsme'}`);
    token = await adminToken(server);
    expect((await admin('PUT', '/providers/google', providerInput(google, { preset: 'google', authoritativeDomains: ['dupont.example'] }))).status).toBe(201);
    expect((await admin('PUT', '/providers/itsme', providerInput(itsme, { preset: 'itsme', acrValues: ITSME_ACR.substantial }))).status).toBe(201);
    rp = await relyingParty(server.issuer, 'portal', 'portal-secret-0123456789abcdef-0123456789', app.redirectUri);
  });
  afterAll(async () => {
    await server?.stop();
    await google?.stop();
    await itsme?.stop();
    await app?.close();
  });

  /** Starts a sign-in at the app and presses the provider's button; returns the journey and the upstream address. */
  async function pressButton(providerId: string, extra: Record<string, string> = {}): Promise<{ journey: JourneyClient; upstream: string; page: Page }> {
    const journey = new JourneyClient(server.issuer, rp);
    const page = await journey.start({ ui_locales: 'fr', ...extra });
    expect(page.html).toContain(`action="${journey.interaction}/upstream/${providerId}"`);
    await journey.post(`upstream/${providerId}`, {});
    const upstream = String(journey.callback); // the journey client stops at another origin: the provider
    expect(upstream.startsWith(providerId === 'google' ? google.issuer : itsme.issuer)).toBe(true);
    journey.callback = undefined;
    return { journey, upstream, page };
  }

  /** The provider signs `login` in and answers Sesam's callback; the journey follows. */
  async function answer(journey: JourneyClient, providerId: string, upstream: string, options: { login?: string; cancel?: boolean } = {}): Promise<Page> {
    const back = await followUpstreamSignIn(upstream, `${server.issuer}/interaction/callback/${providerId}`, options);
    return journey.follow(await journey.fetch(String(back)));
  }

  async function secondFactor(journey: JourneyClient, page: Page): Promise<Page> {
    expect(page.html).toMatch(/second-factor/);
    if (!/autocomplete="one-time-code"/.test(page.html)) await journey.post('second-factor', { action: 'send' });
    return journey.post('second-factor', { action: 'verify', code: lastCode() });
  }

  it('links an existing account only after the user proved it (password and the tenant’s second factor), then signs in with Google alone and `fed`', async () => {
    google.setAccount({ sub: 'g-marie', email: 'marie@gmail.example', email_verified: true, name: 'Marie' });
    let { journey, upstream } = await pressButton('google');
    let page = await answer(journey, 'google', upstream);
    // Not signed in yet: the password of the account with that e-mail is asked, saying why.
    expect(page.html).toContain('name="password"');
    expect(page.html).toMatch(/Connectez-vous une fois avec votre mot de passe pour les lier/);
    expect(await server.sesam.db('federated_identities').where({ subject: 'g-marie' }).first()).toBeUndefined();
    page = await journey.post('password', { password: PASSWORD });
    page = await secondFactor(journey, page);
    expect(journey.callback?.searchParams.get('code')).toBeTruthy();
    const marie = await server.sesam.directory.requireUser('marie');
    expect(await server.sesam.db('federated_identities').where({ provider_id: 'google', subject: 'g-marie' }).first()).toMatchObject({ user_id: marie.id });

    // Next time: Google, then the tenant's second factor (Google is not trusted for two factors).
    ({ journey, upstream } = await pressButton('google'));
    page = await answer(journey, 'google', upstream);
    expect(page.html).not.toContain('name="password"');
    page = await secondFactor(journey, page);
    const tokens = await journey.tokens();
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(marie.id);
    expect(claims.amr).toEqual(expect.arrayContaining(['fed', 'sms', 'mfa']));
    expect(claims.acr).toBe('urn:sesam:acr:2fa');
  });

  it('links silently an e-mail of a domain the provider is authoritative for, and still asks the second factor', async () => {
    google.setAccount({ sub: 'g-jan', email: 'jan@dupont.example', email_verified: true, name: 'Jan' });
    const { journey, upstream } = await pressButton('google');
    let page = await answer(journey, 'google', upstream);
    expect(page.html).not.toContain('name="password"');
    page = await secondFactor(journey, page);
    expect(journey.callback?.searchParams.get('code')).toBeTruthy();
    expect(await server.sesam.db('federated_identities').where({ subject: 'g-jan' }).first()).toBeDefined();
  });

  it('links nothing and signs in no one when the provider does not vouch for the e-mail', async () => {
    google.setAccount({ sub: 'g-fake-marie', email: 'marie@gmail.example', email_verified: false });
    const { journey, upstream } = await pressButton('google');
    const page = await answer(journey, 'google', upstream);
    expect(page.status).toBe(403);
    expect(alertOf(page)).toContain('ne confirme pas');
    expect(page.html).toContain(`href="${journey.interaction}"`);
    expect(await server.sesam.db('federated_identities').where({ subject: 'g-fake-marie' }).first()).toBeUndefined();
  });

  it('creates the account just in time where the tenant allows sign-up from the provider, and only there', async () => {
    google.setAccount({ sub: 'g-newbie', email: 'newbie@gmail.example', email_verified: true, name: 'New Bie' });
    // The app serves every tenant; only "open" takes sign-ups from Google.
    const { journey, upstream } = await pressButton('google');
    await answer(journey, 'google', upstream);
    expect(journey.callback?.searchParams.get('code')).toBeTruthy();
    const newbie = await server.sesam.directory.requireUser('newbie@gmail.example');
    expect(newbie.passwordHash).toBeNull();
    expect((await server.sesam.directory.users.memberships(newbie.id)).map((m) => m.tenantId)).toEqual(['open']);
    expect((await journey.tokens()).claims()).toMatchObject({ org_id: 'open', amr: ['fed'] });

    // itsme is not allowed to sign anyone up: a clear page, no account.
    itsme.setAccount({ sub: 'i-stranger', email: 'stranger@example.be', email_verified: true, acr: ITSME_ACR.substantial });
    const other = await pressButton('itsme');
    const page = await answer(other.journey, 'itsme', other.upstream);
    expect(page.status).toBe(403);
    expect(alertOf(page)).toContain('Aucun compte');
    expect(await server.sesam.directory.users.findByIdentifier('stranger@example.be')).toBeUndefined();
  });

  it('spares the second factor for a provider trusted for two factors at the assurance asked, not below', async () => {
    const jan = await server.sesam.directory.requireUser('jan');
    await server.sesam.db('federated_identities').insert({ provider_id: 'itsme', subject: 'i-jan', user_id: jan.id, email: null, created_at: new Date() });
    itsme.setAccount({ sub: 'i-jan', acr: ITSME_ACR.substantial, amr: ['mfa'] });
    let { journey, upstream } = await pressButton('itsme');
    await answer(journey, 'itsme', upstream);
    expect(journey.callback?.searchParams.get('code')).toBeTruthy();
    const claims = (await journey.tokens()).claims()!;
    expect(claims.acr).toBe('urn:sesam:acr:2fa');
    expect(claims.amr).toEqual(expect.arrayContaining(['fed', 'mfa']));
    expect(itsme.seen.authorizations.at(-1)?.requestObject).toBeDefined();
    expect(itsme.seen.tokenRequests.at(-1)?.clientAuth).toBe('private_key_jwt');

    // An answer at a lower level than asked counts as one factor: the tenant's code is asked.
    itsme.setAccount({ sub: 'i-jan', acr: ITSME_ACR.basic });
    ({ journey, upstream } = await pressButton('itsme'));
    const page = await answer(journey, 'itsme', upstream);
    expect(journey.callback).toBeUndefined();
    expect(page.html).toMatch(/second-factor/);
  });

  describe('bad upstream answers end on a page in the user’s language with the way back, never a 500', () => {
    const cases: [string, () => void, RegExp, number][] = [
      ['an error redirect (the user cancelled)', () => google.setFaults({ deny: { error: 'access_denied' } }), /annulée ou refusée/, 400],
      ['a wrong issuer in the ID token', () => google.setFaults({ idToken: 'wrong-issuer' }), /n’a pas pu être vérifiée/, 400],
      ['an ID token for another audience', () => google.setFaults({ idToken: 'wrong-audience' }), /n’a pas pu être vérifiée/, 400],
      ['an expired ID token', () => google.setFaults({ idToken: 'expired' }), /n’a pas pu être vérifiée/, 400],
      ['an unsigned ID token', () => google.setFaults({ idToken: 'unsigned' }), /n’a pas pu être vérifiée/, 400],
    ];
    for (const [name, fault, message, status] of cases) {
      it(name, async () => {
        google.setAccount({ sub: 'g-marie', email: 'marie@gmail.example', email_verified: true });
        const { journey, upstream } = await pressButton('google');
        fault();
        try {
          const page = await answer(journey, 'google', upstream);
          expect(page.status).toBe(status);
          expect(titleOf(page)).toBe('La connexion n’a pas abouti');
          expect(alertOf(page)).toMatch(message);
          expect(page.html).toContain(`href="${journey.interaction}"`);
          expect(journey.callback).toBeUndefined();
        } finally {
          google.setFaults({});
        }
      });
    }

    it('a replayed answer (state) signs no one in', async () => {
      google.setAccount({ sub: 'g-marie', email: 'marie@gmail.example', email_verified: true });
      const { journey, upstream } = await pressButton('google');
      const back = await followUpstreamSignIn(upstream, `${server.issuer}/interaction/callback/google`);
      const first = await journey.follow(await journey.fetch(String(back)));
      expect(first.status).toBeLessThan(400);
      const replay = await journey.follow(await journey.fetch(String(back)));
      expect(replay.status).toBe(400);
      expect(alertOf(replay)).toMatch(/ne correspond à aucune connexion en cours/);
    });

    it('an unreachable provider', async () => {
      const gone = await startUpstreamIdp({ flavour: 'googleLike' });
      expect((await admin('PUT', '/providers/gone', providerInput(gone, { label: { fr: 'Disparu', en: 'Gone' } }))).status).toBe(201);
      await gone.stop();
      const journey = new JourneyClient(server.issuer, rp);
      await journey.start({ ui_locales: 'fr' });
      const started = Date.now();
      const page = await journey.post('upstream/gone', {});
      expect(Date.now() - started).toBeLessThan(15000);
      expect(page.status).toBe(502);
      expect(page.html).toContain('ne répond pas');
      await admin('DELETE', '/providers/gone');
    });
  });

  it('shows the buttons in a real browser and signs in with Google (seed 001)', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser();
      const context = await browser.newContext({ locale: 'fr-BE' });
      const page = await context.newPage();
      google.setAccount({ sub: 'g-eva', email: 'eva@gmail.example', email_verified: true });
      const eva = await server.sesam.directory.requireUser('eva');
      await server.sesam.db('federated_identities').insert({ provider_id: 'google', subject: 'g-eva', user_id: eva.id, email: 'eva@gmail.example', created_at: new Date() });
      const req = await (await import('../helpers/browser.js')).authorizationRequest(rp, { ui_locales: 'fr' });
      await page.goto(String(req.url));
      const button = page.locator('button[data-provider="google"]');
      expect(await button.textContent()).toBe('Connexion avec Google');
      await Promise.all([page.waitForURL((u) => u.href.startsWith(app.redirectUri), { timeout: 10000 }), button.click()]);
      expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
      await context.close();
    } finally {
      await browser?.close();
    }
  });
});
