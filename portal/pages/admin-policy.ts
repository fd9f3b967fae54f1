/**
 * The tenant's security policy (seed 002: Settings > Office > Security, the office makes
 * two-step verification compulsory): two-step verification and its methods, the lockout rule,
 * how long a device stays trusted, who resets a forgotten password, the contact shown on a lock
 * and the notice beside the sign-in in four languages. One form, saved as one patch through
 * TenantAdministration, which validates and records it.
 */
import { html, type Safe } from '../../interactions/views/html.js';
import { MFA_METHODS, type TenantPolicy } from '../../src/model/tenant-policy.js';
import { NOTICE_MAX_LENGTH } from '../../src/model/notice.js';
import { csrfField, type PortalContext } from '../context.js';
import type { PortalRoutes } from '../routes.js';
import { proofNeeded } from '../proof.js';
import { actingAdmin, adminPage, orFlash, orRefusal, reauthCard, refusalPage, tenantOf, tenantPath } from './admin-common.js';

const NOTICE_LOCALES = ['fr', 'nl', 'de', 'en'] as const;
const LANGUAGE_NAMES: Record<(typeof NOTICE_LOCALES)[number], string> = { fr: 'Français', nl: 'Nederlands', de: 'Deutsch', en: 'English' };

export function registerAdminPolicy(routes: PortalRoutes): void {
  routes.page('/account/admin/:tenant/policy', async (p) => {
    const tenant = tenantOf(p);
    if (!tenant) return refusalPage(p, 'forbidden');
    return orRefusal(p, async () => {
      const { t } = p.pc;
      const current = await p.deps.tenantAdmin.tenant(actingAdmin(p, tenant.tenantId));
      const here = tenantPath(tenant.tenantId, '/policy');
      const needed = await proofNeeded(p);
      return adminPage(p, tenant, 'policy', {
        title: t('portal.admin.policy.title'),
        body: html`<h1>${t('portal.admin.policy.title')}</h1>${needed ? html`${summary(p, current.policy)}${reauthCard(p, here, needed)}` : policyForm(p, current.policy, here)}`,
      });
    });
  });

  routes.action(
    '/account/admin/:tenant/policy/save',
    async (p, form) => {
      const tenant = tenantOf(p);
      if (!tenant) return refusalPage(p, 'forbidden');
      const back = tenantPath(tenant.tenantId, '/policy');
      return orFlash(p, back, async () => {
        await p.deps.tenantAdmin.updatePolicy(actingAdmin(p, tenant.tenantId), patchOf(form));
        return { redirect: back, flash: { kind: 'success', text: p.pc.t('portal.admin.policy.saved') } };
      });
    },
    { recent: 'second-factor' },
  );
}

/** The form as a policy patch; numbers that are not numbers stay as typed, for the service to refuse by name. */
function patchOf(form: Record<string, string>): Record<string, unknown> {
  const number = (v: string | undefined) => (v !== undefined && /^\s*\d+\s*$/.test(v) ? Number(v) : v);
  const notice = Object.fromEntries(NOTICE_LOCALES.map((l) => [l, (form[`notice_${l}`] ?? '').trim()]).filter(([, v]) => v));
  return {
    mfa: form.mfa,
    methods: MFA_METHODS.filter((m) => form[`method_${m}`] === 'on'),
    lockout: { threshold: number(form.threshold), mode: form.lockoutMode, baseMinutes: number(form.baseMinutes) },
    trustedDeviceDays: number(form.trustedDeviceDays),
    passwordReset: form.passwordReset,
    contact: (form.contact ?? '').trim(),
    notice: Object.keys(notice).length ? notice : null,
  };
}

function radios(p: PortalContext, name: string, legend: string, values: readonly string[], current: string, hint?: string): Safe {
  const { t } = p.pc;
  return html`<fieldset${hint ? html` aria-describedby="${name}-hint"` : ''}><legend>${legend}</legend>${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : ''}
${values.map((v) => html`<label><input type="radio" name="${name}" value="${v}"${v === current ? html` checked` : ''}> ${t(`portal.admin.policy.${name}.${v}`)}</label>`)}</fieldset>`;
}

function policyForm(p: PortalContext, policy: TenantPolicy, here: string): Safe {
  const { t } = p.pc;
  const numberField = (id: string, label: string, value: number, min: number, max: number, hint: string) =>
    html`<label for="${id}">${label}</label><input type="number" id="${id}" name="${id}" value="${value}" min="${min}" max="${max}" inputmode="numeric" required aria-describedby="${id}-hint"><p class="hint" id="${id}-hint">${hint}</p>`;
  return html`<form method="post" action="${here}/save">${csrfField(p)}
<section class="card" aria-labelledby="mfa-h"><h2 id="mfa-h">${t('portal.admin.policy.twoStep')}</h2>
${radios(p, 'mfa', t('portal.admin.policy.mfa'), ['off', 'optional', 'required'], policy.mfa)}
<fieldset aria-describedby="methods-hint"><legend>${t('portal.admin.policy.methods')}</legend><p class="hint" id="methods-hint">${t('portal.admin.policy.methodsHint')}</p>
${MFA_METHODS.map((m) => html`<label><input type="checkbox" name="method_${m}"${policy.methods.includes(m) ? html` checked` : ''}> ${t(`portal.admin.policy.method.${m}`)}</label>`)}</fieldset>
${numberField('trustedDeviceDays', t('portal.admin.policy.trustedDeviceDays'), policy.trustedDeviceDays, 0, 400, t('portal.admin.policy.trustedDeviceDaysHint'))}
</section>
<section class="card" aria-labelledby="lock-h"><h2 id="lock-h">${t('portal.admin.policy.lockout')}</h2>
${numberField('threshold', t('portal.admin.policy.threshold'), policy.lockout.threshold, 1, 100, t('portal.admin.policy.thresholdHint'))}
${radios(p, 'lockoutMode', t('portal.admin.policy.mode'), ['permanent', 'temporary'], policy.lockout.mode)}
${numberField('baseMinutes', t('portal.admin.policy.baseMinutes'), policy.lockout.baseMinutes, 1, 1440, t('portal.admin.policy.baseMinutesHint'))}
</section>
<section class="card" aria-labelledby="reset-h"><h2 id="reset-h">${t('portal.admin.policy.forgotten')}</h2>
${radios(p, 'passwordReset', t('portal.admin.policy.passwordReset'), ['self-service', 'admin'], policy.passwordReset)}
<label for="contact">${t('portal.admin.policy.contact')}</label><input type="text" id="contact" name="contact" value="${policy.contact}" maxlength="300" autocomplete="off" aria-describedby="contact-hint"><p class="hint" id="contact-hint">${t('portal.admin.policy.contactHint')}</p>
</section>
<section class="card" aria-labelledby="notice-h"><h2 id="notice-h">${t('portal.admin.policy.notice')}</h2>
<p class="hint">${t('portal.admin.policy.noticeHint')}</p>
${NOTICE_LOCALES.map((l) => html`<label for="notice_${l}">${t('portal.admin.policy.noticeIn', { language: LANGUAGE_NAMES[l] })}</label><textarea id="notice_${l}" name="notice_${l}" lang="${l}" maxlength="${NOTICE_MAX_LENGTH}">${policy.notice?.[l] ?? ''}</textarea>`)}
</section>
<button type="submit">${t('portal.admin.policy.save')}</button></form>`;
}

/** What the policy is, shown until the admin signed in again to change it. */
function summary(p: PortalContext, policy: TenantPolicy): Safe {
  const { t } = p.pc;
  return html`<section class="card" aria-labelledby="now-h"><h2 id="now-h">${t('portal.admin.policy.now')}</h2><ul class="plain">
<li>${t('portal.admin.policy.mfa')}: ${t(`portal.admin.policy.mfa.${policy.mfa}`)}</li>
<li>${t('portal.admin.policy.threshold')}: ${policy.lockout.threshold} · ${t(`portal.admin.policy.lockoutMode.${policy.lockout.mode}`)}</li>
<li>${t('portal.admin.policy.passwordReset')}: ${t(`portal.admin.policy.passwordReset.${policy.passwordReset}`)}</li></ul></section>`;
}
