/**
 * Change the mobile number (seed 000: "you will have to redo the two-step procedure to confirm
 * it"): a new Belgian mobile, proven by a code sent by SMS to it (the sign-in's machinery: the
 * send limits against pumping and bombing, the resend cooldown, codes kept as keyed hashes,
 * single use, expiring; wrong codes counted for this session and for the account) before it
 * replaces the old one; then the old number is told by SMS that it was replaced. A number that
 * was a second factor stays one (and the account's other sessions end); `?purpose=factor` is how
 * two-step verification is switched on with text messages (security-mfa.ts).
 */
import { html } from '../../interactions/views/html.js';
import { clock } from '../../interactions/views/clock.js';
import { codeInput, countdown } from '../../interactions/views/code-form.js';
import { issueSmsCode, smsCodeMatches, smsText } from '../../src/domain/sms-codes.js';
import { normalizeBelgianMobile } from '../../src/domain/phone.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalAnswer, PortalRoutes } from '../routes.js';
import { resendButton } from '../views/resend-countdown.js';
import {
  backLink,
  codeTriesUsedUp,
  contactOf,
  countCodeFailure,
  formError,
  isLocked,
  proofCard,
  proofNeeded,
  readablePhone,
  readScratch,
  refuseChange,
  SECURITY,
  twoStepOn,
  writeScratch,
} from './security-common.js';
import { showCodesOnce } from './security-recovery-codes.js';

const PAGE = `${SECURITY}/phone`;
/** How long a change started on a recent sign-in may go on asking for new codes. */
const STARTED_LIFE_MS = 15 * 60 * 1000;

/** The code sent to the new number, sealed in the portal session until it is typed. */
interface PhoneChallenge {
  phone: string;
  hash: string;
  expiresAt: number;
  sentAt: number;
  /** When the first code of this change went (a new code never extends the change past STARTED_LIFE_MS). */
  startedAt: number;
  /** The new number becomes a second factor (switching two-step verification on with it). */
  asFactor: boolean;
}

export function registerPhoneChange(routes: PortalRoutes): void {
  routes.page(PAGE, async (p) => render(p, {}));
  routes.action(`${PAGE}/send`, send, { recent: true, returnTo: PAGE });
  // A code sent on a recent sign-in finishes within its own life, even if the sign-in has aged
  // meanwhile: it only proves the new number, and only this session holds it.
  routes.action(`${PAGE}/resend`, resend, { returnTo: PAGE });
  routes.action(`${PAGE}/verify`, verify, { returnTo: PAGE });
  routes.action(`${PAGE}/cancel`, async (p) => {
    await writeScratch(p, 'phone', undefined);
    return { redirect: PAGE };
  });
}

interface View {
  error?: string;
  notice?: string;
  phone?: string;
  purpose?: string;
  status?: number;
}

function liveChallenge(p: PortalContext): PhoneChallenge | undefined {
  const live = readScratch<PhoneChallenge>(p, 'phone');
  return live && Date.now() <= live.expiresAt ? live : undefined;
}

async function render(p: PortalContext, view: View): Promise<PortalAnswer> {
  const { t } = p.pc;
  const { user } = p;
  const status = await p.deps.services.credentials.status(user.id);
  const needed = await proofNeeded(p, status);
  const purpose = view.purpose ?? (p.ctx.query.purpose === 'factor' ? 'factor' : '');
  const title = t(user.phone ? 'portal.security.phone.change' : 'portal.security.phone.add');
  const current = user.phone
    ? html`<p>${t(status.sms ? 'portal.security.phone.isFactor' : 'portal.security.phone.onFile', { phone: readablePhone(user.phone) })}</p>`
    : html`<p>${t('portal.security.phone.none')}</p>`;
  const challenge = readScratch<PhoneChallenge>(p, 'phone');
  const { sms } = p.deps.services;
  let body;
  if (challenge) {
    body = html`<section class="card" aria-labelledby="code-title"><h2 id="code-title">${t('portal.security.phone.codeTitle')}</h2>
${formError(view.error)}${view.notice ? html`<p class="status" role="status">${view.notice}</p>` : ''}
<p>${t('mfa.sms.intro', { phone: readablePhone(challenge.phone) })}</p>
${countdown(p.pc.nonce, challenge.expiresAt, t('mfa.sms.validUntil', { time: clock(challenge.expiresAt, p.pc.locale) }), t('mfa.sms.countdown'))}
<form method="post" action="${PAGE}/verify" novalidate>
${csrfField(p)}
${codeInput('code', t('mfa.sms.label'))}
<button type="submit">${t('portal.security.phone.confirm')}</button>
</form>
<form method="post" action="${PAGE}/resend" id="resend-form">${csrfField(p)}</form>
<p>${resendButton({ nonce: p.pc.nonce, availableAt: challenge.sentAt + sms.resendSeconds * 1000, label: t('mfa.sms.resend'), waitTemplate: t('portal.security.phone.resendIn'), formId: 'resend-form' })}</p>
<form method="post" action="${PAGE}/cancel">${csrfField(p)}
<p class="muted small">${t('mfa.sms.notReceived')}</p>
<button type="submit" class="secondary">${t('enroll.phone.change')}</button></form></section>`;
  } else if (needed) body = proofCard(p, PAGE, needed);
  else {
    body = html`<section class="card" aria-labelledby="number-title"><h2 id="number-title">${t('portal.security.phone.newTitle')}</h2>
${formError(view.error)}
<form method="post" action="${PAGE}/send" novalidate>
${csrfField(p)}
<input type="hidden" name="purpose" value="${purpose}">
<label for="phone">${t('portal.security.phone.label')}</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" required value="${view.phone ?? ''}" aria-describedby="phone-hint">
<p id="phone-hint" class="muted small">${t('enroll.phone.hint')} ${t('portal.security.phone.how')}</p>
${status.sms || purpose === 'factor' ? html`<p class="muted small">${t('portal.security.phone.factorNote')}</p>` : ''}
<button type="submit">${t('enroll.phone.send')}</button>
</form></section>`;
  }
  return {
    status: view.status ?? 200,
    html: portalPage(p, {
      title,
      section: 'security',
      // "Send a new code" looks unavailable while it counts down.
      head: html`<style nonce="${p.pc.nonce}">button:disabled{opacity:.55;cursor:not-allowed}</style>`,
      body: html`<h1>${title}</h1>${current}${body}${backLink(p)}`,
    }),
  };
}

/** Sends a new code to `phone` unless a limit or the resend cooldown says no; the error to show otherwise. */
async function sendCode(p: PortalContext, phone: string, asFactor: boolean): Promise<string | undefined> {
  const { sms, events, logger } = p.deps.services;
  const { t, locale } = p.pc;
  const now = Date.now();
  const live = readScratch<PhoneChallenge>(p, 'phone');
  if (live && live.phone === phone && now - live.sentAt < sms.resendSeconds * 1000) {
    return t('mfa.sms.resendWait', { seconds: Math.ceil((live.sentAt + sms.resendSeconds * 1000 - now) / 1000) });
  }
  const verdict = await sms.limiter.consume({ phone, userId: p.user.id, ip: p.meta.ip });
  if (!verdict.allowed) {
    await events.record({ type: 'sms.limited', userId: p.user.id, ...p.meta, details: { limit: verdict.limit } });
    return t('mfa.sms.limited', { time: clock(verdict.retryAt, locale) });
  }
  const issued = issueSmsCode(sms.codeTtlSeconds, sms.codeKey);
  try {
    await sms.transport.send({ to: phone, text: smsText(issued.code, locale, Math.round(sms.codeTtlSeconds / 60)) });
  } catch (err) {
    logger.warn({ err, userId: p.user.id }, 'sms delivery failed');
    return t('mfa.sms.deliveryFailed');
  }
  const startedAt = live && live.phone === phone ? live.startedAt : now;
  await writeScratch(p, 'phone', { phone, hash: issued.hash, expiresAt: issued.expiresAt, sentAt: now, startedAt, asFactor } satisfies PhoneChallenge);
  await events.record({ type: 'sms.sent', userId: p.user.id, ...p.meta, method: 'sms', details: { purpose: 'phone_change' } });
  return undefined;
}

async function send(p: PortalContext, form: Record<string, string>): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  const { t } = p.pc;
  const purpose = form.purpose === 'factor' ? 'factor' : '';
  const typed = (form.phone ?? '').slice(0, 40);
  const phone = normalizeBelgianMobile(typed);
  if (!phone) return render(p, { error: t('enroll.phone.invalid'), phone: typed, purpose, status: 400 });
  if (await codeTriesUsedUp(p, 'sms')) return render(p, { error: t('portal.security.tooManyCodes'), phone: typed, purpose, status: 429 });
  const status = await p.deps.services.credentials.status(p.user.id);
  // The same number again only makes sense to prove it as a factor.
  if (phone === p.user.phone && (status.sms || purpose !== 'factor')) return render(p, { error: t('portal.security.phone.same'), phone: typed, purpose, status: 400 });
  const error = await sendCode(p, phone, purpose === 'factor');
  if (error) return render(p, { error, phone: typed, purpose, status: 429 });
  return { redirect: PAGE };
}

/** Refused on a locked account; the proof was asked when the code was first sent. */
function refuseCompletion(p: PortalContext): PortalAnswer | undefined {
  return isLocked(p) ? { redirect: PAGE, flash: { kind: 'error', text: p.pc.t('portal.security.locked', { contact: contactOf(p) }) } } : undefined;
}

async function resend(p: PortalContext): Promise<PortalAnswer> {
  const refused = refuseCompletion(p);
  if (refused) return refused;
  const challenge = readScratch<PhoneChallenge>(p, 'phone');
  if (!challenge) return { redirect: PAGE };
  if (Date.now() - challenge.startedAt > STARTED_LIFE_MS) {
    await writeScratch(p, 'phone', undefined); // start again, proving it again if the sign-in is old
    return { redirect: PAGE };
  }
  const error = await sendCode(p, challenge.phone, challenge.asFactor);
  return error ? render(p, { error, status: 429 }) : render(p, { notice: p.pc.t('mfa.sms.sent') });
}

async function verify(p: PortalContext, form: Record<string, string>): Promise<PortalAnswer> {
  const refused = refuseCompletion(p);
  if (refused) return refused;
  const { t } = p.pc;
  const { services } = p.deps;
  if (!readScratch<PhoneChallenge>(p, 'phone')) return { redirect: PAGE };
  const tooMany = async () => {
    await writeScratch(p, 'phone', undefined);
    return render(p, { error: t('portal.security.tooManyCodes'), status: 429 });
  };
  if (await codeTriesUsedUp(p, 'sms')) return tooMany();
  const live = liveChallenge(p);
  if (!live) return render(p, { error: t('mfa.sms.expired'), status: 400 });
  const outcome = await services.codeAttempts.guard<'invalid'>(
    p.user.id,
    p.memberships.map((m) => m.policy),
    { ...p.meta, method: 'sms' },
    async () => (smsCodeMatches((form.code ?? '').trim(), live.hash, services.sms.codeKey) ? 'ok' : 'invalid'),
  );
  if (outcome === 'locked') {
    await writeScratch(p, 'phone', undefined);
    return render(p, { error: t('portal.security.locked', { contact: contactOf(p) }), status: 403 });
  }
  if (outcome !== 'ok') {
    await services.events.record({ type: 'mfa.failed', userId: p.user.id, ...p.meta, method: 'sms', details: { purpose: 'phone_change' } });
    return (await countCodeFailure(p, 'sms')) ? tooMany() : render(p, { error: t('mfa.invalid'), status: 400 });
  }
  await writeScratch(p, 'phone', undefined); // single use
  const old = p.user.phone;
  const before = await services.credentials.status(p.user.id);
  const { wasFactor, isFactor } = await services.credentials.changeOwnPhone(p.user, live.phone, {
    asFactor: live.asFactor,
    meta: p.meta,
    keepSessionUid: p.session.providerSessionUid,
  });
  if (old && old !== live.phone) await tellOldNumber(p, old, live.phone);
  const switchedOn = isFactor && !twoStepOn(before);
  const flash = { kind: 'success' as const, text: t(switchedOn ? 'portal.security.phone.changedOn' : wasFactor ? 'portal.security.phone.changedFactor' : 'portal.security.phone.changed') };
  // The first second factor comes with recovery codes, shown once.
  if (switchedOn && before.recoveryCodesRemaining === 0) return showCodesOnce(p, flash);
  return { redirect: SECURITY, flash };
}

/** The old number hears that it was replaced (an SMS in the user's language); a failed send never undoes the change. */
async function tellOldNumber(p: PortalContext, old: string, replacement: string): Promise<void> {
  const { sms, events, logger } = p.deps.services;
  const digits = replacement.replace(/^\+32/, '');
  try {
    await sms.transport.send({ to: old, text: p.pc.t('portal.security.phone.oldNumberSms', { ending: digits.slice(-2) }) });
    await events.record({ type: 'sms.sent', userId: p.user.id, ...p.meta, method: 'sms', details: { purpose: 'phone_replaced_notice' } });
  } catch (err) {
    logger.warn({ err, userId: p.user.id }, 'could not tell the old number it was replaced');
  }
}
