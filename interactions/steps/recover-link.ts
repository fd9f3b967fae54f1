/**
 * The e-mailed link, `/interaction/recover/<token>`, opened outside any sign-in. Its GET only
 * shows a button: mail scanners and link previews fetch links, and must not use them up. The
 * button's POST (same-origin only) consumes the token and sends the browser to the account
 * portal's sign-in with a one-time recovery handle, where a journey with intent `recover`
 * starts (interactions/recovery-start.ts). A link that no longer works ends on a page saying so.
 */
import type { Context } from 'koa';
import { pageContextFor } from '../views/provider-pages.js';
import { recoverContinuePage, recoverInvalidPage } from '../views/recovery.js';
import type { Services } from '../services.js';

/** GET: the button, or the page of a link that no longer works. Never consumes the token. */
export async function showRecoverLink(ctx: Context, services: Services, token: string): Promise<void> {
  const pc = pageContextFor(ctx, services.defaultLocale);
  ctx.type = 'html';
  // The page holds the token in its URL: no cache keeps it.
  ctx.set('cache-control', 'no-store');
  if (await services.passwordRecovery.peek(token)) {
    ctx.body = recoverContinuePage(pc, `/interaction/recover/${token}?lang=${pc.locale}`);
    return;
  }
  ctx.status = 410;
  ctx.body = recoverInvalidPage(pc);
}

/** POST: uses the link once, then on to the portal's sign-in with the handle it gave. */
export async function useRecoverLink(ctx: Context, services: Services, token: string): Promise<void> {
  const pc = pageContextFor(ctx, services.defaultLocale);
  const redeemed = await services.passwordRecovery.redeem(token, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
  ctx.set('cache-control', 'no-store');
  if (!redeemed) {
    ctx.status = 410;
    ctx.type = 'html';
    ctx.body = recoverInvalidPage(pc);
    return;
  }
  ctx.status = 303;
  ctx.redirect(`/account/login?${new URLSearchParams({ recovery: redeemed.handle, lang: pc.locale })}`);
}
