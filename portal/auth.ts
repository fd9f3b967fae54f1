/**
 * Signing in to the portal as an app signs in to Sesam: /account/login sends the browser to the
 * authorization endpoint (code + PKCE, state, nonce; `max_age` when a change needs a fresh proof;
 * `recovery` when an e-mailed link started a password recovery), /account/callback redeems the
 * code with openid-client and binds the portal session to the engine's browser session, and
 * /account/logout ends both (RP-initiated logout).
 */
import crypto from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import { ACR_2FA } from '../src/domain/assurance.js';
import { isLocale } from '../interactions/i18n/index.js';
import { html } from '../interactions/views/html.js';
import { barePortalPage } from './layout.js';
import { portalPageContext } from './routes.js';
import type { PortalDeps } from './deps.js';
import { PORTAL_CLIENT_ID } from './oidc-client.js';

const SCOPE = 'openid profile email phone';

/** Only a path of the portal itself: never another site (an open redirect). */
export function safeReturn(value: unknown): string {
  return typeof value === 'string' && /^\/account(?:[/?#]|$)/.test(value) && !value.includes('\\') && !/[\r\n]/.test(value) ? value : '/account';
}

export function registerAuth(router: Router, deps: PortalDeps): void {
  const { services } = deps;

  const problem = (ctx: Context, status: number, messageKey: string) => {
    const pc = portalPageContext(ctx, deps);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = barePortalPage(pc, pc.t('portal.signIn.problemTitle'), html`<div class="card"><h1>${pc.t('portal.signIn.problemTitle')}</h1><div role="alert">${pc.t(messageKey)}</div><a class="button" href="/account/login">${pc.t('portal.signIn.again')}</a></div>`);
  };

  router.get('/account/login', async (ctx) => {
    const config = await deps.client.configuration();
    const maxAge = Number.parseInt(String(ctx.query.max_age ?? ''), 10);
    const recovery = typeof ctx.query.recovery === 'string' && /^[\w-]{10,200}$/.test(ctx.query.recovery) ? ctx.query.recovery : undefined;
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const returnTo = safeReturn(ctx.query.return);
    await deps.sessions.savePending(state, { verifier, nonce, returnTo, maxAge: Number.isFinite(maxAge) && maxAge >= 0 ? maxAge : undefined });
    const params: Record<string, string> = {
      redirect_uri: deps.client.redirectUri,
      scope: SCOPE,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    if (Number.isFinite(maxAge) && maxAge >= 0) {
      params.max_age = String(maxAge);
      // Proving it again: the identifier of the account signed in here is known.
      const current = await deps.sessions.load(ctx);
      const user = current ? await services.users.findById(current.accountId) : undefined;
      if (user) params.login_hint = user.login;
    }
    // A change that needs the account's second factor (proof.ts): two factors, on any device.
    if (ctx.query.acr === '2fa') params.acr_values = ACR_2FA;
    if (recovery) {
      params.recovery = recovery;
      params.prompt = 'login';
    }
    const lang = ctx.query.lang;
    if (isLocale(lang)) params.ui_locales = lang;
    ctx.status = 303;
    ctx.redirect(oidc.buildAuthorizationUrl(config, params).href);
  });

  router.get('/account/callback', async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const pending = state ? await deps.sessions.takePending(state) : undefined;
    if (!pending) return problem(ctx, 400, 'portal.signIn.expired');
    if (typeof ctx.query.error === 'string') return problem(ctx, 400, ctx.query.error === 'access_denied' ? 'portal.signIn.cancelled' : 'portal.signIn.failed');
    const config = await deps.client.configuration();
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, new URL(`${deps.client.redirectUri}?${ctx.querystring}`), {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        maxAge: pending.maxAge,
      });
    } catch (err) {
      services.logger.warn({ err }, 'portal sign-in failed');
      return problem(ctx, 400, 'portal.signIn.failed');
    }
    const claims = tokens.claims()!;
    // The engine's browser session this sign-in made: the portal lives as long as it does.
    const engineSessionId = ctx.cookies.get('_session', { signed: true });
    const engineSession = engineSessionId ? await services.provider().Session.find(engineSessionId) : undefined;
    if (!engineSession || engineSession.accountId !== claims.sub) return problem(ctx, 400, 'portal.signIn.failed');
    await deps.sessions.create(ctx, {
      accountId: claims.sub,
      authTime: Number(claims.auth_time ?? Math.floor(Date.now() / 1000)),
      providerSessionUid: engineSession.uid,
      idToken: tokens.id_token!,
    });
    ctx.status = 303;
    ctx.redirect(pending.returnTo);
  });

  router.get('/account/signed-out', (ctx) => {
    const pc = portalPageContext(ctx, deps);
    ctx.type = 'html';
    ctx.body = barePortalPage(pc, pc.t('portal.signedOut.title'), html`<div class="card"><h1>${pc.t('portal.signedOut.title')}</h1><p>${pc.t('portal.signedOut.text')}</p><a class="button" href="/account/login">${pc.t('portal.signIn.again')}</a></div>`);
  });
}

/** Where the browser goes to end its engine session too (the engine asks to confirm). */
export async function endSessionUrl(deps: PortalDeps, idToken: string): Promise<string> {
  const config = await deps.client.configuration();
  const base = deps.client.redirectUri.replace(/\/callback$/, '/signed-out');
  return oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: base, client_id: PORTAL_CLIENT_ID, state: crypto.randomBytes(8).toString('hex') }).href;
}
