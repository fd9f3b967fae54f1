/**
 * The one configuration object of the OIDC engine. Sesam configures node-oidc-provider and
 * never re-implements protocol: every endpoint and token comes from the engine.
 */
import type { Client, Configuration, Grant, KoaContextWithOIDC, RefreshToken } from 'oidc-provider';
import type { JWK } from 'jose';
import { ACR_VALUES } from '../domain/assurance.js';
import { DEFAULT_CLIENT_SCOPE, SCOPES } from '../model/scopes.js';

export { DEFAULT_CLIENT_SCOPE, SCOPES };

export const TTL = {
  AccessToken: 3600,
  ClientCredentials: 3600,
  AuthorizationCode: 60,
  IdToken: 3600,
  Interaction: 3600,
  /** A refresh token asked without `offline_access`: at most this, and it ends with the browser session anyway. */
  RefreshToken: 30 * 24 * 3600,
  /**
   * An offline refresh token (`offline_access`: an app on a phone, seed 001): left unused this
   * long, it expires; each use rotates it and starts the period again, so an app in use never
   * asks again, and one forgotten on an old phone stops working.
   */
  OfflineRefreshToken: 90 * 24 * 3600,
  /**
   * A grant with offline access: the longest its refresh tokens, rotated or not, can live. It bounds
   * a token family a thief keeps rotating unnoticed; once a year the app asks for a sign-in again.
   * A password change, a reset by an admin, or the user ending the app in the portal end it sooner.
   */
  OfflineGrant: 365 * 24 * 3600,
  /** A session that is not "remembered" still needs a server-side end. */
  TransientSession: 24 * 3600,
} as const;

/** The grant gives offline access (its refresh tokens do not end with the browser session). */
export function isOfflineGrant(grant: Pick<Grant, 'getOIDCScope'>): boolean {
  return grant.getOIDCScope().split(' ').includes('offline_access');
}

/**
 * The lifetime of a new refresh token: the engine's default rule, with Sesam's lengths. A public
 * web client (a single-page app) rotating a token never extends it past the first one's end (a
 * token kept by a browser script must not live for ever); any other rotation starts the period
 * again.
 */
export function refreshTokenTtl(ctx: KoaContextWithOIDC | undefined, token: RefreshToken, client: Client): number {
  const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
  if (rotated && client.applicationType === 'web' && client.clientAuthMethod === 'none' && !token.isSenderConstrained()) return rotated.remainingTTL;
  return token.scopes.has('offline_access') ? TTL.OfflineRefreshToken : TTL.RefreshToken;
}

function isAdminClient(client: { scope?: string }): boolean {
  return String(client.scope ?? '').split(' ').includes('admin');
}

/** The engine's lifetimes of its short-lived artifacts (also given to the benchmark's bare engine). */
export const ARTIFACT_TTL = {
  AccessToken: TTL.AccessToken,
  ClientCredentials: TTL.ClientCredentials,
  AuthorizationCode: TTL.AuthorizationCode,
  IdToken: TTL.IdToken,
  Interaction: TTL.Interaction,
  RefreshToken: TTL.RefreshToken,
} as const;

export interface ConfigurationInput {
  adapter: Configuration['adapter'];
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  rememberDays: number;
  findAccount: Configuration['findAccount'];
  renderError: NonNullable<Configuration['renderError']>;
  logoutSource: (ctx: KoaContextWithOIDC, form: string) => Promise<void>;
  postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => Promise<void>;
  /** Dynamic client registration and its management (off unless DYNAMIC_REGISTRATION; see registration.ts). */
  registration?: Pick<NonNullable<Configuration['features']>, 'registration' | 'registrationManagement'>;
}

export function providerConfiguration(input: ConfigurationInput): Configuration {
  const sessionSeconds = input.rememberDays * 24 * 3600;
  return {
    adapter: input.adapter,
    jwks: input.jwks as Configuration['jwks'],
    findAccount: input.findAccount,
    renderError: input.renderError,
    acrValues: [...ACR_VALUES],
    scopes: [...SCOPES],
    claims: {
      // acr, amr and auth_time reach the ID token only when a scope names them.
      openid: ['sub', 'acr', 'amr', 'auth_time', 'org_id', 'org_name'],
      profile: ['name', 'preferred_username', 'locale', 'updated_at'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
    },
    // Apps read org_id/org_name from the ID token, so the scope's claims go there too.
    conformIdTokenClaims: false,
    responseTypes: ['code'], // no implicit or hybrid flow
    pkce: { required: () => true }, // S256 only, for every client (RFC 9700)
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      scope: DEFAULT_CLIENT_SCOPE,
    },
    cookies: {
      keys: input.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    features: {
      devInteractions: { enabled: false },
      // A client may introspect or revoke its own tokens; the operator's admin client any.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId || isAdminClient(client) },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource: input.logoutSource, postLogoutSuccessSource: input.postLogoutSuccessSource },
      ...input.registration,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      ...ARTIFACT_TTL,
      RefreshToken: refreshTokenTtl,
      // A grant lasts as long as what it serves: the remembered session, or an app's offline access.
      Grant: (_ctx, grant) => Math.max(sessionSeconds, isOfflineGrant(grant) ? TTL.OfflineGrant : TTL.RefreshToken),
      // "Stay signed in" (remember) lasts the configured days; otherwise the cookie ends with the browser.
      Session: (_ctx, session) => (session.transient ? TTL.TransientSession : sessionSeconds),
    },
    // Every client allowed the refresh_token grant gets one; without offline_access (which
    // needs prompt=consent) it ends with the user's session. With it (an app on a phone), it
    // outlives the session, and the engine's default `rotateRefreshToken` replaces it at every
    // use by a public client (a replayed old one revokes the whole grant).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Expose no stack or internal detail of errors to callers.
    allowOmittingSingleRegisteredRedirectUri: false,
  };
}
