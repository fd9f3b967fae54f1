/**
 * The SMS code of a journey: sent under the anti-pumping limits, bound to this journey (kept in
 * its state, hashed), single use, expiring, with a failure count a new code never resets.
 */
import { issueSmsCode, smsCodeMatches, smsText } from '../src/domain/sms-codes.js';
import type { StepContext } from './step.js';
import { clock } from './views/clock.js';

export { clock };

export const MAX_CODE_FAILURES = 5;

export type SendOutcome = { ok: true } | { ok: false; error: string };

/** Sends a new code to `phone` unless a limit or the resend cooldown says no. */
export async function sendSmsCode(sc: StepContext, phone: string): Promise<SendOutcome> {
  const { sms } = sc.services;
  const { t } = sc.pc;
  const now = Date.now();
  const live = sc.journey.sms;
  if (live && live.phone === phone && now - live.sentAt < sms.resendSeconds * 1000) {
    return { ok: false, error: t('mfa.sms.resendWait', { seconds: Math.ceil((live.sentAt + sms.resendSeconds * 1000 - now) / 1000) }) };
  }
  const verdict = await sms.limiter.consume({ phone, userId: sc.user?.id, ip: sc.meta.ip });
  if (!verdict.allowed) {
    await sc.services.events.record({ type: 'sms.limited', userId: sc.user?.id, ...sc.meta, details: { limit: verdict.limit } });
    return { ok: false, error: t('mfa.sms.limited', { time: clock(verdict.retryAt, sc.pc.locale) }) };
  }
  const issued = issueSmsCode(sms.codeTtlSeconds);
  try {
    await sms.transport.send({ to: phone, text: smsText(issued.code, sc.pc.locale, Math.round(sms.codeTtlSeconds / 60)) });
  } catch (err) {
    sc.services.logger.warn({ err, userId: sc.user?.id }, 'sms delivery failed');
    return { ok: false, error: t('mfa.sms.deliveryFailed') };
  }
  sc.journey.sms = { phone, hash: issued.hash, expiresAt: issued.expiresAt, sentAt: now };
  await sc.services.events.record({ type: 'sms.sent', userId: sc.user?.id, ...sc.meta, tenantId: sc.journey.tenantId ?? null, method: 'sms' });
  return { ok: true };
}

export type CheckOutcome = 'ok' | 'invalid' | 'expired' | 'too_many';

/** Checks a typed code against the journey's live code; counts failures per journey. */
export function checkSmsCode(sc: StepContext, candidate: string): CheckOutcome {
  const failures = sc.journey.failures?.sms ?? 0;
  if (failures >= MAX_CODE_FAILURES) return 'too_many';
  const live = sc.journey.sms;
  if (!live || Date.now() > live.expiresAt) return 'expired';
  if (smsCodeMatches(candidate, live.hash)) {
    sc.journey.sms = undefined; // single use
    return 'ok';
  }
  sc.journey.failures = { ...sc.journey.failures, sms: failures + 1 };
  return failures + 1 >= MAX_CODE_FAILURES ? 'too_many' : 'invalid';
}

/** +32 470 12 34 56 → +32 4•• •• •• 56: enough to recognise, not to read. */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/^\+32/, '');
  return `+32 ${digits.slice(0, 1)}•• •• •• ${digits.slice(-2)}`;
}
