/**
 * The upstream leg of federated sign-in (issue 12), OidcUpstream against real oidc-provider
 * instances on loopback: one like itsme (signed request objects required, private_key_jwt, acr
 * values, claims from userinfo), one like Google (client secret, claims in the ID token). The
 * browser's way through the provider is walked over plain HTTP; the redirect URI is never served.
 * Each bad answer the journey must survive is provoked here and must end as its UpstreamError code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { UpstreamProvider } from '../../src/model/upstream-provider.js';
import { OidcUpstream } from '../../src/upstream/oidc-upstream.js';
import { UpstreamError, type UpstreamErrorCode } from '../../src/upstream/upstream-client.js';
import { followUpstreamSignIn, ITSME_ACR, startUpstreamIdp, type UpstreamIdp } from '../helpers/upstream-idp.js';

const redirectUri = 'http://127.0.0.1:9/interaction/callback/test';

let itsme: UpstreamIdp;
let google: UpstreamIdp;
let upstream: OidcUpstream;

beforeAll(async () => {
  [itsme, google] = await Promise.all([
    startUpstreamIdp({ flavour: 'itsmeLike', redirectUris: [redirectUri] }),
    startUpstreamIdp({ flavour: 'googleLike', redirectUris: [redirectUri], interaction: 'form' }),
  ]);
  upstream = new OidcUpstream({ timeoutSeconds: 2 });
});

afterAll(async () => {
  await Promise.all([itsme?.stop(), google?.stop()]);
});

beforeEach(() => {
  itsme.setFaults({});
  google.setFaults({});
  itsme.setAccount({ sub: 'itsme-123', email: 'An.Peeters@Example.be', email_verified: true, name: 'An Peeters', amr: ['hwk', 'pin'] });
  google.setAccount({ sub: 'g-456', email: 'jan@example.com', email_verified: true, name: 'Jan Janssens' });
});

/** Starts a sign-in, walks the browser through the provider, and returns what came back. */
async function signIn(client: OidcUpstream, provider: UpstreamProvider, options: { loginHint?: string; uiLocales?: string; cancel?: boolean } = {}) {
  const { url, pending } = await client.start(provider, { redirectUri, loginHint: options.loginHint, uiLocales: options.uiLocales });
  const back = await followUpstreamSignIn(url, redirectUri, { cancel: options.cancel });
  return { url, pending, query: Object.fromEntries(back.searchParams) };
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    return err as UpstreamError;
  }
  throw new Error('expected an UpstreamError');
}

async function expectCode(promise: Promise<unknown>, code: UpstreamErrorCode): Promise<UpstreamError> {
  const err = await failure(promise);
  expect({ code: err.code, message: err.message }).toEqual({ code, message: expect.any(String) });
  return err;
}

describe('itsme-like provider: signed request object and private_key_jwt', () => {
  test('a sign-in gives the subject, the verified e-mail, the name and what the provider proved', async () => {
    const provider = itsme.provider();
    const { url, pending, query } = await signIn(upstream, provider, { loginHint: 'itsme-123', uiLocales: 'nl-BE' });

    // The browser carried only client_id, the request object, and the OIDC-mandated copies.
    const sent = new URL(url).searchParams;
    expect([...sent.keys()].sort()).toEqual(['client_id', 'request', 'response_type', 'scope']);
    const seen = itsme.seen.authorizations.at(-1)!;
    expect(seen.requestObjectAlg).toBe('RS256');
    expect(seen.requestObject).toMatchObject({
      iss: itsme.clientId,
      aud: itsme.issuer,
      client_id: itsme.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email profile',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge_method: 'S256',
      acr_values: ITSME_ACR.substantial,
      login_hint: 'itsme-123',
      ui_locales: 'nl-BE',
    });
    expect(seen.requestObject!.code_challenge).toEqual(expect.any(String));
    expect(query.iss).toBe(itsme.issuer);

    const identity = await upstream.finish(provider, pending, { redirectUri, query });
    expect(identity).toEqual({
      subject: 'itsme-123',
      email: 'an.peeters@example.be',
      emailVerified: true,
      name: 'An Peeters',
      acr: ITSME_ACR.substantial,
      amr: ['hwk', 'pin'],
    });
    expect(itsme.seen.tokenRequests.at(-1)).toEqual({ clientAuth: 'private_key_jwt', codeVerifier: true });
    // Like itsme, the provider kept the e-mail and name to userinfo: they were fetched there.
    expect(itsme.seen.idTokens.at(-1)).toMatchObject({ sub: 'itsme-123', acr: ITSME_ACR.substantial, amr: ['hwk', 'pin'] });
    expect(itsme.seen.idTokens.at(-1)).not.toHaveProperty('email');
    expect(itsme.seen.userinfoRequests).toBeGreaterThan(0);
  });

  test('the provider refuses an authorization request without a request object', async () => {
    const provider = itsme.provider({ requestObject: false });
    const { url, pending, query } = await signIn(upstream, provider);
    expect(new URL(url).searchParams.has('request')).toBe(false);
    expect(query.error).toBe('invalid_request');
    expect(itsme.seen.refused.at(-1)?.description).toMatch(/Request Object must be used/);
    // A refusal that says the two sides disagree on configuration is the operator's to fix.
    const err = await expectCode(upstream.finish(provider, pending, { redirectUri, query }), 'misconfigured');
    expect(err.upstream?.error).toBe('invalid_request');
  });

  test('an ES256 client key signs the request object and the client assertion', async () => {
    const es = await startUpstreamIdp({ flavour: 'itsmeLike', redirectUris: [redirectUri], clientKeyAlg: 'ES256', accounts: [{ sub: 'es-1', email: 'es@example.be', email_verified: true }] });
    try {
      const provider = es.provider({ id: 'itsme-es' });
      const { pending, query } = await signIn(upstream, provider);
      expect(es.seen.authorizations.at(-1)?.requestObjectAlg).toBe('ES256');
      const identity = await upstream.finish(provider, pending, { redirectUri, query });
      expect(identity.subject).toBe('es-1');
      expect(identity.acr).toBe(ITSME_ACR.substantial);
      expect(es.seen.tokenRequests.at(-1)?.clientAuth).toBe('private_key_jwt');
    } finally {
      await es.stop();
    }
  });

  test('the subject can come from another claim', async () => {
    const custom = await startUpstreamIdp({ flavour: 'itsmeLike', redirectUris: [redirectUri], extraClaims: ['national_number'], accounts: [{ sub: 'pairwise-xyz', national_number: '85073003328', email: 'x@example.be' }] });
    try {
      const provider = custom.provider({ id: 'itsme-nn', subjectClaim: 'national_number' });
      const { pending, query } = await signIn(upstream, provider);
      const identity = await upstream.finish(provider, pending, { redirectUri, query });
      expect(identity.subject).toBe('85073003328');
      // No email_verified from the provider: the e-mail is not vouched for.
      expect(identity.emailVerified).toBe(false);
    } finally {
      await custom.stop();
    }
  });
});

describe('google-like provider: client secret, claims in the ID token', () => {
  test('a sign-in through its form gives the identity, with client_secret_basic', async () => {
    google.setAccount({ sub: 'g-789', email: 'unverified@example.com', email_verified: false, name: 'Piet' });
    const provider = google.provider();
    const userinfoBefore = google.seen.userinfoRequests;
    const { url, pending, query } = await signIn(upstream, provider);
    const sent = new URL(url).searchParams;
    expect(sent.get('request')).toBeNull();
    expect(sent.get('code_challenge_method')).toBe('S256');
    expect(sent.get('state')).toBe(pending.state);
    expect(sent.get('nonce')).toBe(pending.nonce);
    expect(sent.has('acr_values')).toBe(false);
    const identity = await upstream.finish(provider, pending, { redirectUri, query });
    expect(identity).toEqual({ subject: 'g-789', email: 'unverified@example.com', emailVerified: false, name: 'Piet' });
    expect(google.seen.tokenRequests.at(-1)).toEqual({ clientAuth: 'client_secret_basic', codeVerifier: true });
    // Everything was in the ID token: no userinfo request.
    expect(google.seen.idTokens.at(-1)).toMatchObject({ email: 'unverified@example.com', name: 'Piet' });
    expect(google.seen.userinfoRequests).toBe(userinfoBefore);
  });

  test('cancelling at the provider ends as denied, its reason kept for the log', async () => {
    const provider = google.provider();
    const { pending, query } = await signIn(upstream, provider, { cancel: true });
    expect(query.error).toBe('access_denied');
    const err = await expectCode(upstream.finish(provider, pending, { redirectUri, query }), 'denied');
    expect(err.upstream).toEqual({ error: 'access_denied', errorDescription: 'The user cancelled' });
  });

  test('a changed secret is used at once (the discovery cache is keyed by the settings), and a wrong one is misconfigured', async () => {
    const good = google.provider();
    const warm = await signIn(upstream, good);
    await upstream.finish(good, warm.pending, { redirectUri, query: warm.query });

    const wrong = google.provider({ clientSecret: 'not-the-secret-at-all' });
    const { pending, query } = await signIn(upstream, wrong);
    const err = await expectCode(upstream.finish(wrong, pending, { redirectUri, query }), 'misconfigured');
    expect(err.upstream?.error).toBe('invalid_client');
    expect(JSON.stringify({ message: err.message, upstream: err.upstream })).not.toContain('not-the-secret-at-all');
    expect(google.seen.tokenRequests.at(-1)?.clientAuth).toBe('client_secret_basic');

    // oidc-provider takes client_secret_basic and client_secret_post as one family: both work.
    const post = google.provider({ tokenEndpointAuthMethod: 'client_secret_post' });
    const again = await signIn(upstream, post);
    expect((await upstream.finish(post, again.pending, { redirectUri, query: again.query })).subject).toBe('g-456');
    expect(google.seen.tokenRequests.at(-1)?.clientAuth).toBe('client_secret_post');
  });
});

describe('bad upstream answers', () => {
  test('a discovery document naming another issuer is refused', async () => {
    google.setFaults({ discoveryIssuer: 'https://accounts.evil.example' });
    // A fresh client: no configuration cached from earlier sign-ins.
    await expectCode(new OidcUpstream().start(google.provider(), { redirectUri }), 'invalid_response');
  });

  test.each([
    ['wrong-issuer', 'an ID token from another issuer'],
    ['wrong-audience', 'an ID token for another client'],
    ['expired', 'an expired ID token'],
    ['wrong-nonce', 'an ID token for another sign-in (nonce)'],
    ['unsigned', 'an unsigned ID token (alg none)'],
    ['bad-signature', 'an ID token whose claims were changed after signing'],
  ] as const)('%s: %s is refused', async (fault, _what) => {
    for (const idp of [google, itsme]) {
      const provider = idp.provider();
      const { pending, query } = await signIn(upstream, provider);
      idp.setFaults({ idToken: fault });
      const err = await expectCode(upstream.finish(provider, pending, { redirectUri, query }), 'invalid_response');
      expect(err.message).not.toMatch(/eyJ/); // no token in the message
      idp.setFaults({});
    }
  });

  test('an `iss` authorization response parameter of another issuer is refused (RFC 9207)', async () => {
    const provider = google.provider();
    const { pending, query } = await signIn(upstream, provider);
    await expectCode(upstream.finish(provider, pending, { redirectUri, query: { ...query, iss: 'https://evil.example' } }), 'invalid_response');
  });

  test('an answer whose state matches no sign-in under way is refused', async () => {
    const provider = google.provider();
    const first = await signIn(upstream, provider);
    const second = await upstream.start(provider, { redirectUri });
    // The answer to the first sign-in, brought to the second (another tab, or an attacker's code).
    await expectCode(upstream.finish(provider, second.pending, { redirectUri, query: first.query }), 'state_mismatch');
    const { state: _state, ...stateless } = first.query;
    await expectCode(upstream.finish(provider, first.pending, { redirectUri, query: stateless }), 'state_mismatch');
    // The answer to the right provider only.
    await expectCode(upstream.finish(itsme.provider(), first.pending, { redirectUri, query: first.query }), 'state_mismatch');
  });

  test('a replayed answer is refused: its code is spent', async () => {
    const provider = google.provider();
    const { pending, query } = await signIn(upstream, provider);
    await upstream.finish(provider, pending, { redirectUri, query });
    await expectCode(upstream.finish(provider, pending, { redirectUri, query }), 'invalid_response');
  });

  test('an answer after ten minutes is refused', async () => {
    let now = Date.now();
    const clocked = new OidcUpstream({ now: () => now });
    const provider = google.provider();
    const { pending, query } = await signIn(clocked, provider);
    now += 10 * 60_000 + 1000;
    const err = await expectCode(clocked.finish(provider, pending, { redirectUri, query }), 'state_mismatch');
    expect(err.message).toMatch(/too late/);
  });

  test('an error answer (access_denied) is denied', async () => {
    itsme.setFaults({ deny: { error: 'access_denied', error_description: 'User refused in the app' } });
    const provider = itsme.provider();
    const { pending, query } = await signIn(upstream, provider);
    const err = await expectCode(upstream.finish(provider, pending, { redirectUri, query }), 'denied');
    expect(err.upstream).toEqual({ error: 'access_denied', errorDescription: 'User refused in the app' });
  });

  test('a provider that stopped is unreachable, quickly: at discovery and at the token endpoint', async () => {
    const gone = await startUpstreamIdp({ flavour: 'googleLike', redirectUris: [redirectUri], accounts: [{ sub: 'x' }] });
    const provider = gone.provider({ id: 'gone' });
    const { pending, query } = await signIn(upstream, provider);
    await gone.stop();
    let t = Date.now();
    await expectCode(upstream.finish(provider, pending, { redirectUri, query }), 'unreachable');
    await expectCode(new OidcUpstream().start(provider, { redirectUri }), 'unreachable');
    expect(Date.now() - t).toBeLessThan(2000);

    // One that hangs: the timeout ends the wait.
    const slow = await startUpstreamIdp({ flavour: 'googleLike' });
    try {
      slow.setFaults({ delayMs: 5000 });
      t = Date.now();
      await expectCode(new OidcUpstream({ timeoutSeconds: 1 }).start(slow.provider({ id: 'slow' }), { redirectUri }), 'unreachable');
      expect(Date.now() - t).toBeLessThan(3000);
    } finally {
      await slow.stop();
    }
  });

  test('a provider answering 503 is unreachable, at discovery and at the token endpoint', async () => {
    const provider = google.provider();
    const { pending, query } = await signIn(upstream, provider);
    google.setFaults({ outage: true });
    const err = await expectCode(upstream.finish(provider, pending, { redirectUri, query }), 'unreachable');
    expect(err.message).toMatch(/503/);
    await expectCode(new OidcUpstream().start(provider, { redirectUri }), 'unreachable');
  });
});

describe('providers that cannot work', () => {
  test.each([
    ['private_key_jwt without a key', () => itsme.provider({ privateKeyJwk: undefined })],
    ['a request object without a key', () => google.provider({ requestObject: true })],
    ['a client secret method without a secret', () => google.provider({ clientSecret: undefined })],
    ['a public key where the private one belongs', () => itsme.provider({ privateKeyJwk: { ...itsme.privateKeyJwk, d: undefined } })],
    ['an http issuer off loopback', () => google.provider({ issuer: 'http://accounts.example.com' })],
  ])('%s is misconfigured', async (_name, make) => {
    await expectCode(new OidcUpstream().start(make(), { redirectUri }), 'misconfigured');
  });
});
