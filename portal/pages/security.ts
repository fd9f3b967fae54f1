/**
 * The Security area (issue 10; seeds 000, 002, 003): one page with the state of every way into
 * the account (password, mobile number, two-step verification and who switched it on, the
 * authenticator app, recovery codes left, passkeys), each linking to its own page where it is
 * changed. Every change needs a recent sign-in (security-common.ts) and goes through the
 * credentials service, one transaction with its event.
 */
import { html } from '../../interactions/views/html.js';
import { portalPage } from '../layout.js';
import type { PortalRoutes } from '../routes.js';
import type { PortalContext } from '../context.js';
import { formatDate, plural, readablePhone, SECURITY, twoStepState } from './security-common.js';
import { registerPasswordChange } from './security-password.js';
import { registerPhoneChange } from './security-phone.js';
import { registerAuthenticator } from './security-totp.js';
import { registerTwoStep } from './security-mfa.js';
import { registerRecoveryCodes } from './security-recovery-codes.js';
import { registerPasskeys } from './security-passkeys.js';
import { LINKED, registerLinkedAccounts } from './security-linked.js';

export function registerSecurity(routes: PortalRoutes): void {
  routes.page(SECURITY, securityPage);
  registerPasswordChange(routes);
  registerPhoneChange(routes);
  registerAuthenticator(routes);
  registerTwoStep(routes);
  registerRecoveryCodes(routes);
  registerPasskeys(routes);
  registerLinkedAccounts(routes);
}

async function securityPage(p: PortalContext) {
  const { t, locale } = p.pc;
  const { user } = p;
  const status = await p.deps.services.credentials.status(user.id);
  const state = twoStepState(p, status);
  const linkedCount = (await p.deps.services.federation.accounts.listLinked(user.id)).length;
  const card = (id: string, title: string, text: unknown, href: string, label: string) =>
    html`<section class="card" aria-labelledby="${id}"><h2 id="${id}">${title}</h2><p>${text}</p><a class="button secondary" href="${href}">${label}</a></section>`;

  const password = user.passwordHash
    ? user.passwordChangedAt
      ? t('portal.security.password.changedOn', { date: formatDate(user.passwordChangedAt, locale) })
      : t('portal.security.password.set')
    : t('portal.security.password.none');
  const phone = user.phone
    ? t(status.sms ? 'portal.security.phone.isFactor' : 'portal.security.phone.onFile', { phone: readablePhone(user.phone) })
    : t('portal.security.phone.none');
  const twoStep = !state.on
    ? t('portal.security.twoStep.off')
    : state.requiredBy.length > 0
      ? t('portal.security.twoStep.onRequired', { tenants: state.requiredBy.map((m) => m.tenantName).join(', ') })
      : user.mfaEnabledBy === 'required'
        ? t('portal.security.twoStep.onByRequirement')
        : t('portal.security.twoStep.onByYou');
  const codes = state.on ? t(plural('portal.security.recovery.left', status.recoveryCodesRemaining), { count: status.recoveryCodesRemaining }) : t('portal.security.recovery.needsTwoStep');

  return {
    html: portalPage(p, {
      title: t('portal.security.title'),
      section: 'security',
      body: html`<h1>${t('portal.security.title')}</h1>
<p>${t('portal.security.intro')}</p>
${card('sec-password', t('portal.security.password.title'), password, `${SECURITY}/password`, t(user.passwordHash ? 'portal.security.password.change' : 'portal.security.password.create'))}
${card('sec-phone', t('portal.security.phone.title'), phone, `${SECURITY}/phone`, t(user.phone ? 'portal.security.phone.change' : 'portal.security.phone.add'))}
${card('sec-two-step', t('portal.security.twoStep.title'), twoStep, `${SECURITY}/two-step`, t('portal.security.twoStep.manage'))}
${card('sec-totp', t('portal.security.totp.title'), t(status.totp ? 'portal.security.totp.on' : 'portal.security.totp.off'), `${SECURITY}/authenticator`, t(status.totp ? 'portal.security.totp.manage' : 'portal.security.totp.setUp'))}
${card('sec-recovery', t('portal.security.recovery.title'), codes, `${SECURITY}/recovery-codes`, t('portal.security.recovery.manage'))}
${card('sec-passkeys', t('portal.security.passkeys.title'), t(plural('portal.security.passkeys.count', status.passkeys), { count: status.passkeys }), `${SECURITY}/passkeys`, t('portal.security.passkeys.manage'))}
${card('sec-linked', t('portal.security.linked.title'), t(plural('portal.security.linked.count', linkedCount), { count: linkedCount }), LINKED, t('portal.security.linked.manage'))}`,
    }),
  };
}
