/**
 * The second step of sign-in: the user's preferred method first (SMS code, authenticator-app
 * code), with a way to choose another (including a recovery code). Tries are limited per
 * journey; success may mark this browser as a trusted device.
 */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { codeInput, countdown, trustCheckbox } from '../views/code-form.js';
import { checkSmsCode, clock, maskPhone, MAX_CODE_FAILURES, sendSmsCode } from '../sms-challenge.js';
import { writeDeviceToken } from '../device-cookie.js';
import { chosenPolicy, type RenderOptions, type StepContext, type StepModule, type SubmitResult } from '../step.js';
import type { Factor } from '../flow.js';

export const secondFactorStep: StepModule = {
  name: 'second-factor',

  async render(sc, options = {}) {
    const { t } = sc.pc;
    const methods = sc.factors.usable;
    const method = currentMethod(sc);
    let error = options.error;
    if (method === 'sms' && !sc.journey.sms && !error) {
      // Entering the step sends the first code; a reload finds it in the journey and sends nothing.
      const sent = await sendSmsCode(sc, sc.user!.phone!);
      if (!sent.ok) error = sent.error;
      await sc.services.journeys.save(sc.uid, sc.journey);
    }
    const policy = chosenPolicy(sc);
    const others = methods.filter((m) => m !== method);
    return page(
      sc.pc,
      t('mfa.title'),
      html`<h1>${t('mfa.title')}</h1>
${alert(error)}${options.values?.notice ? html`<p role="status">${options.values.notice}</p>` : ''}
${methodIntro(sc, method)}
<form method="post" action="/interaction/${sc.uid}/second-factor" novalidate>
<input type="hidden" name="method" value="${method}">
${codeInput('code', t(`mfa.${method}.label`), method === 'recovery' ? '[A-Za-z0-9 -]*' : '[0-9 ]*')}
${trustCheckbox(t, policy.trustedDeviceDays)}
<button type="submit" name="action" value="verify">${t('mfa.verify')}</button>
${method === 'sms' ? html`<button type="submit" name="action" value="resend" class="secondary" formnovalidate>${t('mfa.sms.resend')}</button>` : ''}
</form>
${
  others.length
    ? html`<form method="post" action="/interaction/${sc.uid}/second-factor"><p class="notice">${t('mfa.other')}</p><ul class="choices">${others.map(
        (m) => html`<li><button type="submit" name="switch" value="${m}" class="secondary">${t(`mfa.method.${m}`)}</button></li>`,
      )}</ul></form>`
    : ''
}
<p class="notice">${t('mfa.noApp', { contact: policy.contact || t('password.defaultContact') })}</p>`,
    );
  },

  async submit(sc, form): Promise<SubmitResult> {
    const { t } = sc.pc;
    if (form.switch) {
      if (sc.factors.usable.includes(form.switch as Factor)) sc.journey.mfaMethod = form.switch as Factor;
      return { ok: false, error: '', status: 200 };
    }
    const method = currentMethod(sc);
    if (form.action === 'resend' && method === 'sms') {
      const sent = await sendSmsCode(sc, sc.user!.phone!);
      return sent.ok ? { ok: false, error: '', status: 200, values: { notice: t('mfa.sms.sent') } } : { ok: false, error: sent.error, status: 429 };
    }
    const code = (form.code ?? '').trim();
    const outcome = await verify(sc, method, code);
    if (outcome !== 'ok') {
      await sc.services.events.record({ type: 'login.second_factor_failed', userId: sc.user!.id, ...sc.meta, tenantId: sc.journey.tenantId ?? null, method, details: { outcome } });
      const message = { invalid: 'mfa.invalid', replayed: 'mfa.replayed', expired: 'mfa.sms.expired', too_many: 'mfa.tooMany' }[outcome];
      return { ok: false, error: t(message) };
    }
    sc.journey.methods = [...new Set([...sc.journey.methods, method === 'sms' ? 'sms' : 'otp'])];
    await sc.services.users.update(sc.user!.id, { preferredFactor: method === 'recovery' ? undefined : method });
    await sc.services.events.record({ type: 'login.second_factor_ok', userId: sc.user!.id, ...sc.meta, tenantId: sc.journey.tenantId ?? null, method });
    await trustThisDevice(sc, form.trust === 'on');
    return { ok: true };
  },
};

function currentMethod(sc: StepContext): Factor {
  const usable = sc.factors.usable;
  if (sc.journey.mfaMethod && usable.includes(sc.journey.mfaMethod)) return sc.journey.mfaMethod;
  const preferred = sc.user?.preferredFactor as Factor | null | undefined;
  return preferred && usable.includes(preferred) ? preferred : usable[0];
}

function methodIntro(sc: StepContext, method: Factor) {
  const { t } = sc.pc;
  if (method === 'sms') {
    const live = sc.journey.sms;
    return html`<p>${t('mfa.sms.intro', { phone: maskPhone(sc.user!.phone!) })}</p>
${live ? countdown(sc.pc.nonce, live.expiresAt, t('mfa.sms.validUntil', { time: clock(live.expiresAt, sc.pc.locale) }), t('mfa.sms.countdown')) : ''}`;
  }
  if (method === 'totp') return html`<p>${t('mfa.totp.intro')}</p><p class="notice">${t('mfa.totp.hint')}</p>`;
  return html`<p>${t('mfa.recovery.intro')}</p>`;
}

async function verify(sc: StepContext, method: Factor, code: string): Promise<'ok' | 'invalid' | 'replayed' | 'expired' | 'too_many'> {
  if (method === 'sms') return checkSmsCode(sc, code);
  const failures = sc.journey.failures?.[method] ?? 0;
  if (failures >= MAX_CODE_FAILURES) return 'too_many';
  let result: 'ok' | 'invalid' | 'replayed';
  if (method === 'totp') {
    const r = await sc.services.totp.verify(sc.user!.id, code);
    result = r === 'not_enrolled' ? 'invalid' : r;
  } else {
    result = (await sc.services.recoveryCodes.use(sc.user!.id, code)) ? 'ok' : 'invalid';
  }
  if (result !== 'ok') {
    sc.journey.failures = { ...sc.journey.failures, [method]: failures + 1 };
    if (failures + 1 >= MAX_CODE_FAILURES) return 'too_many';
  }
  return result;
}

/** After a second factor, this browser may be trusted for the tenant's number of days. */
export async function trustThisDevice(sc: StepContext, wanted: boolean): Promise<void> {
  const policy = chosenPolicy(sc);
  if (!wanted || policy.trustedDeviceDays <= 0) return;
  const device = await sc.services.trustedDevices.trust(sc.user!.id, { userAgent: sc.meta.userAgent, ip: sc.meta.ip, days: policy.trustedDeviceDays });
  writeDeviceToken(sc.ctx, sc.user!.id, device.token, device.expiresAt, sc.services.secureCookies);
  await sc.services.events.record({ type: 'device.trusted', userId: sc.user!.id, ...sc.meta, tenantId: sc.journey.tenantId ?? null, details: { deviceId: device.id } });
}

export type { RenderOptions };
