/**
 * Two-step verification on and off (seed 002, "Settings > Account > Security"). On: where a
 * tenant of the user makes it optional (or for a user of no tenant), by setting up a first
 * factor: the authenticator app (security-totp.ts) or text messages to a proven mobile
 * (security-phone.ts). Off: only when the user switched it on themselves and no tenant of theirs
 * requires it; otherwise the page says it cannot be switched off and whom to ask (the tenant's
 * contact). Switching off removes every second factor in one transaction (the credentials
 * service) and ends the account's other sessions.
 */
import { html } from '../../interactions/views/html.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalAnswer, PortalRoutes } from '../routes.js';
import { backLink, lockText, plural, proofCard, proofNeeded, readablePhone, refuseChange, SECURITY, twoStepState } from './security-common.js';

const PAGE = `${SECURITY}/two-step`;

export function registerTwoStep(routes: PortalRoutes): void {
  routes.page(PAGE, render);
  routes.action(`${PAGE}/off`, switchOff, { recent: true, returnTo: PAGE });
}

async function render(p: PortalContext): Promise<PortalAnswer> {
  const { t } = p.pc;
  const status = await p.deps.services.credentials.status(p.user.id);
  const state = twoStepState(p, status);
  const needed = await proofNeeded(p, status);
  const title = t('portal.security.twoStep.title');

  const who = state.requiredBy.length
    ? t('portal.security.twoStep.onRequired', { tenants: state.requiredBy.map((m) => m.tenantName).join(', ') })
    : p.user.mfaEnabledBy === 'required'
      ? t('portal.security.twoStep.onByRequirement')
      : t('portal.security.twoStep.onByYou');
  const methods = html`<ul class="plain">
${status.sms && p.user.phone ? html`<li>${t('portal.security.twoStep.bySms', { phone: readablePhone(p.user.phone) })} · <a href="${SECURITY}/phone">${t('portal.security.phone.change')}</a></li>` : ''}
${status.totp ? html`<li>${t('portal.security.twoStep.byApp')} · <a href="${SECURITY}/authenticator">${t('portal.security.totp.manage')}</a></li>` : ''}
<li>${t(plural('portal.security.recovery.left', status.recoveryCodesRemaining), { count: status.recoveryCodesRemaining })} · <a href="${SECURITY}/recovery-codes">${t('portal.security.recovery.manage')}</a></li>
</ul>
${!status.totp ? html`<p><a href="${SECURITY}/authenticator">${t('portal.security.twoStep.addApp')}</a></p>` : ''}
${!status.sms ? html`<p><a href="${SECURITY}/phone?purpose=factor">${t('portal.security.twoStep.addSms')}</a></p>` : ''}`;

  let control;
  if (state.on && state.lock) control = html`<p>${lockText(p, state)}</p>`;
  else if (state.on) {
    control = needed
      ? proofCard(p, PAGE, needed)
      : html`<p>${t('portal.security.twoStep.offWhat')}</p>
<form method="post" action="${PAGE}/off">${csrfField(p)}<button type="submit" class="danger">${t('portal.security.twoStep.switchOff')}</button></form>`;
  } else if (state.canSwitchOn) {
    control = needed
      ? proofCard(p, PAGE, needed)
      : html`<p>${t('portal.security.twoStep.onHow')}</p>
<form method="post" action="${SECURITY}/authenticator/start">${csrfField(p)}<button type="submit">${t('portal.security.twoStep.withApp')}</button></form>
<p><a class="button secondary" href="${SECURITY}/phone?purpose=factor">${t('portal.security.twoStep.withSms')}</a></p>`;
  } else {
    control = html`<p>${t('portal.security.twoStep.notUsed', { tenants: p.memberships.map((m) => m.tenantName).join(', ') })}</p>`;
  }

  return {
    html: portalPage(p, {
      title,
      section: 'security',
      body: html`<h1>${title}</h1>
<section class="card" aria-labelledby="ts-state"><h2 id="ts-state">${t(state.on ? 'portal.security.twoStep.isOn' : 'portal.security.twoStep.isOff')}</h2>
<p>${t('portal.security.twoStep.what')}</p>
${state.on ? html`<p>${who}</p>${methods}` : ''}</section>
<section class="card" aria-labelledby="ts-switch"><h2 id="ts-switch">${t(state.on ? 'portal.security.twoStep.offTitle' : 'portal.security.twoStep.onTitle')}</h2>${control}</section>
${backLink(p)}`,
    }),
  };
}

async function switchOff(p: PortalContext): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  if (!twoStepState(p, await p.deps.services.credentials.status(p.user.id)).on) return { redirect: PAGE };
  const outcome = await p.deps.services.credentials.switchOffTwoStep(p.user, { meta: p.meta, keepSessionUid: p.session.providerSessionUid });
  if (outcome) {
    const requiredBy = p.memberships.filter((m) => m.policy.mfa === 'required');
    return { redirect: PAGE, flash: { kind: 'error', text: lockText(p, { requiredBy, lock: outcome }) } };
  }
  return { redirect: SECURITY, flash: { kind: 'success', text: p.pc.t('portal.security.twoStep.switchedOff') } };
}
