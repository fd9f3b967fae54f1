/**
 * Setting up a second factor inside the journey (the tenant requires one, or the app asks for
 * it): the method, then either a Belgian mobile proven by an SMS code ("didn't get it? check
 * your number" goes back to the number), or an authenticator app scanned from a QR code and
 * proven by one code. The first enrolment is followed by the recovery codes.
 */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { codeInput, countdown, trustCheckbox } from '../views/code-form.js';
import { checkSmsCode, clock, sendSmsCode } from '../sms-challenge.js';
import { normalizeBelgianMobile } from '../../src/domain/phone.js';
import { trustThisDevice } from './second-factor.js';
import { chosenMembership, type StepContext, type StepModule, type SubmitResult } from '../step.js';

type Enrollable = 'sms' | 'totp';

export const enrollSecondFactorStep: StepModule = {
  name: 'enroll-second-factor',

  async render(sc, options = {}) {
    const { t } = sc.pc;
    const allowed = enrollable(sc);
    const method = sc.journey.enrollMethod ?? (allowed.length === 1 ? allowed[0] : undefined);
    const tenant = chosenMembership(sc)?.tenantName ?? 'Sesam';
    let body;
    if (!method) {
      body = html`<p>${t('enroll.choose')}</p>
<form method="post" action="/interaction/${sc.uid}/enroll-second-factor"><ul class="choices">${allowed.map(
        (m) => html`<li><button type="submit" name="choose" value="${m}" class="secondary">${t(`mfa.method.${m}`)}</button></li>`,
      )}</ul></form>`;
    } else if (method === 'sms') {
      body = sc.journey.sms ? smsCodeForm(sc) : phoneForm(sc, options.values?.phone);
    } else {
      body = await totpForm(sc);
    }
    await sc.services.journeys.save(sc.uid, sc.journey); // a TOTP secret drawn for this page
    return page(
      sc.pc,
      t('enroll.title'),
      html`<h1>${t('enroll.title')}</h1>
${alert(options.error)}${options.values?.notice ? html`<p role="status">${options.values.notice}</p>` : ''}
<p>${t('enroll.intro', { tenant })}</p>
${body}
${allowed.length > 1 && method ? html`<form method="post" action="/interaction/${sc.uid}/enroll-second-factor"><button type="submit" name="choose" value="" class="secondary">${t('mfa.other')}</button></form>` : ''}`,
    );
  },

  async submit(sc, form): Promise<SubmitResult> {
    const { t } = sc.pc;
    const allowed = enrollable(sc);
    if (form.choose !== undefined) {
      sc.journey.enrollMethod = allowed.includes(form.choose as Enrollable) ? (form.choose as Enrollable) : undefined;
      sc.journey.sms = undefined;
      return { ok: false, error: '', status: 200 };
    }
    const method = sc.journey.enrollMethod ?? (allowed.length === 1 ? allowed[0] : undefined);
    if (!method || !allowed.includes(method)) return { ok: false, error: t('enroll.notAllowed') };

    if (method === 'sms') {
      if (form.action === 'change-number') {
        sc.journey.sms = undefined;
        return { ok: false, error: '', status: 200 };
      }
      if (form.action === 'phone' || form.action === 'resend') {
        const phone = form.action === 'resend' ? sc.journey.sms?.phone : normalizeBelgianMobile(form.phone ?? '');
        if (!phone) return { ok: false, error: t('enroll.phone.invalid'), values: { phone: form.phone ?? '' } };
        const sent = await sendSmsCode(sc, phone);
        if (!sent.ok) return { ok: false, error: sent.error, status: 429, values: { phone: form.phone ?? '' } };
        return { ok: false, error: '', status: 200, values: form.action === 'resend' ? { notice: t('mfa.sms.sent') } : {} };
      }
      const phone = sc.journey.sms?.phone;
      const outcome = checkSmsCode(sc, form.code ?? '');
      if (outcome !== 'ok' || !phone) {
        const message = { invalid: 'mfa.invalid', expired: 'mfa.sms.expired', too_many: 'mfa.tooMany', ok: 'mfa.invalid' }[outcome];
        return { ok: false, error: t(message) };
      }
      await sc.services.users.update(sc.user!.id, { phone, phoneVerifiedAt: new Date(), preferredFactor: 'sms' });
      return enrolled(sc, 'sms', form.trust === 'on');
    }

    // TOTP
    const sealed = sc.journey.totpSecretSealed;
    if (!sealed) return { ok: false, error: t('mfa.invalid') };
    const secret = sc.services.cipher.decrypt(sealed, `journey:${sc.uid}`);
    const failures = sc.journey.failures?.totp ?? 0;
    if (failures >= 5) return { ok: false, error: t('mfa.tooMany') };
    if (!(await sc.services.totp.confirm(sc.user!.id, secret, form.code ?? ''))) {
      sc.journey.failures = { ...sc.journey.failures, totp: failures + 1 };
      return { ok: false, error: t(failures + 1 >= 5 ? 'mfa.tooMany' : 'mfa.invalid') };
    }
    sc.journey.totpSecretSealed = undefined;
    await sc.services.users.update(sc.user!.id, { preferredFactor: 'totp' });
    return enrolled(sc, 'totp', form.trust === 'on');
  },
};

function enrollable(sc: StepContext): Enrollable[] {
  return sc.factors.allowed.filter((m): m is Enrollable => m === 'sms' || m === 'totp');
}

async function enrolled(sc: StepContext, method: Enrollable, trust: boolean): Promise<SubmitResult> {
  sc.journey.methods = [...new Set([...sc.journey.methods, method === 'sms' ? 'sms' : 'otp'])];
  sc.journey.enrollMethod = undefined;
  // Recovery codes come with the first second factor only; later ones keep the codes.
  if ((await sc.services.recoveryCodes.remaining(sc.user!.id)) === 0) sc.journey.recoveryCodesPending = true;
  await sc.services.events.record({ type: 'mfa.enrolled', userId: sc.user!.id, ...sc.meta, tenantId: sc.journey.tenantId ?? null, method });
  await trustThisDevice(sc, trust);
  return { ok: true };
}

function phoneForm(sc: StepContext, value?: string) {
  const { t } = sc.pc;
  return html`<form method="post" action="/interaction/${sc.uid}/enroll-second-factor" novalidate>
<label for="phone">${t('enroll.phone.label')}</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" required autofocus value="${value ?? sc.user?.phone ?? ''}" aria-describedby="phone-hint">
<p id="phone-hint" class="notice">${t('enroll.phone.hint')}</p>
<button type="submit" name="action" value="phone">${t('enroll.phone.send')}</button>
</form>`;
}

function smsCodeForm(sc: StepContext) {
  const { t } = sc.pc;
  const live = sc.journey.sms!;
  return html`<p>${t('mfa.sms.intro', { phone: live.phone })}</p>
${countdown(sc.pc.nonce, live.expiresAt, t('mfa.sms.validUntil', { time: clock(live.expiresAt, sc.pc.locale) }), t('mfa.sms.countdown'))}
<form method="post" action="/interaction/${sc.uid}/enroll-second-factor" novalidate>
${codeInput('code', t('mfa.sms.label'))}
${trustBox(sc)}
<button type="submit" name="action" value="code">${t('mfa.verify')}</button>
<button type="submit" name="action" value="resend" class="secondary" formnovalidate>${t('mfa.sms.resend')}</button>
</form>
<form method="post" action="/interaction/${sc.uid}/enroll-second-factor">
<p class="notice">${t('mfa.sms.notReceived')}</p>
<button type="submit" name="action" value="change-number" class="secondary">${t('enroll.phone.change')}</button>
</form>`;
}

async function totpForm(sc: StepContext) {
  const { t } = sc.pc;
  if (!sc.journey.totpSecretSealed) sc.journey.totpSecretSealed = sc.services.cipher.encrypt(sc.services.totp.newSecret(), `journey:${sc.uid}`);
  const secret = sc.services.cipher.decrypt(sc.journey.totpSecretSealed, `journey:${sc.uid}`);
  const { qrDataUrl } = await sc.services.totp.enrollment(sc.user!.email ?? sc.user!.login, secret);
  return html`<p>${t('enroll.totp.scan')}</p>
<p><img src="${qrDataUrl}" alt="${t('enroll.totp.qrAlt')}" width="200" height="200"></p>
<p class="notice">${t('enroll.totp.manual')} <code id="totp-secret">${secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
<form method="post" action="/interaction/${sc.uid}/enroll-second-factor" novalidate>
<p>${t('enroll.totp.confirm')}</p>
${codeInput('code', t('mfa.totp.label'))}
${trustBox(sc)}
<button type="submit" name="action" value="code">${t('enroll.totp.activate')}</button>
</form>`;
}

function trustBox(sc: StepContext) {
  return trustCheckbox(sc.pc.t, chosenMembership(sc)?.policy.trustedDeviceDays ?? 0);
}
