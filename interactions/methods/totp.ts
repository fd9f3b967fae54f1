/**
 * A code from an authenticator app (RFC 6238): a second factor (something you have). Each time
 * step is accepted once (src/domain/totp.ts). Setting it up (views/totp-setup.ts, shared with the
 * account portal) shows a QR code, an `otpauth://` link that opens the app in one tap on a phone,
 * and the key as text; one code proves the app holds the secret.
 */
import { html } from '../views/html.js';
import { trustCheckbox } from '../views/code-form.js';
import { totpSetupView } from '../views/totp-setup.js';
import { csrfField } from '../views/forms.js';
import { chosenPolicy, requestMeta, type StepContext } from '../step.js';
import type { CodeMethod, SetUpMethod } from './method.js';
import { countFailure, triesUsedUp } from './limits.js';

export const totpMethod: CodeMethod = {
  id: 'totp',
  amr: ['otp'],
  factors: ['possession'],
  role: 'second',
  start: 'page',
  pattern: '[0-9 ]*',

  intro(sc) {
    const { t } = sc.pc;
    return html`<p>${t('mfa.totp.intro')}</p><p class="notice">${t('mfa.totp.hint')}</p>`;
  },

  ready: () => true,

  async check(sc, code) {
    const result = await sc.services.totp.verify(sc.user!.id, code);
    return result === 'not_enrolled' ? 'invalid' : result;
  },
};

/** The secret being set up: drawn once per journey, sealed in it, bound to it. */
function pendingSecret(sc: StepContext): string {
  const context = `journey:${sc.uid}`;
  sc.journey.challenges.totpSecretSealed ??= sc.services.cipher.encrypt(sc.services.totp.newSecret(), context);
  return sc.services.cipher.decrypt(sc.journey.challenges.totpSecretSealed, context);
}

export const totpSetUp: SetUpMethod = {
  id: 'totp',
  method: totpMethod,

  async render(sc) {
    const { t } = sc.pc;
    const secret = pendingSecret(sc);
    const { uri, qrDataUrl } = await sc.services.totp.enrollment(sc.user!.email ?? sc.user!.login, secret);
    return totpSetupView({
      t,
      uri,
      qrDataUrl,
      secret,
      action: `/interaction/${sc.uid}/enroll-second-factor`,
      hidden: csrfField(sc),
      extra: trustCheckbox(t, chosenPolicy(sc).trustedDeviceDays),
    });
  },

  async submit(sc, form) {
    const { t } = sc.pc;
    if (triesUsedUp(sc, 'totp')) return { done: false, error: t('mfa.tooMany') };
    if (!(await sc.services.credentials.confirmTotp(sc.user!, pendingSecret(sc), form.code ?? '', requestMeta(sc)))) {
      return { done: false, error: t(countFailure(sc, 'totp') ? 'mfa.tooMany' : 'mfa.invalid') };
    }
    sc.journey.challenges.totpSecretSealed = undefined;
    return { done: true };
  },
};
