/**
 * The portal is a relying party of its own server, through openid-client like any app: code +
 * PKCE, state and nonce, the ID token verified. Its back-channel requests (discovery, token,
 * keys) go to this process's own listener rather than the public issuer address, which a server
 * behind a load balancer may not be able to reach from inside.
 */
import * as oidc from 'openid-client';

export const PORTAL_CLIENT_ID = 'sesam-account';

export interface PortalClientOptions {
  issuer: string;
  /** Where this process listens (http://127.0.0.1:port), known once it listens. */
  localOrigin: () => string | undefined;
}

export class PortalClient {
  private config?: Promise<oidc.Configuration>;

  constructor(private readonly options: PortalClientOptions) {}

  get redirectUri(): string {
    return `${this.options.issuer.replace(/\/$/, '')}/account/callback`;
  }

  async configuration(): Promise<oidc.Configuration> {
    this.config ??= this.discover().catch((err: unknown) => {
      this.config = undefined; // try again on the next request
      throw err;
    });
    return this.config;
  }

  /**
   * The server's metadata is known without asking: it is this server. (Discovery over the local
   * listener would describe the endpoints at the local address, which the browser must never see.)
   * The paths are the engine's defaults, which Sesam does not change.
   */
  private async discover(): Promise<oidc.Configuration> {
    const issuer = this.options.issuer.replace(/\/$/, '');
    const issuerOrigin = new URL(issuer).origin;
    const local: oidc.CustomFetch = (url, init) => {
      const origin = this.options.localOrigin();
      const target = new URL(url);
      if (origin && target.origin === issuerOrigin) {
        const to = new URL(origin);
        target.protocol = to.protocol;
        target.host = to.host;
      }
      return fetch(target, init as RequestInit);
    };
    const server: oidc.ServerMetadata = {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      end_session_endpoint: `${issuer}/session/end`,
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: ['RS256'],
    };
    const config = new oidc.Configuration(server, PORTAL_CLIENT_ID, { redirect_uris: [this.redirectUri], id_token_signed_response_alg: 'RS256' }, oidc.None());
    if (issuer.startsWith('http:')) oidc.allowInsecureRequests(config);
    config[oidc.customFetch] = local;
    return config;
  }
}

/** The portal's client registration (first party, public, PKCE; its only redirect is its callback). */
export function portalClientMetadata(issuer: string) {
  const base = issuer.replace(/\/$/, '');
  return {
    client_id: PORTAL_CLIENT_ID,
    client_name: 'Sesam',
    redirect_uris: [`${base}/account/callback`],
    post_logout_redirect_uris: [`${base}/account/signed-out`],
    grant_types: ['authorization_code' as const],
    token_endpoint_auth_method: 'none' as const,
    scope: 'openid profile email phone',
  };
}
