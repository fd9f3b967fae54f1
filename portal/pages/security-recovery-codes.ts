/**
 * Recovery codes: how many are left, and new ones (the old ones stop working), only while a
 * second factor exists (they stand in for it). New codes are drawn by a POST and kept sealed in
 * the portal session only until the next page shows them: that page forgets them as it shows
 * them, so a reload (or the back button) never shows them again.
 */
import { html } from '../../interactions/views/html.js';
import { RECOVERY_CODE_COUNT } from '../../src/domain/recovery-codes.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalAnswer, PortalRoutes } from '../routes.js';
import type { PortalSession } from '../session.js';
import { backLink, plural, proofCard, proofNeeded, readScratch, refuseChange, SECURITY, twoStepOn, writeScratch } from './security-common.js';

const PAGE = `${SECURITY}/recovery-codes`;
const SHOW = `${PAGE}/show`;

export function registerRecoveryCodes(routes: PortalRoutes): void {
  routes.page(PAGE, render);
  routes.page(SHOW, show);
  routes.action(`${PAGE}/new`, regenerate, { recent: true, returnTo: PAGE });
}

/** Draws new codes for the user and sends the browser to see them, once. */
export async function showCodesOnce(p: PortalContext, flash?: PortalSession['flash']): Promise<PortalAnswer> {
  const codes = await p.deps.services.credentials.issueRecoveryCodes(p.user.id, { meta: p.meta });
  await writeScratch(p, 'codes', codes);
  return { redirect: SHOW, flash };
}

async function render(p: PortalContext): Promise<PortalAnswer> {
  const { t } = p.pc;
  const status = await p.deps.services.credentials.status(p.user.id);
  const title = t('portal.security.recovery.title');
  let body;
  if (!twoStepOn(status)) {
    body = html`<p>${t('portal.security.recovery.needsTwoStep')}</p><p><a href="${SECURITY}/two-step">${t('portal.security.twoStep.manage')}</a></p>`;
  } else {
    const needed = await proofNeeded(p, status);
    body = html`<p>${t(plural('portal.security.recovery.left', status.recoveryCodesRemaining), { count: status.recoveryCodesRemaining })}</p>
<p>${t('portal.security.recovery.what', { count: RECOVERY_CODE_COUNT })}</p>
${needed
  ? proofCard(p, PAGE, needed)
  : html`<form method="post" action="${PAGE}/new">${csrfField(p)}<p class="muted small">${t('portal.security.recovery.newWarning')}</p><button type="submit">${t('portal.security.recovery.new')}</button></form>`}`;
  }
  return {
    html: portalPage(p, {
      title,
      section: 'security',
      body: html`<h1>${title}</h1><section class="card" aria-labelledby="rc-state"><h2 id="rc-state">${t('portal.security.recovery.yours')}</h2>${body}</section>${backLink(p)}`,
    }),
  };
}

/** The codes just drawn, shown once: they leave the session as they are shown. */
async function show(p: PortalContext): Promise<PortalAnswer> {
  const { t } = p.pc;
  const codes = readScratch<string[]>(p, 'codes');
  if (!codes) return { redirect: PAGE };
  await writeScratch(p, 'codes', undefined);
  const title = t('recovery.title');
  return {
    html: portalPage(p, {
      title,
      section: 'security',
      body: html`<h1>${title}</h1><section class="card" aria-labelledby="rc-codes"><h2 id="rc-codes">${t('portal.security.recovery.yours')}</h2>
<p>${t('recovery.intro')}</p>
<ul class="codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p class="muted small">${t('portal.security.recovery.onceOnly')}</p>
<a class="button" href="${SECURITY}">${t('recovery.continue')}</a></section>`,
    }),
  };
}

async function regenerate(p: PortalContext): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  if (!twoStepOn(await p.deps.services.credentials.status(p.user.id))) return { redirect: PAGE, flash: { kind: 'error', text: p.pc.t('portal.security.recovery.needsTwoStep') } };
  return showCodesOnce(p);
}
