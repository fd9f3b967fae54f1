/**
 * The authenticator app (seeds 002 and 003): set up with a QR code, an `otpauth://` link that
 * opens the app in one tap on a phone, or the key typed by hand (the sign-in's own view,
 * interactions/views/totp-setup.ts), confirmed by one code from the app; replaced; removed. The
 * key being set up is drawn by a POST and kept sealed in the portal session until confirmed. The
 * first second factor switches two-step verification on (by the user), with recovery codes shown
 * once. Removing the last one is switching it off, under the same rule (security-mfa.ts).
 */
import { html } from '../../interactions/views/html.js';
import { totpSetupView } from '../../interactions/views/totp-setup.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalAnswer, PortalRoutes } from '../routes.js';
import {
  backLink,
  codeTriesUsedUp,
  countCodeFailure,
  formError,
  lockText,
  proofCard,
  proofNeeded,
  readScratch,
  refuseChange,
  SECURITY,
  twoStepOn,
  twoStepState,
  writeScratch,
} from './security-common.js';
import { showCodesOnce } from './security-recovery-codes.js';

const PAGE = `${SECURITY}/authenticator`;

export function registerAuthenticator(routes: PortalRoutes): void {
  routes.page(PAGE, async (p) => render(p));
  const options = { recent: true, returnTo: PAGE };
  routes.action(`${PAGE}/start`, start, options);
  routes.action(`${PAGE}/confirm`, confirm, options);
  routes.action(`${PAGE}/remove`, remove, options);
  routes.action(`${PAGE}/cancel`, async (p) => {
    await writeScratch(p, 'totp', undefined);
    return { redirect: PAGE };
  });
}

async function render(p: PortalContext, error?: string, status = 200): Promise<PortalAnswer> {
  const { t } = p.pc;
  const { services } = p.deps;
  const state = await services.credentials.status(p.user.id);
  const needed = await proofNeeded(p, state);
  const pending = readScratch<{ secret: string }>(p, 'totp');
  const title = t('portal.security.totp.title');
  let body;
  if (needed) body = proofCard(p, PAGE, needed);
  else if (pending) {
    const { uri, qrDataUrl } = await services.totp.enrollment(p.user.email ?? p.user.login, pending.secret);
    body = html`<section class="card" aria-labelledby="totp-setup"><h2 id="totp-setup">${t('portal.security.totp.setUpTitle')}</h2>
${formError(error)}
${totpSetupView({ t, uri, qrDataUrl, secret: pending.secret, action: `${PAGE}/confirm`, hidden: csrfField(p) })}
<form method="post" action="${PAGE}/cancel">${csrfField(p)}<button type="submit" class="secondary">${t('portal.security.cancel')}</button></form></section>`;
  } else if (state.totp) {
    const two = twoStepState(p, state);
    const last = !state.sms;
    const removable = !last || !two.lock;
    body = html`<section class="card" aria-labelledby="totp-on"><h2 id="totp-on">${t('portal.security.totp.on')}</h2>
${formError(error)}
<p>${t('portal.security.totp.replaceText')}</p>
<form method="post" action="${PAGE}/start">${csrfField(p)}<button type="submit" class="secondary">${t('portal.security.totp.replace')}</button></form>
${removable
  ? html`<p>${t(last ? 'portal.security.totp.removeLast' : 'portal.security.totp.removeText')}</p>
<form method="post" action="${PAGE}/remove">${csrfField(p)}<button type="submit" class="danger">${t('portal.security.totp.remove')}</button></form>`
  : html`<p>${lockText(p, two)}</p>`}</section>`;
  } else {
    body = html`<section class="card" aria-labelledby="totp-off"><h2 id="totp-off">${t('portal.security.totp.off')}</h2>
${formError(error)}
<p>${t('portal.security.totp.why')}</p>
${!twoStepOn(state) ? html`<p>${t('portal.security.totp.switchesOn')}</p>` : ''}
<form method="post" action="${PAGE}/start">${csrfField(p)}<button type="submit">${t('portal.security.totp.setUp')}</button></form></section>`;
  }
  return { status, html: portalPage(p, { title, section: 'security', body: html`<h1>${title}</h1>${body}${backLink(p)}` }) };
}

/** Draws a new key for this set-up (a POST: nothing is drawn on a page load). */
async function start(p: PortalContext): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  await writeScratch(p, 'totp', { secret: p.deps.services.totp.newSecret() });
  return { redirect: PAGE };
}

async function confirm(p: PortalContext, form: Record<string, string>): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  const { t } = p.pc;
  const { services } = p.deps;
  const pending = readScratch<{ secret: string }>(p, 'totp');
  if (!pending) return { redirect: PAGE };
  if (await codeTriesUsedUp(p, 'totp')) {
    await writeScratch(p, 'totp', undefined);
    return render(p, t('portal.security.tooManyCodes'), 429);
  }
  const before = await services.credentials.status(p.user.id);
  if (!(await services.credentials.confirmTotp(p.user, pending.secret, form.code ?? '', p.meta, 'user'))) {
    if (await countCodeFailure(p, 'totp')) {
      await writeScratch(p, 'totp', undefined);
      return render(p, t('portal.security.tooManyCodes'), 429);
    }
    return render(p, t('mfa.invalid'), 400);
  }
  await writeScratch(p, 'totp', undefined);
  const flash = { kind: 'success' as const, text: t(twoStepOn(before) ? 'portal.security.totp.added' : 'portal.security.totp.addedOn') };
  // The first second factor comes with recovery codes, shown once.
  if (!twoStepOn(before) && before.recoveryCodesRemaining === 0) return showCodesOnce(p, flash);
  return { redirect: SECURITY, flash };
}

async function remove(p: PortalContext): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  const { t } = p.pc;
  const outcome = await p.deps.services.credentials.removeTotp(p.user, { meta: p.meta, keepSessionUid: p.session.providerSessionUid });
  if (outcome === 'not_enrolled') return { redirect: PAGE };
  if (outcome) return { redirect: PAGE, flash: { kind: 'error', text: lockText(p, { requiredBy: p.memberships.filter((m) => m.policy.mfa === 'required'), lock: outcome }) } };
  return { redirect: SECURITY, flash: { kind: 'success', text: t('portal.security.totp.removed') } };
}
