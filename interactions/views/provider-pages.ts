/** The engine's own pages (errors, logout), in the user's language and the same frame. */
import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { chooseLocale, translator, type Locale } from '../i18n/index.js';
import { newNonce } from '../../src/http/security-headers.js';
import { errorPage, page, type PageContext } from './layout.js';
import { html, Safe } from './html.js';

export function pageContextFor(ctx: Context, fallback: Locale, extra: { uiLocales?: string; tenantDefault?: string; chosen?: string; clientName?: string } = {}): PageContext {
  const locale = chooseLocale({
    chosen: extra.chosen ?? (ctx.query.lang as string | undefined),
    uiLocales: extra.uiLocales,
    acceptLanguage: ctx.get('accept-language'),
    tenantDefault: extra.tenantDefault,
    fallback,
  });
  const url = new URL(ctx.originalUrl, 'http://x');
  return {
    t: translator(locale),
    locale,
    nonce: newNonce(ctx),
    clientName: extra.clientName,
    localeUrl: (l) => {
      url.searchParams.set('lang', l);
      return `${url.pathname}${url.search}`;
    },
  };
}

/** The pages of Sesam's own last-resort error handler: not found, or something failed. */
export function errorPages(fallback: Locale) {
  return (ctx: Context, problem: 'notFound' | 'generic'): string => {
    const pc = pageContextFor(ctx, fallback);
    return errorPage(pc, pc.t(problem === 'notFound' ? 'page.notFound' : 'error.generic'));
  };
}

const KNOWN = new Set(['invalid_request', 'invalid_client', 'invalid_redirect_uri']);

export function providerPages(fallback: Locale) {
  const uiLocales = (ctx: KoaContextWithOIDC) => (ctx.oidc?.params?.ui_locales as string | undefined) ?? undefined;
  return {
    async renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, _error: Error) {
      const pc = pageContextFor(ctx, fallback, { uiLocales: uiLocales(ctx) });
      const { t } = pc;
      // A redirect_uri the client did not register is the app's mistake most worth naming.
      const detail = /redirect_uri/.test(out.error_description ?? '')
        ? t('error.invalid_redirect_uri')
        : KNOWN.has(out.error)
          ? t(`error.${out.error}`)
          : t('error.generic');
      ctx.type = 'html';
      ctx.body = errorPage(
        pc,
        detail,
        html`<p class="notice">${t('error.code', { code: out.error })}</p>${out.error_description ? html`<p class="notice">${out.error_description}</p>` : ''}`,
      );
    },

    async logoutSource(ctx: KoaContextWithOIDC, form: string) {
      const pc = pageContextFor(ctx, fallback, { uiLocales: uiLocales(ctx) });
      const { t } = pc;
      ctx.type = 'html';
      ctx.body = page(
        pc,
        t('logout.title'),
        html`<h1>${t('logout.title')}</h1><p>${t('logout.question')}</p>${new Safe(form)}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${t('logout.yes')}</button>
<button type="submit" class="secondary" form="op.logoutForm">${t('logout.no')}</button>`,
      );
    },

    async postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      const pc = pageContextFor(ctx, fallback);
      const { t } = pc;
      ctx.type = 'html';
      ctx.body = page(pc, t('logout.title'), html`<h1>${t('logout.title')}</h1><p>${t('logout.done')}</p>`);
    },
  };
}
