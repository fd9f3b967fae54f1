/**
 * A code sent by SMS to a Belgian mobile: a second factor (something you have). The code is sent
 * only on a POST, under the anti-pumping limits; it is bound to this journey and to the number
 * it went to (kept as a keyed hash), single use, expiring, with a failure count a new code never
 * resets. Setting it up proves a new number the same way ("didn't get it? check your number").
 */
import { issueSmsCode, smsCodeMatches, smsText } from '../../src/domain/sms-codes.js';
import { normalizeBelgianMobile } from '../../src/domain/phone.js';
import { html } from '../views/html.js';
import { clock } from '../views/clock.js';
import { codeInput, countdown, trustCheckbox } from '../views/code-form.js';
import { csrfField } from '../views/forms.js';
import { chosenPolicy, requestMeta, type StepContext } from '../step.js';
import type { CheckOutcome, CodeMethod, SendOutcome, SetUpMethod } from './method.js';
import { countFailure, triesUsedUp } from './limits.js';

export const smsMethod: CodeMethod = {
  id: 'sms',
  amr: ['sms'],
  factors: ['possession'],
  role: 'second',
  start: 'challenge',
  pattern: '[0-9 ]*',

  intro(sc) {
    const { t } = sc.pc;
    const phone = maskPhone(sc.user!.phone!);
    const live = liveCode(sc, sc.user!.phone!);
    if (!live) return html`<p>${t('mfa.sms.willSend', { phone })}</p>`;
    return html`<p>${t('mfa.sms.intro', { phone })}</p>
${countdown(sc.pc.nonce, live.expiresAt, t('mfa.sms.validUntil', { time: clock(live.expiresAt, sc.pc.locale) }), t('mfa.sms.countdown'))}`;
  },

  ready: (sc) => !!liveCode(sc, sc.user!.phone!),

  send: (sc) => sendSmsCode(sc, sc.user!.phone!),

  async check(sc, code) {
    return checkSmsCode(sc, code, sc.user!.phone!);
  },
};

export const smsSetUp: SetUpMethod = {
  id: 'sms',
  method: smsMethod,

  render(sc, values = {}) {
    const { t } = sc.pc;
    const live = sc.journey.challenges.sms;
    if (!live) {
      return html`<form method="post" action="/interaction/${sc.uid}/enroll-second-factor" novalidate>
${csrfField(sc)}
<label for="phone">${t('enroll.phone.label')}</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" required autofocus value="${values.phone ?? sc.user?.phone ?? ''}" aria-describedby="phone-hint">
<p id="phone-hint" class="notice">${t('enroll.phone.hint')}</p>
<button type="submit" name="action" value="phone">${t('enroll.phone.send')}</button>
</form>`;
    }
    return html`<p>${t('mfa.sms.intro', { phone: live.phone })}</p>
${countdown(sc.pc.nonce, live.expiresAt, t('mfa.sms.validUntil', { time: clock(live.expiresAt, sc.pc.locale) }), t('mfa.sms.countdown'))}
<form method="post" action="/interaction/${sc.uid}/enroll-second-factor" novalidate>
${csrfField(sc)}
${codeInput('code', t('mfa.sms.label'))}
${trustCheckbox(t, chosenPolicy(sc).trustedDeviceDays)}
<button type="submit" name="action" value="code">${t('mfa.verify')}</button>
<button type="submit" name="action" value="resend" class="secondary" formnovalidate>${t('mfa.sms.resend')}</button>
</form>
<form method="post" action="/interaction/${sc.uid}/enroll-second-factor">
${csrfField(sc)}
<p class="notice">${t('mfa.sms.notReceived')}</p>
<button type="submit" name="action" value="change-number" class="secondary">${t('enroll.phone.change')}</button>
</form>`;
  },

  async submit(sc, form) {
    const { t } = sc.pc;
    if (form.action === 'change-number') {
      sc.journey.challenges.sms = undefined;
      return { done: false, status: 200 };
    }
    if (form.action === 'phone' || form.action === 'resend') {
      const phone = form.action === 'resend' ? sc.journey.challenges.sms?.phone : normalizeBelgianMobile(form.phone ?? '');
      if (!phone) return { done: false, error: t('enroll.phone.invalid'), values: { phone: form.phone ?? '' } };
      const sent = await sendSmsCode(sc, phone);
      if (!sent.ok) return { done: false, error: sent.error, status: 429, values: { phone: form.phone ?? '' } };
      return { done: false, status: 200, notice: form.action === 'resend' ? t('mfa.sms.sent') : undefined };
    }
    if (triesUsedUp(sc, 'sms')) return { done: false, error: t('mfa.tooMany') };
    const phone = sc.journey.challenges.sms?.phone;
    const outcome = phone ? checkSmsCode(sc, form.code ?? '', phone) : 'expired';
    if (outcome === 'expired' || !phone) return { done: false, error: t('mfa.sms.expired') };
    if (outcome !== 'ok') return { done: false, error: t(countFailure(sc, 'sms') ? 'mfa.tooMany' : 'mfa.invalid') };
    await sc.services.credentials.confirmPhone(sc.user!, phone, requestMeta(sc));
    return { done: true };
  },
};

/** The journey's live code, if it went to `phone` and has not expired. */
function liveCode(sc: StepContext, phone: string) {
  const live = sc.journey.challenges.sms;
  return live && live.phone === phone && Date.now() <= live.expiresAt ? live : undefined;
}

/** Sends a new code to `phone` unless a limit or the resend cooldown says no. */
async function sendSmsCode(sc: StepContext, phone: string): Promise<SendOutcome> {
  const { sms } = sc.services;
  const { t } = sc.pc;
  const now = Date.now();
  const live = sc.journey.challenges.sms;
  if (live && live.phone === phone && now - live.sentAt < sms.resendSeconds * 1000) {
    return { ok: false, error: t('mfa.sms.resendWait', { seconds: Math.ceil((live.sentAt + sms.resendSeconds * 1000 - now) / 1000) }) };
  }
  const verdict = await sms.limiter.consume({ phone, userId: sc.user?.id, ip: sc.meta.ip });
  if (!verdict.allowed) {
    await sc.services.events.record({ type: 'sms.limited', userId: sc.user?.id, ...sc.meta, details: { limit: verdict.limit } });
    return { ok: false, error: t('mfa.sms.limited', { time: clock(verdict.retryAt, sc.pc.locale) }) };
  }
  const issued = issueSmsCode(sms.codeTtlSeconds, sms.codeKey);
  try {
    await sms.transport.send({ to: phone, text: smsText(issued.code, sc.pc.locale, Math.round(sms.codeTtlSeconds / 60)) });
  } catch (err) {
    sc.services.logger.warn({ err, userId: sc.user?.id }, 'sms delivery failed');
    return { ok: false, error: t('mfa.sms.deliveryFailed') };
  }
  sc.journey.challenges.sms = { phone, hash: issued.hash, expiresAt: issued.expiresAt, sentAt: now };
  await sc.services.events.record({ type: 'sms.sent', userId: sc.user?.id, ...requestMeta(sc), method: 'sms' });
  return { ok: true };
}

/** Checks a typed code against the journey's live code for `phone`; a right code is spent. */
function checkSmsCode(sc: StepContext, candidate: string, phone: string): CheckOutcome {
  const live = liveCode(sc, phone);
  if (!live) return 'expired';
  if (!smsCodeMatches(candidate, live.hash, sc.services.sms.codeKey)) return 'invalid';
  sc.journey.challenges.sms = undefined; // single use
  return 'ok';
}

/** +32 470 12 34 56 → +32 4•• •• •• 56: enough to recognise, not to read. */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/^\+32/, '');
  return `+32 ${digits.slice(0, 1)}•• •• •• ${digits.slice(-2)}`;
}
