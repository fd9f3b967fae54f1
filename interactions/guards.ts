/**
 * What every state-changing request to the journey must pass: it comes from Sesam's own pages
 * (Fetch metadata, else Origin), and it carries the journey's anti-forgery token. A cross-site
 * form or a forged POST is refused with a page saying so, in the user's language.
 */
import crypto from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Locale } from './i18n/index.js';
import { pageContextFor } from './views/provider-pages.js';
import { errorPage } from './views/layout.js';
import { html } from './views/html.js';
import type { StepContext } from './step.js';

/**
 * Refuses a request another site made the browser send. `Sec-Fetch-Site` (every current browser)
 * must say `same-origin`; without it, an `Origin` must be the issuer's. Our pages send no referrer,
 * so a browser's form POST may carry `Origin: null`: then the token alone decides.
 */
export function sameOriginOnly(origin: string, fallbackLocale: Locale) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const site = ctx.get('sec-fetch-site');
    const from = ctx.get('origin');
    const crossSite = site ? site !== 'same-origin' : !!from && from !== 'null' && from !== origin;
    if (!crossSite) return next();
    const pc = pageContextFor(ctx, fallbackLocale);
    ctx.status = 403;
    if (ctx.is('application/json')) {
      ctx.body = { error: 'cross_site', message: pc.t('guard.crossSite') };
      return;
    }
    ctx.type = 'html';
    ctx.body = errorPage(pc, pc.t('guard.crossSite'));
  };
}

/** True when `submitted` is exactly the anti-forgery token `expected`, compared in constant time. */
export function tokenMatches(expected: string, submitted: unknown): boolean {
  const want = Buffer.from(expected);
  const given = Buffer.from(typeof submitted === 'string' ? submitted : '');
  return given.length === want.length && crypto.timingSafeEqual(given, want);
}

/** True when the submission carries this journey's token (form field `csrf`, or the `X-CSRF-Token` header for JSON). */
export function hasJourneyToken(sc: StepContext, submitted: unknown): boolean {
  return tokenMatches(sc.journey.csrf, submitted);
}

/** The answer to a submission without the journey's token: back to the current step, nothing done. */
export function refuseForgery(sc: StepContext): void {
  const { t } = sc.pc;
  sc.ctx.status = 403;
  if (sc.ctx.is('application/json')) {
    sc.ctx.body = { error: 'invalid_csrf', message: t('guard.csrf') };
    return;
  }
  sc.ctx.type = 'html';
  sc.ctx.body = errorPage(sc.pc, t('guard.csrf'), html`<a class="button" href="/interaction/${sc.uid}">${t('guard.resume')}</a>`);
}
