/**
 * Headless Debian Chromium driven by playwright-core, and an openid-client relying party: the
 * app side of end-to-end tests. The RP's redirect URI is never served: the browser's request to
 * it is intercepted and its URL (with the code) handed back.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as oidc from 'openid-client';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface RelyingParty {
  config: oidc.Configuration;
  clientId: string;
  redirectUri: string;
}

export async function relyingParty(issuer: string, clientId: string, clientSecret: string | undefined, redirectUri: string): Promise<RelyingParty> {
  const config = await oidc.discovery(new URL(issuer), clientId, clientSecret ? { client_secret: clientSecret } : undefined, clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  return { config, clientId, redirectUri };
}

export interface AuthorizationRequest {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(rp: RelyingParty, extra: Record<string, string> = {}): Promise<AuthorizationRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/**
 * The app's callback: a real HTTP server at the redirect URI (listening on both loopback
 * families, as "localhost" may be either). `next()` resolves with the next callback URL.
 */
export interface CallbackServer {
  redirectUri: string;
  next(): Promise<URL>;
  /** The next form POST the app received (back-channel logout), as its fields. */
  nextPost(): Promise<{ path: string; form: URLSearchParams }>;
  close(): Promise<void>;
}

function queue<T>() {
  const items: T[] = [];
  const waiting: ((item: T) => void)[] = [];
  return {
    push(item: T) {
      const waiter = waiting.shift();
      if (waiter) waiter(item);
      else items.push(item);
    },
    next(): Promise<T> {
      const early = items.shift();
      return early !== undefined ? Promise.resolve(early) : new Promise<T>((r) => waiting.push(r));
    },
  };
}

export async function startCallbackServer(path = '/cb'): Promise<CallbackServer> {
  const arrived: URL[] = [];
  const waiting: ((u: URL) => void)[] = [];
  const posts = queue<{ path: string; form: URLSearchParams }>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://localhost:${(server.address() as AddressInfo).port}`);
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        posts.push({ path: url.pathname, form: new URLSearchParams(body) });
        res.writeHead(200).end();
      });
      return;
    }
    if (url.pathname === path) {
      const waiter = waiting.shift();
      if (waiter) waiter(url);
      else arrived.push(url);
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title><p>back in the app</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://localhost:${port}${path}`,
    next() {
      const early = arrived.shift();
      return early ? Promise.resolve(early) : new Promise<URL>((r) => waiting.push(r));
    },
    nextPost: () => posts.next(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function exchangeCode(rp: RelyingParty, callback: URL, req: AuthorizationRequest) {
  return oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce, idTokenExpected: true });
}

/** Clicks a submit button and waits until the page it leads to has loaded. */
export async function submit(page: Page, selector = 'button[type="submit"]'): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated'), page.click(selector)]);
  await page.waitForLoadState('load');
}

export async function fillIdentifier(page: Page, identifier: string): Promise<void> {
  await page.fill('input[autocomplete~="username"]:not([hidden])', identifier);
  await submit(page);
}

export async function fillPassword(page: Page, password: string, options: { remember?: boolean } = {}): Promise<void> {
  await page.fill('input[autocomplete="current-password"]', password);
  if (options.remember) await page.check('input[name="remember"]');
  await submit(page);
}

export async function alertText(page: Page): Promise<string> {
  return (await page.locator('[role="alert"]').first().textContent()) ?? '';
}

export { oidc };
