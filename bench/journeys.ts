/**
 * The sign-in journeys the load generator runs, as a browser would: a cookie jar per journey,
 * manual redirects, every form with its CSRF token, every answer checked (a wrong one throws
 * SignInError, which the loops count). A password sign-in (authorize → identifier → password →
 * resume → code → tokens), a passkey sign-in (the assertion signed by a software authenticator,
 * authenticator.ts), and the engine's development sign-in of the bare provider (only to get its
 * tokens). Each request is one timed sample of its step.
 */
import crypto from 'node:crypto';
import { PASSWORD, WEB_CLIENT, login } from './config.js';
import type { SoftwarePasskey } from './authenticator.js';

export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const b64url = (buf: Buffer) => buf.toString('base64url');

export const STEPS = ['authorize', 'identifier GET', 'identifier POST', 'password GET', 'password POST', 'resume', 'token'] as const;
export type Step = (typeof STEPS)[number];
/** The steps that do not hash a password (goal: p99 < 25 ms). */
export const FAST_STEPS: Step[] = ['authorize', 'identifier GET', 'identifier POST', 'password GET', 'resume', 'token'];
/**
 * A passkey sign-in, identifier first: the identifier page, the identifier (the browser says it
 * can run a ceremony), the passkey page, the ceremony's options and its verification (JSON, whose
 * `next` is the engine's resume URL when the passkey ends the journey), the engine's resume, the
 * token. `finish GET` (the journey's page once more) is taken only when `next` sends the page
 * script back there. None of them hashes: the goal (p99 < 25 ms) is for every one.
 */
export const PASSKEY_STEPS = ['authorize', 'identifier GET', 'identifier POST', 'passkey GET', 'passkey options', 'passkey verify', 'finish GET', 'resume', 'token'] as const;
export type PasskeyStep = (typeof PASSKEY_STEPS)[number];
export type AnyStep = Step | PasskeyStep;
/** Steps a sign-in takes only on a detour: reported only when some sign-in took them. */
export const OPTIONAL_STEPS: ReadonlySet<AnyStep> = new Set<AnyStep>(['finish GET']);

export class CookieJar {
  private cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k, v = ''] = a.split('=').map((s) => s.trim());
        if (/^max-age$/i.test(k)) return Number(v) <= 0;
        if (/^expires$/i.test(k)) return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export class SignInError extends Error {
  constructor(
    readonly step: AnyStep,
    readonly status: number,
    detail: string,
  ) {
    super(`${step}: ${status} ${detail}`);
  }
}

export interface Sample {
  step: AnyStep;
  start: number;
  ms: number;
}

export interface SignInStats {
  completed: number[]; // completion times (performance.now)
  samples: Sample[];
  failures: { step: AnyStep; status: number; message: string }[];
}

export interface Answer {
  status: number;
  body: string;
  location?: URL;
}

/**
 * One browser's journey: a cookie jar, timed requests (one sample per step), and the checks
 * every step's answer must pass (a wrong answer throws SignInError, which the run counts).
 */
/**
 * The address a user signs in from, as a proxy in front of Sesam would tell it (X-Forwarded-For;
 * the bench's servers run with TRUST_PROXY=true): one per account, as people sign in from their
 * own devices. From one address, the source throttle (30 password tries reserved per 15 minutes,
 * given back once right) would refuse a burst of 32 concurrent journeys.
 */
export const sourceOf = (userIndex: number) => `10.13.${(userIndex >> 8) & 255}.${userIndex & 255}`;

export function browser(base: string, stats: SignInStats, source?: string) {
  const jar = new CookieJar();
  const request = async (step: AnyStep, url: string, init: RequestInit = {}): Promise<Answer> => {
    const headers = new Headers(init.headers);
    if (source) headers.set('x-forwarded-for', source);
    const cookie = jar.header();
    if (cookie) headers.set('cookie', cookie);
    const start = performance.now();
    const res = await fetch(new URL(url, base), { ...init, headers, redirect: 'manual' });
    const body = await res.text();
    const ms = performance.now() - start;
    jar.store(res);
    stats.samples.push({ step, start, ms });
    const location = res.headers.get('location');
    return { status: res.status, body, location: location ? new URL(location, base) : undefined };
  };
  const expectRedirect = (step: AnyStep, r: Answer, pathPrefix: string): URL => {
    if (![302, 303].includes(r.status) || !r.location) throw new SignInError(step, r.status, r.body.slice(0, 200));
    if (!r.location.href.startsWith(pathPrefix) && !r.location.pathname.startsWith(pathPrefix)) throw new SignInError(step, r.status, `redirected to ${r.location.href}`);
    return r.location;
  };
  const expectPage = (step: AnyStep, r: Answer, action: string) => {
    if (r.status !== 200 || !r.body.includes(action)) throw new SignInError(step, r.status, `no form ${action}: ${r.body.slice(0, 200)}`);
  };
  return { request, expectRedirect, expectPage };
}

export const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** The web app's authorization request (code + PKCE, state, nonce) and what its end needs back. */
function authorizationRequest(): { auth: URLSearchParams; state: string; verifier: string } {
  const verifier = b64url(crypto.randomBytes(32));
  const state = b64url(crypto.randomBytes(12));
  const auth = new URLSearchParams({
    client_id: WEB_CLIENT.id,
    response_type: 'code',
    redirect_uri: WEB_CLIENT.redirectUri,
    scope: WEB_CLIENT.scope,
    state,
    nonce: b64url(crypto.randomBytes(12)),
    code_challenge: b64url(crypto.createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  });
  return { auth, state, verifier };
}

/**
 * The start every sign-in shares: the authorization request (code + PKCE), the identifier page
 * (its CSRF token: every journey form carries it back, as a browser does), the identifier.
 */
export async function startSignIn(b: ReturnType<typeof browser>, identifier: string, extra: Record<string, string> = {}) {
  const { auth, state, verifier } = authorizationRequest();
  const interaction = b.expectRedirect('authorize', await b.request('authorize', `/auth?${auth}`), '/interaction/');
  const uid = interaction.pathname.split('/')[2];
  const identifierPage = await b.request('identifier GET', interaction.pathname);
  b.expectPage('identifier GET', identifierPage, `/interaction/${uid}/identifier`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(identifierPage.body)?.[1] ?? '';
  const afterIdentifier = await b.request('identifier POST', `/interaction/${uid}/identifier`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ csrf, identifier, ...extra }).toString(),
  });
  b.expectRedirect('identifier POST', afterIdentifier, `/interaction/${uid}`);
  return { uid, csrf, state, verifier };
}

/** The end every sign-in shares: the engine's resume to the app with a code, and the code for tokens. */
export async function finishSignIn(b: ReturnType<typeof browser>, resume: URL, state: string, verifier: string): Promise<Tokens> {
  const callback = b.expectRedirect('resume', await b.request('resume', resume.pathname + resume.search), WEB_CLIENT.redirectUri);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new SignInError('resume', 303, `bad callback ${callback.href}`);
  const token = await b.request('token', '/token', {
    method: 'POST',
    headers: { ...form, authorization: basic(WEB_CLIENT.id, WEB_CLIENT.secret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB_CLIENT.redirectUri, code_verifier: verifier }).toString(),
  });
  if (token.status !== 200) throw new SignInError('token', token.status, token.body.slice(0, 200));
  const tokens = JSON.parse(token.body) as Partial<Tokens>;
  if (!tokens.access_token || !tokens.id_token) throw new SignInError('token', token.status, `no tokens: ${token.body.slice(0, 200)}`);
  return tokens as Tokens;
}

/** What the token endpoint answered at the end of a sign-in. */
export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
}

export async function signInOnce(base: string, userIndex: number, stats: SignInStats): Promise<Tokens> {
  const b = browser(base, stats, sourceOf(userIndex));
  const { uid, csrf, state, verifier } = await startSignIn(b, login(userIndex));
  b.expectPage('password GET', await b.request('password GET', `/interaction/${uid}`), `/interaction/${uid}/password`);
  const afterPassword = await b.request('password POST', `/interaction/${uid}/password`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ csrf, username: login(userIndex), password: PASSWORD, remember: 'on' }).toString(),
  });
  const resume = b.expectRedirect('password POST', afterPassword, '/auth/');
  const tokens = await finishSignIn(b, resume, state, verifier);
  stats.completed.push(performance.now());
  return tokens;
}

/** Where the passkey sign-ins run: the page origin clientDataJSON names (the ISSUER's) and the RP ID. */
export interface PasskeyTarget {
  origin: string;
  rpId: string;
  rpIdHash: Buffer;
  passkeys: SoftwarePasskey[];
}

/** A JSON answer of a ceremony step (200 expected), parsed. */
export function ceremonyAnswer<T>(step: PasskeyStep, r: Answer): T {
  if (r.status !== 200) throw new SignInError(step, r.status, r.body.slice(0, 200));
  try {
    return JSON.parse(r.body) as T;
  } catch {
    throw new SignInError(step, r.status, `not JSON: ${r.body.slice(0, 200)}`);
  }
}

export async function passkeySignInOnce(base: string, userIndex: number, stats: SignInStats, target: PasskeyTarget): Promise<void> {
  const passkey = target.passkeys[userIndex % target.passkeys.length];
  const b = browser(base, stats, sourceOf(userIndex));
  // `webauthn=available`: what the identifier page's script sends when the browser can run a
  // ceremony (not `platform`, which would also ask for the offer to create one after a password).
  const { uid, csrf, state, verifier } = await startSignIn(b, passkey.login, { webauthn: 'available' });
  b.expectPage('passkey GET', await b.request('passkey GET', `/interaction/${uid}`), `/interaction/${uid}/passkey`);
  const json = { 'content-type': 'application/json', 'x-csrf-token': csrf };
  const url = `/interaction/${uid}/passkey`;
  const { options } = ceremonyAnswer<{ options?: { challenge?: string; rpId?: string; allowCredentials?: { id: string }[] } }>(
    'passkey options',
    await b.request('passkey options', url, { method: 'POST', headers: json, body: JSON.stringify({ action: 'options' }) }),
  );
  if (!options?.challenge || options.rpId !== target.rpId || !options.allowCredentials?.some((c) => c.id === passkey.credentialId)) {
    throw new SignInError('passkey options', 200, `options without this credential, a challenge or rpId ${target.rpId}: ${JSON.stringify(options).slice(0, 200)}`);
  }
  const response = passkey.assert(options.challenge, target.origin, target.rpIdHash);
  const { next } = ceremonyAnswer<{ next?: string }>('passkey verify', await b.request('passkey verify', url, { method: 'POST', headers: json, body: JSON.stringify({ action: 'verify', response }) }));
  // The page script goes where `next` says: the engine's resume (absolute, the ISSUER's) when the
  // passkey ended the journey; the journey's page when it has more to show.
  const to = next ? new URL(next, base) : undefined;
  let resume: URL;
  if (to && to.origin === target.origin && to.pathname.startsWith('/auth/')) {
    resume = to;
  } else if (to && to.origin === new URL(base).origin && to.pathname === `/interaction/${uid}`) {
    const page = await b.request('finish GET', to.pathname + to.search);
    if (page.status === 200) {
      // Not a sign-in this bench measures: say which page the journey showed.
      const title = /<title>([^<]*)<\/title>/i.exec(page.body)?.[1]?.trim();
      throw new SignInError('finish GET', page.status, `after the passkey the journey shows another page: "${title ?? page.body.slice(0, 120)}"`);
    }
    resume = b.expectRedirect('finish GET', page, '/auth/');
  } else {
    throw new SignInError('passkey verify', 200, `next ${next ?? '(none)'}: neither the engine's resume (${target.origin}/auth/…) nor /interaction/${uid}`);
  }
  await finishSignIn(b, resume, state, verifier);
  stats.completed.push(performance.now());
}

/**
 * The bare engine's tokens for `account`: the authorization request, then its development
 * interactions (the login form, then the consent form, both answered without their pages), the
 * code for tokens. Not measured: only the refresh token and the access token matter.
 */
export async function bareCodeFlow(base: string, account: string): Promise<Tokens> {
  const stats: SignInStats = { completed: [], samples: [], failures: [] };
  const b = browser(base, stats);
  const { auth, state, verifier } = authorizationRequest();
  let at = b.expectRedirect('authorize', await b.request('authorize', `/auth?${auth}`), '/interaction/');
  for (const prompt of ['login', 'consent']) {
    const body = new URLSearchParams(prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt }).toString();
    const resume = b.expectRedirect('identifier POST', await b.request('identifier POST', at.pathname, { method: 'POST', headers: form, body }), '/auth/');
    if (prompt === 'consent') return finishSignIn(b, resume, state, verifier);
    at = b.expectRedirect('resume', await b.request('resume', resume.pathname), '/interaction/');
  }
  throw new Error('unreachable');
}
