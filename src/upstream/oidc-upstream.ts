/**
 * The upstream leg over OpenID Connect (Google, itsme, any provider), on openid-client 6: the
 * authorization code flow with PKCE (S256), state and nonce; client authentication by secret or
 * `private_key_jwt`; the request as a signed request object (RFC 9101) when the provider wants one
 * (itsme does). openid-client checks the answer (state, `iss` per RFC 9207 when the provider
 * advertises it, the ID token's issuer, audience, expiry and nonce); we add the ID token's
 * signature (its non-repudiation check: by default it trusts TLS for tokens from the token
 * endpoint) and map every failure onto the few codes the journey shows a page for.
 *
 * Never logs or throws a secret or a token: messages are openid-client's fixed texts or ours.
 */
import crypto from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import type { UpstreamProvider } from '../model/upstream-provider.js';
import { UpstreamError, type UpstreamClient, type UpstreamErrorCode, type UpstreamIdentity, type UpstreamPending, type UpstreamStartOptions } from './upstream-client.js';

export interface OidcUpstreamOptions {
  /** Seconds before a provider that does not answer counts as unreachable (default 10). */
  timeoutSeconds?: number;
  /** How long a discovered configuration is reused (default 5 minutes). */
  discoveryTtlMs?: number;
  /** An answer this long after `start` is refused (default 10 minutes). */
  maxAnswerAgeMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

interface Prepared {
  config: oidc.Configuration;
  /** The key request objects are signed with, when the provider has one. */
  signingKey?: oidc.PrivateKey;
}

/** Errors at the authorization endpoint that say the provider and Sesam disagree on configuration, not the user's choice. */
const CONFIGURATION_ERRORS = new Set([
  'invalid_request',
  'invalid_request_object',
  'invalid_request_uri',
  'request_not_supported',
  'request_uri_not_supported',
  'unauthorized_client',
  'unsupported_response_type',
  'invalid_scope',
  'invalid_client',
  'registration_not_supported',
]);
/** Errors that say the provider is having trouble: try again later. */
const OUTAGE_ERRORS = new Set(['server_error', 'temporarily_unavailable']);

export class OidcUpstream implements UpstreamClient {
  private readonly cache = new Map<string, { expires: number; prepared: Promise<Prepared> }>();
  private readonly timeoutSeconds: number;
  private readonly discoveryTtlMs: number;
  private readonly maxAnswerAgeMs: number;
  private readonly now: () => number;

  constructor(options: OidcUpstreamOptions = {}) {
    this.timeoutSeconds = options.timeoutSeconds ?? 10;
    this.discoveryTtlMs = options.discoveryTtlMs ?? 5 * 60_000;
    this.maxAnswerAgeMs = options.maxAnswerAgeMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async start(provider: UpstreamProvider, options: UpstreamStartOptions): Promise<{ url: string; pending: UpstreamPending }> {
    const { config, signingKey } = await this.prepare(provider);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const pending: UpstreamPending = {
      providerId: provider.id,
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier,
      startedAt: this.now(),
    };
    const scope = scopeOf(provider);
    const params: Record<string, string> = {
      redirect_uri: options.redirectUri,
      response_type: 'code',
      scope,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (provider.acrValues) params.acr_values = provider.acrValues;
    if (options.loginHint) params.login_hint = options.loginHint;
    if (options.uiLocales) params.ui_locales = options.uiLocales;
    try {
      if (!provider.requestObject) return { url: oidc.buildAuthorizationUrl(config, params).href, pending };
      if (!signingKey) throw new UpstreamError('misconfigured', `provider ${provider.id}: a signed request object needs a private key`);
      const url = await oidc.buildAuthorizationUrlWithJAR(config, params, signingKey);
      // OpenID Connect Core 6.1: response_type and scope repeated outside the request object keep
      // the request a valid OAuth one; RFC 9101 servers use only the object's (same) values.
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('scope', scope);
      return { url: url.href, pending };
    } catch (err) {
      throw toUpstreamError(err, provider);
    }
  }

  async finish(provider: UpstreamProvider, pending: UpstreamPending, callback: { redirectUri: string; query: Record<string, string> }): Promise<UpstreamIdentity> {
    if (pending.providerId !== provider.id) throw new UpstreamError('state_mismatch', `the answer is for provider ${pending.providerId}, not ${provider.id}`);
    if (typeof callback.query.state !== 'string' || !safeEqual(callback.query.state, pending.state)) {
      throw new UpstreamError('state_mismatch', 'the answer’s state matches no sign-in under way');
    }
    if (this.now() - pending.startedAt > this.maxAnswerAgeMs) throw new UpstreamError('state_mismatch', 'the answer came too late: the sign-in at the provider expired');

    const { config } = await this.prepare(provider);
    const url = new URL(callback.redirectUri);
    url.search = '';
    for (const [k, v] of Object.entries(callback.query)) url.searchParams.set(k, v);
    try {
      // State (again), `iss` (RFC 9207), an error answer, then the code exchanged with PKCE and
      // the ID token checked (issuer, audience, expiry, nonce; its signature: see prepare).
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new UpstreamError('invalid_response', 'the provider returned no ID token');
      const claims: Record<string, unknown> = { ...idClaims };
      const wanted = new Set(provider.scopes);
      const missing =
        claims[provider.subjectClaim] === undefined || (wanted.has('email') && claims.email === undefined) || (wanted.has('profile') && claims.name === undefined);
      if (missing && config.serverMetadata().userinfo_endpoint) {
        // Providers that keep claims to userinfo (OpenID Connect's default for the code flow, itsme).
        // fetchUserInfo checks its `sub` is the ID token's.
        const info: Record<string, unknown> = { ...(await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)) };
        claims[provider.subjectClaim] ??= info[provider.subjectClaim];
        claims.name ??= info.name;
        // The e-mail and whether it is verified come as a pair, from one source.
        if (claims.email === undefined && info.email !== undefined) {
          claims.email = info.email;
          claims.email_verified = info.email_verified;
        }
      }
      return identityOf(provider, claims);
    } catch (err) {
      throw toUpstreamError(err, provider);
    }
  }

  /** The provider's discovered configuration and keys, reused a few minutes for the same settings. */
  private prepare(provider: UpstreamProvider): Promise<Prepared> {
    const key = cacheKey(provider);
    const now = this.now();
    for (const [k, entry] of this.cache) if (entry.expires <= now) this.cache.delete(k);
    const hit = this.cache.get(key);
    if (hit) return hit.prepared;
    const prepared = this.discover(provider);
    this.cache.set(key, { expires: now + this.discoveryTtlMs, prepared });
    // A failed discovery is not remembered: the next sign-in tries again.
    prepared.catch(() => this.cache.delete(key));
    return prepared;
  }

  private async discover(provider: UpstreamProvider): Promise<Prepared> {
    let issuer: URL;
    try {
      issuer = new URL(provider.issuer);
    } catch {
      throw new UpstreamError('misconfigured', `provider ${provider.id}: the issuer is not a URL`);
    }
    const insecure = issuer.protocol === 'http:';
    if (insecure && !isLoopback(issuer.hostname)) throw new UpstreamError('misconfigured', `provider ${provider.id}: an http issuer is allowed on loopback only`);
    if (!insecure && issuer.protocol !== 'https:') throw new UpstreamError('misconfigured', `provider ${provider.id}: the issuer must be https`);

    try {
      const signingKey = provider.privateKeyJwk ? await importPrivateKey(provider) : undefined;
      const clientAuth = clientAuthOf(provider, signingKey);
      const config = await oidc.discovery(issuer, provider.clientId, provider.clientSecret ? { client_secret: provider.clientSecret } : undefined, clientAuth, {
        timeout: this.timeoutSeconds,
        execute: [...(insecure ? [oidc.allowInsecureRequests] : []), oidc.enableNonRepudiationChecks],
      });
      return { config, signingKey };
    } catch (err) {
      throw toUpstreamError(err, provider);
    }
  }
}

function scopeOf(provider: UpstreamProvider): string {
  const scopes = provider.scopes.includes('openid') ? provider.scopes : ['openid', ...provider.scopes];
  return scopes.join(' ');
}

function clientAuthOf(provider: UpstreamProvider, signingKey: oidc.PrivateKey | undefined): oidc.ClientAuth {
  switch (provider.tokenEndpointAuthMethod) {
    case 'private_key_jwt':
      if (!signingKey) throw new UpstreamError('misconfigured', `provider ${provider.id}: private_key_jwt needs a private key`);
      return oidc.PrivateKeyJwt(signingKey);
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!provider.clientSecret) throw new UpstreamError('misconfigured', `provider ${provider.id}: ${provider.tokenEndpointAuthMethod} needs a client secret`);
      return provider.tokenEndpointAuthMethod === 'client_secret_basic' ? oidc.ClientSecretBasic(provider.clientSecret) : oidc.ClientSecretPost(provider.clientSecret);
  }
}

/** The JWS algorithm a key signs with: its `alg`, else the usual one for its type. */
function algOf(jwk: Record<string, unknown>): string | undefined {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[String(jwk.crv)];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'Ed25519';
  return undefined;
}

async function importPrivateKey(provider: UpstreamProvider): Promise<oidc.PrivateKey> {
  const jwk = provider.privateKeyJwk!;
  const alg = algOf(jwk);
  if (!alg || typeof jwk.d !== 'string') throw new UpstreamError('misconfigured', `provider ${provider.id}: the key is not a private RSA, EC or Ed25519 JWK`);
  try {
    const key = await importJWK(jwk as JWK, alg);
    if (key instanceof Uint8Array) throw new Error('symmetric key');
    return { key, kid: typeof jwk.kid === 'string' ? jwk.kid : undefined };
  } catch {
    throw new UpstreamError('misconfigured', `provider ${provider.id}: the private key cannot be imported for ${alg}`);
  }
}

/** What identifies a provider's configuration: another client id, secret or key is another entry. */
function cacheKey(provider: UpstreamProvider): string {
  const relevant = [provider.id, provider.issuer, provider.clientId, provider.clientSecret ?? null, provider.privateKeyJwk ? canonical(provider.privateKeyJwk) : null, provider.tokenEndpointAuthMethod];
  return crypto.hash('sha256', JSON.stringify(relevant), 'base64url');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function identityOf(provider: UpstreamProvider, claims: Record<string, unknown>): UpstreamIdentity {
  const subject = claims[provider.subjectClaim];
  if ((typeof subject !== 'string' && typeof subject !== 'number') || String(subject) === '') {
    throw new UpstreamError('invalid_response', `the provider’s answer has no ${provider.subjectClaim} claim`);
  }
  const email = typeof claims.email === 'string' && claims.email.includes('@') ? claims.email.trim().toLowerCase() : null;
  const identity: UpstreamIdentity = {
    subject: String(subject),
    email,
    // Some providers send the boolean as a string.
    emailVerified: email !== null && (claims.email_verified === true || claims.email_verified === 'true'),
    name: typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : null,
  };
  if (typeof claims.acr === 'string') identity.acr = claims.acr;
  if (Array.isArray(claims.amr)) identity.amr = claims.amr.filter((v): v is string => typeof v === 'string');
  return identity;
}

/** A provider's text, fit for a log line. */
function clean(text: unknown): string | undefined {
  // eslint-disable-next-line no-control-regex
  return typeof text === 'string' ? text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300) : undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * A failure to talk to the provider at all, wherever it hides in the cause chain: openid-client
 * passes fetch's TypeError on as is, but wraps it ("something went wrong") when it comes from
 * another realm (as under jest's VM modules), so names are compared, not classes.
 */
function networkFailure(err: unknown): 'timeout' | 'network' | undefined {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, message, code } = e as { name?: unknown; message?: unknown; code?: unknown };
    if (name === 'TimeoutError' || name === 'AbortError' || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') return 'timeout';
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) return 'network';
    if (name === 'TypeError' && message === 'fetch failed') return 'network';
  }
  return undefined;
}

/** Every failure of openid-client (or the network) as one of the journey's codes. */
function toUpstreamError(err: unknown, provider: UpstreamProvider): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const at = `provider ${provider.id}`;
  if (err instanceof oidc.AuthorizationResponseError) {
    const upstream = { error: clean(err.error) ?? 'unknown', errorDescription: clean(err.error_description) };
    const code: UpstreamErrorCode = CONFIGURATION_ERRORS.has(err.error) ? 'misconfigured' : OUTAGE_ERRORS.has(err.error) ? 'unreachable' : 'denied';
    return new UpstreamError(code, `${at} answered ${upstream.error}`, upstream);
  }
  if (err instanceof oidc.ResponseBodyError) {
    const upstream = { error: clean(err.error) ?? 'unknown', errorDescription: clean(err.error_description) };
    const code: UpstreamErrorCode = err.status >= 500 ? 'unreachable' : err.error === 'invalid_client' || err.error === 'unauthorized_client' ? 'misconfigured' : 'invalid_response';
    return new UpstreamError(code, `${at}: its token or userinfo endpoint answered ${upstream.error}`, upstream);
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    // A 401 with WWW-Authenticate: at the token endpoint our client credentials were refused
    // (invalid_client), at userinfo the access token was.
    const error = err.cause.map((c) => c.parameters.error).find((e): e is string => typeof e === 'string') ?? 'unknown';
    const upstream = { error: clean(error) ?? 'unknown', errorDescription: clean(err.cause.map((c) => c.parameters.error_description).find((d) => typeof d === 'string')) };
    return new UpstreamError(error === 'invalid_client' ? 'misconfigured' : 'invalid_response', `${at} refused the request (HTTP ${err.status} ${upstream.error})`, upstream);
  }
  const network = networkFailure(err);
  if (network) return new UpstreamError('unreachable', network === 'timeout' ? `${at} did not answer in time` : `${at} cannot be reached`);
  if (err instanceof oidc.ClientError) {
    // Duck-typed: the cause may come from another realm (undici's Response, fetch's errors).
    const cause = err.cause as { status?: unknown; message?: unknown } | undefined;
    switch (err.code) {
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
        if (typeof cause?.status === 'number' && cause.status >= 500) return new UpstreamError('unreachable', `${at} answered HTTP ${cause.status}`);
        break;
      case 'OAUTH_HTTP_REQUEST_FORBIDDEN':
      case 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN':
        return new UpstreamError('misconfigured', `${at}: ${err.message}`);
    }
    const detail = typeof cause?.message === 'string' && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
    return new UpstreamError('invalid_response', `${at}: ${clean(detail)}`);
  }
  const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  // openid-client's TypeErrors with these codes name an argument it cannot use: a key, a setting.
  if (typeof code === 'string' && code.startsWith('ERR_INVALID_ARG')) return new UpstreamError('misconfigured', `${at}: ${clean(message)}`);
  return new UpstreamError('invalid_response', `${at}: ${clean(typeof message === 'string' ? message : String(err))}`);
}
