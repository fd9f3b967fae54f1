/**
 * How a portal route is declared: a page (GET), an action (a form POST) or a JSON call, each
 * behind the same guards. A request without a live portal session goes to the sign-in; a
 * session whose engine session ended (signed out elsewhere, a credential changed, an admin reset)
 * or whose account is disabled is dropped. POSTs come from Sesam's own pages (Fetch metadata or
 * Origin) with the session's anti-forgery token. An action marked `recent` needs a sign-in of
 * the last few minutes: older, the user proves it again (the sign-in with `max_age`).
 */
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { chooseLocale, isLocale } from '../interactions/i18n/index.js';
import { newNonce } from '../src/http/security-headers.js';
import { sameOriginOnly, tokenMatches } from '../interactions/guards.js';
import { formFields } from '../interactions/form-fields.js';
import { errorPage } from '../interactions/views/layout.js';
import type { PageContext } from '../interactions/views/layout.js';
import { portalTranslator } from './i18n/index.js';
import { requestMetaOf, type PortalContext } from './context.js';
import { proofNeeded, proofUrl } from './proof.js';
import type { PortalDeps } from './deps.js';
import type { PortalSession } from './session.js';

export type PortalAnswer = { html: string; status?: number } | { redirect: string; flash?: PortalSession['flash'] };
export type JsonAnswer = { status: number; body: Record<string, unknown> };

export interface ActionOptions {
  /**
   * Needs a sign-in of the last `recentSeconds` (`'second-factor'`: one that also proved the
   * account's second factor, if it has one: proof.ts); else the user proves it again and comes
   * back to `returnTo`.
   */
  recent?: boolean | 'second-factor';
  /** The page holding the form (default: the action's path without its last segment). */
  returnTo?: string;
}

export interface PortalRoutes {
  page(path: string, handler: (p: PortalContext) => Promise<PortalAnswer>): void;
  action(path: string, handler: (p: PortalContext, form: Record<string, string>) => Promise<PortalAnswer>, options?: ActionOptions): void;
  json(path: string, handler: (p: PortalContext, body: Record<string, unknown>) => Promise<JsonAnswer>, options?: ActionOptions): void;
}

/** Where to prove it again before `returnTo` (a path under /account). */
export function reauthUrl(deps: PortalDeps, returnTo: string): string {
  return `/account/login?${new URLSearchParams({ return: returnTo, max_age: String(deps.recentSeconds) })}`;
}

/** A page context in the portal's language: the switcher's choice (this request's, else this session's), then Accept-Language, the account's, the default. */
export function portalPageContext(ctx: Context, deps: PortalDeps, preferred?: string | null, chosen?: string): PageContext {
  const locale = chooseLocale({ chosen: (ctx.query.lang as string | undefined) ?? chosen, acceptLanguage: ctx.get('accept-language'), tenantDefault: preferred ?? undefined, fallback: deps.services.defaultLocale });
  const url = new URL(ctx.originalUrl, 'http://x');
  return {
    t: portalTranslator(locale),
    locale,
    nonce: newNonce(ctx),
    localeUrl: (l) => {
      url.searchParams.set('lang', l);
      return `${url.pathname}${url.search}`;
    },
  };
}

export function portalRoutes(router: Router, deps: PortalDeps): PortalRoutes {
  const body = bodyParser({ enableTypes: ['form', 'json'], formLimit: '32kb', jsonLimit: '64kb' });
  const sameOrigin = sameOriginOnly(deps.services.origin, deps.services.defaultLocale);

  /** The request's portal context, or undefined when the request was answered (sent to sign in). */
  const load = async (ctx: Context): Promise<PortalContext | undefined> => {
    const session = await deps.sessions.load(ctx);
    const signIn = () => {
      ctx.status = 303;
      ctx.redirect(ctx.method === 'GET' ? `/account/login?${new URLSearchParams({ return: ctx.originalUrl })}` : '/account/login');
    };
    if (!session) return signIn(), undefined;
    const [engineSession, user] = await Promise.all([
      session.providerSessionUid ? deps.services.provider().Session.findByUid(session.providerSessionUid) : undefined,
      deps.services.users.findById(session.accountId),
    ]);
    if (!engineSession || engineSession.accountId !== session.accountId || !user || user.disabled) {
      await deps.sessions.destroy(ctx);
      return signIn(), undefined;
    }
    if (isLocale(ctx.query.lang) && session.locale !== ctx.query.lang) {
      // The switcher's choice holds for this portal session (a GET changes nothing of the account).
      session.locale = ctx.query.lang;
      await deps.sessions.save(session);
    }
    const memberships = await deps.services.users.memberships(user.id);
    return {
      ctx,
      deps,
      session,
      user,
      memberships,
      pc: portalPageContext(ctx, deps, user.locale ?? memberships.find((m) => m.policy.locale)?.policy.locale, session.locale),
      meta: requestMetaOf(ctx),
      recent: Date.now() / 1000 - session.authTime <= deps.recentSeconds,
    };
  };

  const answer = async (p: PortalContext, result: PortalAnswer, shownFlash: boolean): Promise<void> => {
    if ('redirect' in result) {
      if (result.flash || shownFlash) await deps.sessions.save({ ...p.session, flash: result.flash });
      p.ctx.status = 303;
      p.ctx.redirect(result.redirect);
      return;
    }
    if (shownFlash) await deps.sessions.save({ ...p.session, flash: undefined });
    p.ctx.status = result.status ?? 200;
    p.ctx.type = 'html';
    p.ctx.body = result.html;
  };

  /** Checks the POST's token; answers 403 and returns false when it is missing or wrong. */
  const tokenOk = (p: PortalContext, given: unknown): boolean => {
    if (tokenMatches(p.session.csrf, given)) return true;
    void deps.services.events.record({ type: 'security.csrf_refused', userId: p.user.id, ...p.meta });
    p.ctx.status = 403;
    if (p.ctx.is('application/json')) p.ctx.body = { error: 'invalid_csrf', message: p.pc.t('guard.csrf') };
    else {
      p.ctx.type = 'html';
      p.ctx.body = errorPage(p.pc, p.pc.t('guard.csrf'));
    }
    return false;
  };

  const parentOf = (path: string) => path.replace(/\/[^/]+$/, '') || '/account';

  return {
    page(path, handler) {
      router.get(path, async (ctx) => {
        const p = await load(ctx);
        if (!p) return;
        const shown = !!p.session.flash;
        await answer(p, await handler(p), shown);
      });
    },
    action(path, handler, options = {}) {
      router.post(path, sameOrigin, body, async (ctx) => {
        const p = await load(ctx);
        if (!p) return;
        const form = formFields(ctx.request.body);
        if (!tokenOk(p, form.csrf)) return;
        if (options.recent && !p.recent) {
          ctx.status = 303;
          ctx.redirect(reauthUrl(deps, options.returnTo ?? parentOf(ctx.path)));
          return;
        }
        const needed = options.recent === 'second-factor' ? await proofNeeded(p) : undefined;
        if (needed) {
          ctx.status = 303;
          ctx.redirect(proofUrl(p, options.returnTo ?? parentOf(ctx.path), needed));
          return;
        }
        await answer(p, await handler(p, form), false);
      });
    },
    json(path, handler, options = {}) {
      router.post(path, sameOrigin, body, async (ctx) => {
        const p = await load(ctx);
        if (!p) return;
        if (!ctx.is('application/json')) {
          ctx.status = 415;
          ctx.body = { error: 'json_expected', message: 'this route takes JSON' };
          return;
        }
        if (!tokenOk(p, ctx.get('x-csrf-token'))) return;
        if (options.recent && !p.recent) {
          ctx.status = 401;
          ctx.body = { error: 'reauthenticate', message: p.pc.t('portal.reauth.needed'), next: reauthUrl(deps, options.returnTo ?? parentOf(ctx.path)) };
          return;
        }
        const result = await handler(p, (ctx.request.body ?? {}) as Record<string, unknown>);
        ctx.status = result.status;
        ctx.body = result.body;
      });
    },
  };
}
