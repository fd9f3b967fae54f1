/**
 * The pages of password recovery by e-mail: "forgot password" (the identifier, or whom to ask when
 * the employer manages passwords), "check your e-mail", the e-mailed link's page (a button, never
 * an action on load: mail scanners follow links) and the page of a link that no longer works.
 */
import { html, type Safe } from './html.js';
import { alert, page, type PageContext } from './layout.js';

/** The form asking for the identifier; `csrf` is the journey's token. */
export function forgotPage(pc: PageContext, v: { uid: string; csrf: string; identifier: string; error?: string }): string {
  const { t } = pc;
  return page(
    pc,
    t('forgot.title'),
    html`<h1>${t('forgot.title')}</h1>
${alert(v.error)}
<p>${t('forgot.intro')}</p>
<form method="post" action="/interaction/${v.uid}/forgot" novalidate>
<input type="hidden" name="csrf" value="${v.csrf}">
<label for="identifier">${t('identifier.label')}</label>
<input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${v.identifier}">
<button type="submit">${t('forgot.submit')}</button>
</form>
${backToSignIn(pc, v.uid)}`,
  );
}

/** The employer of this sign-in's tenant manages passwords: whom to ask, no form. */
export function askEmployerPage(pc: PageContext, v: { uid: string; tenant: string; contact: string }): string {
  const { t } = pc;
  return page(
    pc,
    t('forgot.title'),
    html`<h1>${t('forgot.title')}</h1>
<p>${t('forgot.admin', { tenant: v.tenant, contact: v.contact })}</p>
${backToSignIn(pc, v.uid)}`,
  );
}

/** The same answer for every identifier, known or not. */
export function forgotSentPage(pc: PageContext, uid: string): string {
  const { t } = pc;
  return page(
    pc,
    t('forgot.sentTitle'),
    html`<h1>${t('forgot.sentTitle')}</h1>
<p role="status">${t('forgot.sent')}</p>
<p class="notice">${t('forgot.sentHint')}</p>
<p class="notice">${t('common.securityNote')}</p>
${backToSignIn(pc, uid)}`,
  );
}

/** Too many requests from this source. */
export function forgotThrottledPage(pc: PageContext, uid: string, time: string): string {
  const { t } = pc;
  return page(pc, t('forgot.title'), html`<h1>${t('forgot.title')}</h1>${alert(t('forgot.throttled', { time }))}${backToSignIn(pc, uid)}`);
}

/** The e-mailed link's page: one button; only its POST uses the link. */
export function recoverContinuePage(pc: PageContext, action: string): string {
  const { t } = pc;
  return page(
    pc,
    t('recover.title'),
    html`<h1>${t('recover.title')}</h1>
<p>${t('recover.intro')}</p>
<form method="post" action="${action}">
<button type="submit" autofocus>${t('common.continue')}</button>
</form>`,
  );
}

/** A link unknown, used, replaced by a newer one, or expired: say so, and how to get a new one. */
export function recoverInvalidPage(pc: PageContext): string {
  const { t } = pc;
  return page(
    pc,
    t('recover.invalidTitle'),
    html`<h1>${t('recover.invalidTitle')}</h1>
<div role="alert"><p>${t('recover.invalid')}</p></div>
<p>${t('recover.askAgainHint')}</p>
<a class="button" href="/account/login?lang=${pc.locale}">${t('recover.askAgain')}</a>`,
  );
}

function backToSignIn(pc: PageContext, uid: string): Safe {
  return html`<p><a href="/interaction/${uid}">${pc.t('forgot.back')}</a></p>`;
}
