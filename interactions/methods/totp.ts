/**
 * A code from an authenticator app (RFC 6238): a second factor (something you have). Each time
 * step is accepted once (src/domain/totp.ts). Setting it up shows a QR code, the key as text and,
 * for a phone where the QR code on the same screen cannot be scanned, an `otpauth://` link that
 * opens the app in one tap; one code proves the app holds the secret.
 */
import { html } from '../views/html.js';
import { codeInput, trustCheckbox } from '../views/code-form.js';
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
    return html`<p>${t('enroll.totp.scan')}</p>
<p><img src="${qrDataUrl}" alt="${t('enroll.totp.qrAlt')}" width="200" height="200"></p>
<p><a class="button secondary" id="totp-link" href="${uri}">${t('enroll.totp.openApp')}</a></p>
<p class="notice">${t('enroll.totp.manual')} <code id="totp-secret">${secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
<form method="post" action="/interaction/${sc.uid}/enroll-second-factor" novalidate>
${csrfField(sc)}
<p>${t('enroll.totp.confirm')}</p>
${codeInput('code', t('mfa.totp.label'))}
${trustCheckbox(t, chosenPolicy(sc).trustedDeviceDays)}
<button type="submit" name="action" value="code">${t('enroll.totp.activate')}</button>
</form>`;
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
