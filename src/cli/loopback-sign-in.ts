/**
 * `sesam login`: a tenant admin signs in with their own account in a browser, as a native app
 * does (RFC 8252): the CLI's client `sesam-cli`, code + PKCE with state and nonce (openid-client),
 * and a one-time listener on 127.0.0.1 at a free port for the redirect. No secret is involved.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { CLI_CLIENT_ID, TENANT_ADMIN_SCOPE } from '../model/scopes.js';
import { CliError } from './errors.js';
import type { SavedSignIn } from './saved-sign-in.js';

export interface LoopbackOptions {
  server: string;
  /** Told the address to open in a browser. */
  show: (url: string) => void;
  /** How long to wait for the browser (default 5 minutes). */
  timeoutMs?: number;
  /** The assurance to ask for (RFC 9470 step-up: what the admin API's challenge named). */
  acrValues?: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export async function discover(server: string): Promise<oidc.Configuration> {
  const url = new URL(server);
  // A token over plain http may only travel on this machine.
  const insecure = url.protocol === 'http:';
  if (insecure && !LOOPBACK_HOSTS.has(url.hostname)) throw new CliError(`${server} is not https: sign in only to an https server (or one on this machine)`);
  try {
    return await oidc.discovery(url, CLI_CLIENT_ID, undefined, oidc.None(), insecure ? { execute: [oidc.allowInsecureRequests] } : undefined);
  } catch (e) {
    throw new CliError(`cannot read the OpenID configuration of ${server} (${(e as Error).message}); is SESAM_URL the server's issuer?`);
  }
}

const PAGE = (text: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Sesam CLI</title><p>${text}</p></html>`;

export async function loopbackSignIn(options: LoopbackOptions): Promise<SavedSignIn> {
  const config = await discover(options.server);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();

  let settle!: { resolve: (url: URL) => void; reject: (e: Error) => void };
  const callback = new Promise<URL>((resolve, reject) => (settle = { resolve, reject }));
  const listener = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    if (url.pathname !== '/callback' || url.searchParams.get('state') !== state) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE('Not this address.'));
      return;
    }
    const failed = url.searchParams.get('error');
    res
      .writeHead(failed ? 400 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(PAGE(failed ? 'The sign-in did not complete. Go back to the terminal.' : 'Signed in. You can close this tab and go back to the terminal.'));
    settle.resolve(url);
  });
  await new Promise<void>((resolve, reject) => listener.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as AddressInfo).port;
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const timer = setTimeout(() => settle.reject(new CliError('no sign-in within the time allowed: run sesam login again')), options.timeoutMs ?? 5 * 60_000);
  try {
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: `openid profile ${TENANT_ADMIN_SCOPE}`,
      ...(options.acrValues ? { acr_values: options.acrValues } : {}),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    options.show(String(authorizationUrl));
    const answer = await callback;
    const error = answer.searchParams.get('error');
    if (error) throw new CliError(`the sign-in was refused: ${answer.searchParams.get('error_description') ?? error}`);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, answer, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }, { redirect_uri: redirectUri });
    } catch (e) {
      throw new CliError(`the sign-in could not be completed: ${(e as Error).message}`);
    }
    const claims = tokens.claims();
    if (!String(tokens.scope ?? '').split(' ').includes(TENANT_ADMIN_SCOPE)) throw new CliError(`this server did not grant the ${TENANT_ADMIN_SCOPE} scope`);
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return {
      server: options.server,
      accessToken: tokens.access_token,
      expiresAt: Date.now() + (tokens.expiresIn() ?? 3600) * 1000,
      login: str(claims?.preferred_username) ?? str(claims?.sub),
      tenantId: str(claims?.org_id),
      tenantName: str(claims?.org_name),
    };
  } finally {
    clearTimeout(timer);
    listener.close();
    listener.closeAllConnections();
  }
}

/** Revokes a token of the CLI's client (`sesam logout`): it stops working now rather than at its end. */
export async function revokeToken(server: string, token: string): Promise<void> {
  const config = await discover(server);
  await oidc.tokenRevocation(config, token, { token_type_hint: 'access_token' });
}

/** What the admin API says of a fresh token: usable, or which assurance it wants (RFC 9470), or why not. */
export type TokenCheck = { ok: true } | { ok: false; acrValues?: string; error: string; description: string };

export async function checkToken(server: string, token: string, tenantId: string): Promise<TokenCheck> {
  const res = await fetch(`${server}/admin/v1/tenants/${encodeURIComponent(tenantId)}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  if (res.ok) return { ok: true };
  const body = (await res.json().catch(() => ({}))) as { error?: unknown; error_description?: unknown };
  const acrValues = /acr_values="([^"]+)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
  return { ok: false, acrValues, error: String(body.error ?? res.status), description: String(body.error_description ?? `HTTP ${res.status}`) };
}
