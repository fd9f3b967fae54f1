/**
 * The protocol requests measured against bare oidc-provider and Sesam, each with the check its
 * answer must pass: client_credentials, discovery, refresh_token (the confidential web app's
 * refresh token from a code flow; the engine's default rule does not rotate a confidential
 * client's refresh token, so the same token serves every request, as an app with a backend does),
 * token introspection and userinfo (the access token of that code flow).
 */
import { CC_CLIENT, WEB_CLIENT } from './config.js';
import { basic, type Tokens } from './journeys.js';
import type { RequestSpec } from './http-load.js';

export const SCENARIOS = ['client_credentials', 'discovery', 'refresh_token', 'introspection', 'userinfo'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface ScenarioRequest {
  spec: RequestSpec;
  check(status: number, body: string): boolean;
}

const form = 'application/x-www-form-urlencoded';
const webAuth = () => basic(WEB_CLIENT.id, WEB_CLIENT.secret);

/** The request of each scenario against a server, given the tokens a code flow gave on it. */
export function scenarioRequests(tokens: Tokens): Record<Scenario, ScenarioRequest> {
  if (!tokens.refresh_token) throw new Error('the code flow gave no refresh token: the web client must be allowed the refresh_token grant');
  return {
    client_credentials: {
      spec: { path: '/token', method: 'POST', headers: { authorization: basic(CC_CLIENT.id, CC_CLIENT.secret), 'content-type': form }, body: 'grant_type=client_credentials' },
      check: (status, body) => status === 200 && body.includes('access_token'),
    },
    discovery: {
      spec: { path: '/.well-known/openid-configuration', method: 'GET' },
      check: (status, body) => status === 200 && body.includes('"issuer"'),
    },
    refresh_token: {
      spec: { path: '/token', method: 'POST', headers: { authorization: webAuth(), 'content-type': form }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }).toString() },
      // A rotated refresh token would fail every later request: the check insists on the same one.
      check: (status, body) => status === 200 && body.includes('"id_token"') && (JSON.parse(body) as { refresh_token?: string }).refresh_token === tokens.refresh_token,
    },
    introspection: {
      spec: { path: '/token/introspection', method: 'POST', headers: { authorization: webAuth(), 'content-type': form }, body: new URLSearchParams({ token: tokens.access_token }).toString() },
      check: (status, body) => status === 200 && body.includes('"active":true'),
    },
    userinfo: {
      spec: { path: '/me', method: 'GET', headers: { authorization: `Bearer ${tokens.access_token}` } },
      check: (status, body) => status === 200 && body.includes('"sub"') && body.includes('"email"'),
    },
  };
}
