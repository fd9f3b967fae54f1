/**
 * A real upstream OpenID provider for tests (issue 12): a second oidc-provider 9 on 127.0.0.1,
 * configured like itsme (signed request objects required, `private_key_jwt`, acr values, claims
 * from userinfo) or like Google (a client secret, claims in the ID token). Its interaction signs in
 * the account the test set, at once ('auto') or through a tiny form ('form', for a browser), and
 * it can be told to misbehave: a wrong issuer in its discovery document, spoiled ID tokens, an
 * error answer, slowness; `stop()` makes it unreachable.
 *
 * Sesam's redirect URIs are only known once Sesam runs: `addRedirectUri` registers one at any
 * time (the client lives in an adapter this helper controls, so oidc-provider re-reads it).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider, { type Adapter, type AdapterPayload, type ClientMetadata, type KoaContextWithOIDC } from 'oidc-provider';
import type { UpstreamProvider } from '../../src/model/upstream-provider.js';

export type UpstreamIdpFlavour = 'itsmeLike' | 'googleLike';

/** A user at the upstream provider: the claims it vouches for. */
export interface UpstreamAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** What the sign-in proved, in the ID token. itsmeLike: default the first `acr_values` asked. */
  acr?: string;
  amr?: string[];
  /** Any other claim (declare its name in `extraClaims` so the provider releases it). */
  [claim: string]: unknown;
}

/** How the ID tokens the provider issues are spoiled (re-signed with its real key unless said). */
export type IdTokenFault = 'wrong-audience' | 'wrong-issuer' | 'expired' | 'wrong-nonce' | 'unsigned' | 'bad-signature';

export interface UpstreamIdpFaults {
  /** The `issuer` its discovery document names (a provider that is not who it claims). */
  discoveryIssuer?: string;
  idToken?: IdTokenFault;
  /** The interaction answers this error to the client instead of signing in (e.g. access_denied). */
  deny?: { error: string; error_description?: string };
  /** Every answer waits this long first (a provider that hangs). */
  delayMs?: number;
  /** Every answer is an HTTP 503 page (a provider down behind its load balancer). */
  outage?: boolean;
}

export interface UpstreamIdpOptions {
  flavour: UpstreamIdpFlavour;
  redirectUris?: string[];
  /** 'auto' (default): the interaction signs the current account in at once; 'form': a page with a login field, "Sign in" and "Cancel". */
  interaction?: 'auto' | 'form';
  /** itsmeLike: the algorithm of the client's key (request objects and private_key_jwt). Default RS256. */
  clientKeyAlg?: 'RS256' | 'ES256';
  accounts?: UpstreamAccount[];
  /** Claims beyond sub, email, email_verified, name, acr, amr the provider may release (with scope openid). */
  extraClaims?: string[];
}

/** What the provider saw, for assertions. */
export interface UpstreamIdpSeen {
  /** Each authorization request: its query string as sent, and the request object's claims when one came. */
  authorizations: Array<{ query: Record<string, string>; requestObject?: Record<string, unknown>; requestObjectAlg?: string }>;
  /** Each token request: how the client authenticated. */
  tokenRequests: Array<{ clientAuth: 'private_key_jwt' | 'client_secret_basic' | 'client_secret_post' | 'none'; codeVerifier: boolean }>;
  /** The claims of each ID token issued (before any fault spoiled it). */
  idTokens: Array<Record<string, unknown>>;
  /** How many times the userinfo endpoint answered. */
  userinfoRequests: number;
  /** Authorization requests the provider refused, with its error. */
  refused: Array<{ error: string; description?: string }>;
}

export interface UpstreamIdp {
  flavour: UpstreamIdpFlavour;
  /** http://127.0.0.1:<port> */
  issuer: string;
  clientId: string;
  /** googleLike: the client secret. */
  clientSecret?: string;
  /** itsmeLike: the client's private JWK (with kid and alg), to put in the UpstreamProvider. */
  privateKeyJwk?: Record<string, unknown>;
  /** An UpstreamProvider record for this provider and its client (preset defaults; override any field). */
  provider(overrides?: Partial<UpstreamProvider>): UpstreamProvider;
  addRedirectUri(uri: string): void;
  /** Adds or replaces an account and makes it the one the next sign-in uses (unless a login_hint names another). */
  setAccount(account: UpstreamAccount): void;
  /** Replaces the faults (`{}`: behave). */
  setFaults(faults: UpstreamIdpFaults): void;
  seen: UpstreamIdpSeen;
  stop(): Promise<void>;
}

export const ITSME_ACR = {
  basic: 'http://itsme.net/loa/basic',
  substantial: 'http://itsme.net/loa/substantial',
  advanced: 'http://itsme.net/loa/advanced',
  high: 'http://itsme.net/loa/high',
};

/** An adapter in memory whose Client model reads the helper's client table (so redirect URIs can be added later). */
function memoryAdapters(clients: Map<string, ClientMetadata>): (name: string) => Adapter {
  const store = new Map<string, { payload: AdapterPayload; expiresAt?: number }>();
  const live = (key: string) => {
    const entry = store.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt < Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry?.payload;
  };
  return (name: string): Adapter => {
    const key = (id: string) => `${name}:${id}`;
    const scan = (match: (p: AdapterPayload) => boolean) => {
      for (const k of store.keys()) if (k.startsWith(`${name}:`)) {
        const p = live(k);
        if (p && match(p)) return p;
      }
      return undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        store.set(key(id), { payload: structuredClone(payload), expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      },
      async find(id) {
        if (name === 'Client') return clients.get(id) as AdapterPayload | undefined;
        return live(key(id));
      },
      async findByUserCode(userCode) {
        return scan((p) => p.userCode === userCode);
      },
      async findByUid(uid) {
        return scan((p) => p.uid === uid);
      },
      async consume(id) {
        const p = live(key(id));
        if (p) p.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, v] of store) if (v.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}

const b64u = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startUpstreamIdp(options: UpstreamIdpOptions): Promise<UpstreamIdp> {
  const { flavour } = options;
  const itsme = flavour === 'itsmeLike';
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The provider's own signing key, kept to re-sign spoiled ID tokens.
  const signing = await generateKeyPair('RS256', { extractable: true });
  const signingJwk = { ...(await exportJWK(signing.privateKey)), kid: `idp-${crypto.randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' };

  const clientId = itsme ? 'sesam-itsme' : 'sesam-google';
  let clientSecret: string | undefined;
  let privateKeyJwk: Record<string, unknown> | undefined;
  const clientAlg = options.clientKeyAlg ?? 'RS256';
  const redirectUris = new Set(options.redirectUris ?? []);
  const clients = new Map<string, ClientMetadata>();
  let clientMetadata: ClientMetadata;
  if (itsme) {
    const pair = await generateKeyPair(clientAlg, { extractable: true });
    const kid = `sesam-${crypto.randomUUID().slice(0, 8)}`;
    privateKeyJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: clientAlg, use: 'sig' };
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: clientAlg, use: 'sig' };
    clientMetadata = {
      client_id: clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: clientAlg,
      jwks: { keys: [publicJwk] },
      request_object_signing_alg: clientAlg,
      require_signed_request_object: true,
      redirect_uris: [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    };
  } else {
    clientSecret = crypto.randomBytes(24).toString('base64url');
    clientMetadata = {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    };
  }
  const publish = () => {
    // A client needs a redirect URI to be valid; the placeholder is never used.
    clients.set(clientId, { ...clientMetadata, redirect_uris: redirectUris.size ? [...redirectUris] : ['http://127.0.0.1/unused'] });
  };
  publish();

  const accounts = new Map<string, UpstreamAccount>();
  let current: string | undefined;
  for (const a of options.accounts ?? []) {
    accounts.set(a.sub, a);
    current ??= a.sub;
  }
  let faults: UpstreamIdpFaults = {};
  const seen: UpstreamIdpSeen = { authorizations: [], tokenRequests: [], idTokens: [], userinfoRequests: 0, refused: [] };

  const provider = new Provider(issuer, {
    adapter: memoryAdapters(clients),
    jwks: { keys: [signingJwk as never] },
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    findAccount: async (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => {
          const { acr: _acr, amr: _amr, ...claims } = account;
          return { ...claims, sub };
        },
      };
    },
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time', ...(options.extraClaims ?? [])],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'locale'],
    },
    acrValues: Object.values(ITSME_ACR),
    // itsme keeps claims to userinfo (OpenID Connect's rule for the code flow); Google puts them in the ID token.
    conformIdTokenClaims: itsme,
    // Every client must use PKCE here: a client that forgets is refused, not silently served.
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      requestObjects: { enabled: itsme, requireSignedRequestObject: false },
      // No sender-constrained tokens: Sesam does not use DPoP upstream.
      dPoP: { enabled: false },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Fixed lifetimes (and no notice from oidc-provider about its defaults).
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Upstream error</title><h1>${escapeHtml(String(out.error))}</h1><p>${escapeHtml(String(out.error_description ?? ''))}</p>`;
    },
  });

  provider.on('authorization.error', (_ctx: KoaContextWithOIDC, err: { error?: string; error_description?: string }) => {
    seen.refused.push({ error: String(err.error), description: err.error_description });
  });

  // What the provider saw, and the faults, around its own routes.
  provider.use(async (ctx, next) => {
    if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
    if (faults.outage) {
      ctx.status = 503;
      ctx.type = 'html';
      ctx.body = '<!doctype html><title>Service unavailable</title>';
      return;
    }
    if (ctx.path.startsWith('/interaction/')) return interaction(ctx as KoaContextWithOIDC);
    const queryAtStart = { ...(ctx.query as Record<string, string>) };
    const authorization = ctx.path === '/auth';
    if (authorization) {
      const entry: UpstreamIdpSeen['authorizations'][number] = { query: queryAtStart };
      if (typeof queryAtStart.request === 'string') {
        const [header, payload] = queryAtStart.request.split('.');
        try {
          entry.requestObject = decodePart(payload);
          entry.requestObjectAlg = String(decodePart(header).alg);
        } catch {
          /* not a JWT: the provider refuses it */
        }
      }
      seen.authorizations.push(entry);
    }
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    if (oidc?.route === 'discovery' && faults.discoveryIssuer && ctx.body && typeof ctx.body === 'object') {
      ctx.body = { ...(ctx.body as object), issuer: faults.discoveryIssuer };
    }
    if (oidc?.route === 'userinfo' && ctx.status === 200) seen.userinfoRequests += 1;
    if (oidc?.route === 'token') {
      const body = (oidc.body ?? {}) as Record<string, unknown>;
      const basic = /^basic /i.test(ctx.get('authorization'));
      seen.tokenRequests.push({
        clientAuth: body.client_assertion_type ? 'private_key_jwt' : basic ? 'client_secret_basic' : body.client_secret ? 'client_secret_post' : 'none',
        codeVerifier: typeof body.code_verifier === 'string',
      });
      const answer = ctx.body as Record<string, unknown> | undefined;
      if (ctx.status === 200 && typeof answer?.id_token === 'string') seen.idTokens.push(decodePart(answer.id_token.split('.')[1]));
      if (faults.idToken && ctx.status === 200 && answer && typeof answer.id_token === 'string') {
        ctx.body = { ...answer, id_token: await spoil(answer.id_token, faults.idToken) };
      }
    }
  });

  async function spoil(idToken: string, fault: IdTokenFault): Promise<string> {
    const [h, p, s] = idToken.split('.');
    const header = decodePart(h);
    const claims = decodePart(p);
    const now = Math.floor(Date.now() / 1000);
    switch (fault) {
      case 'unsigned':
        return `${b64u({ alg: 'none', typ: 'JWT' })}.${p}.`;
      case 'bad-signature':
        // The claims changed after signing: the signature no longer covers them.
        return `${h}.${b64u({ ...claims, email: 'attacker@evil.example', email_verified: true })}.${s}`;
      case 'wrong-audience':
        claims.aud = 'another-client';
        break;
      case 'wrong-issuer':
        claims.iss = 'https://evil.example';
        break;
      case 'expired':
        claims.iat = now - 7200;
        claims.exp = now - 3600;
        break;
      case 'wrong-nonce':
        claims.nonce = 'not-the-one-sent';
        break;
    }
    return new SignJWT(claims).setProtectedHeader({ ...(header as { alg: string }) }).sign(signing.privateKey);
  }

  async function interaction(ctx: KoaContextWithOIDC): Promise<void> {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let login: string | undefined;
    let cancel = false;
    if (ctx.method === 'POST') {
      const form = await readForm(ctx.req);
      login = form.get('login') ?? undefined;
      cancel = form.get('action') === 'cancel';
    } else if ((options.interaction ?? 'auto') === 'form' && !faults.deny) {
      const hint = typeof details.params.login_hint === 'string' && accounts.has(details.params.login_hint) ? details.params.login_hint : current;
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><title>Upstream sign-in</title><h1>Sign in at the upstream provider</h1>
<form method="post" action="/interaction/${escapeHtml(details.uid)}">
<label>Login <input name="login" autocomplete="username" value="${escapeHtml(hint ?? '')}"></label>
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form></html>`;
      return;
    }
    if (faults.deny || cancel) {
      const error = faults.deny ?? { error: 'access_denied', error_description: 'The user cancelled' };
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, error, { mergeWithLastSubmission: false }));
      return;
    }
    const hint = typeof details.params.login_hint === 'string' && accounts.has(details.params.login_hint) ? details.params.login_hint : undefined;
    const sub = login ?? hint ?? current;
    const account = sub ? accounts.get(sub) : undefined;
    if (!account) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = '<!doctype html><title>Upstream sign-in</title><p role="alert">No such account at the upstream provider.</p>';
      return;
    }
    const asked = typeof details.params.acr_values === 'string' ? details.params.acr_values.split(' ')[0] : undefined;
    const acr = account.acr ?? (itsme ? asked : undefined);
    const grant = new provider.Grant({ accountId: account.sub, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const missingClaims = (details.prompt.details as { missingOIDCClaims?: string[] }).missingOIDCClaims;
    if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    const result = { login: { accountId: account.sub, ...(acr ? { acr } : {}), ...(account.amr ? { amr: account.amr } : {}) }, consent: { grantId } };
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  }

  server.on('request', provider.callback());

  return {
    flavour,
    issuer,
    clientId,
    clientSecret,
    privateKeyJwk,
    provider(overrides = {}) {
      return {
        id: itsme ? 'itsme' : 'google',
        kind: 'oidc',
        preset: itsme ? 'itsme' : 'google',
        issuer,
        clientId,
        ...(clientSecret ? { clientSecret } : {}),
        ...(privateKeyJwk ? { privateKeyJwk } : {}),
        tokenEndpointAuthMethod: itsme ? 'private_key_jwt' : 'client_secret_basic',
        requestObject: itsme,
        scopes: ['openid', 'email', 'profile'],
        ...(itsme ? { acrValues: ITSME_ACR.substantial } : {}),
        subjectClaim: 'sub',
        trustedForTwoFactors: itsme,
        label: { en: itsme ? 'Log in with itsme' : 'Sign in with Google' },
        icon: itsme ? 'itsme' : 'google',
        tenants: null,
        clients: null,
        authoritativeDomains: [],
        enabled: true,
        ...overrides,
      };
    },
    addRedirectUri(uri) {
      redirectUris.add(uri);
      publish();
    },
    setAccount(account) {
      accounts.set(account.sub, account);
      current = account.sub;
    },
    setFaults(next) {
      faults = { ...next };
    },
    seen,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Walks a browser's way through the upstream provider over plain HTTP (a cookie jar, redirects
 * followed, the 'form' page submitted) until the provider sends it to `redirectUri`; returns that
 * URL (with code, state, iss, or error). Throws with the provider's page when it stops elsewhere.
 */
export async function followUpstreamSignIn(url: string, redirectUri: string, options: { login?: string; cancel?: boolean } = {}): Promise<URL> {
  const jar = new Map<string, string>();
  const target = new URL(redirectUri);
  let next: { url: URL; init?: RequestInit } = { url: new URL(url) };
  for (let hop = 0; hop < 20; hop++) {
    if (next.url.origin === target.origin && next.url.pathname === target.pathname) return next.url;
    const res = await fetch(next.url, {
      ...next.init,
      redirect: 'manual',
      headers: { ...(next.init?.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1);
      if (value) jar.set(pair.slice(0, i).trim(), value);
      else jar.delete(pair.slice(0, i).trim());
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      next = { url: new URL(location, next.url) };
      continue;
    }
    const html = await res.text();
    const form = /<form method="post" action="([^"]+)"/.exec(html);
    if (res.status === 200 && form) {
      const login = options.login ?? /name="login"[^>]*value="([^"]*)"/.exec(html)?.[1] ?? '';
      next = {
        url: new URL(form[1].replace(/&#(\d+);/g, (_m, d: string) => String.fromCharCode(Number(d))), next.url),
        init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ login, action: options.cancel ? 'cancel' : 'login' }).toString() },
      };
      continue;
    }
    throw new Error(`the upstream provider stopped at HTTP ${res.status} (${next.url.pathname}): ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)}`);
  }
  throw new Error('too many redirects at the upstream provider');
}
