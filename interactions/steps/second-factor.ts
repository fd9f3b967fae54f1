/**
 * The second step of sign-in, the same for every code method: the user's preferred one first
 * (among those the flow offers), a way to choose another (a recovery code too). An SMS is sent
 * only when the user asks for it (a POST). Wrong codes are limited per journey and, across
 * journeys, devices and sources, per account (src/domain/code-attempts.ts); success may mark this
 * browser as a trusted device.
 */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { codeInput, trustCheckbox } from '../views/code-form.js';
import { csrfField } from '../views/forms.js';
import { writeDeviceToken } from '../device-cookie.js';
import { chosenPolicy, requestMeta, type StepContext, type StepModule, type SubmitResult } from '../step.js';
import { codeMethods, type CodeFactor } from '../methods/index.js';
import { passkeySignIn } from '../methods/passkey.js';
import { passkeyButton, passkeyScripts } from '../views/passkey.js';
import { recordProof, type CheckOutcome } from '../methods/method.js';
import { countFailure, triesUsedUp } from '../methods/limits.js';
import { strictestLockout } from '../../src/model/tenant-policy.js';

export const secondFactorStep: StepModule<'second-factor'> = {
  name: 'second-factor',

  async render(sc, options = {}) {
    const { t } = sc.pc;
    const offered = offeredFactors(sc);
    const policy = chosenPolicy(sc);
    const withPasskey = (sc.decision.methods ?? []).includes('passkey');
    const passkey = withPasskey
      ? html`${passkeyButton(sc, { mode: 'authenticate', step: 'second-factor', label: t('passkey.use'), auto: offered.length === 0, secondary: offered.length > 0 })}${passkeyScripts(sc)}`
      : '';
    if (offered.length === 0) {
      // The passkey is the only way the user has: its ceremony is the whole page.
      return page(sc.pc, t('mfa.title'), html`<h1>${t('mfa.title')}</h1>${alert(options.error)}<p>${t('passkey.intro')}</p>${passkey}`);
    }
    const method = codeMethods[currentFactor(sc, offered)];
    const others = offered.filter((m) => m !== method.id);
    const action = `/interaction/${sc.uid}/second-factor`;
    const form = method.ready(sc)
      ? html`<form method="post" action="${action}" novalidate>
${csrfField(sc)}
<input type="hidden" name="method" value="${method.id}">
${codeInput('code', t(`mfa.${method.id}.label`), method.pattern)}
${trustCheckbox(t, policy.trustedDeviceDays)}
<button type="submit" name="action" value="verify">${t('mfa.verify')}</button>
${method.send ? html`<button type="submit" name="action" value="send" class="secondary" formnovalidate>${t('mfa.sms.resend')}</button>` : ''}
</form>`
      : html`<form method="post" action="${action}">
${csrfField(sc)}
<input type="hidden" name="method" value="${method.id}">
<button type="submit" name="action" value="send" autofocus>${t('mfa.sms.send')}</button>
</form>`;
    return page(
      sc.pc,
      t('mfa.title'),
      html`<h1>${t('mfa.title')}</h1>
${alert(options.error)}${options.values?.notice ? html`<p role="status">${options.values.notice}</p>` : ''}
${proveFirst(sc, offered) ? html`<p>${t('mfa.proveFirst')}</p>` : ''}
${method.intro(sc)}
${form}
${
  others.length
    ? html`<form method="post" action="${action}">${csrfField(sc)}<p class="notice">${t('mfa.other')}</p><ul class="choices">${others.map(
        (m) => html`<li><button type="submit" name="switch" value="${m}" class="secondary">${t(`mfa.method.${m}`)}</button></li>`,
      )}</ul></form>`
    : ''
}
${passkey}
<p class="notice">${t('mfa.noApp', { contact: policy.contact || t('password.defaultContact') })}</p>`,
    );
  },

  /** The passkey, when the user has one: it proves two factors at once. */
  async json(sc, body) {
    if (!(sc.decision.methods ?? []).includes('passkey')) return { ok: false, status: 400, error: 'invalid_request', message: sc.pc.t('passkey.failed') };
    return passkeySignIn(sc, body, { userId: sc.user!.id, user: sc.user });
  },

  async submit(sc, form): Promise<SubmitResult> {
    const { t } = sc.pc;
    const offered = offeredFactors(sc);
    if (form.switch) {
      if (offered.includes(form.switch as CodeFactor)) sc.journey.chosenFactor = form.switch as CodeFactor;
      return { ok: false, error: '', status: 200 };
    }
    if (offered.length === 0) return { ok: false, error: '', status: 200 };
    const method = codeMethods[currentFactor(sc, offered)];
    if (form.action === 'send') {
      if (!method.send) return { ok: false, error: '', status: 200 };
      if (isLocked(sc)) return { ok: false, error: lockedMessage(sc), status: 403 };
      const sent = await method.send(sc);
      return sent.ok ? { ok: false, error: '', status: 200, values: { notice: t('mfa.sms.sent') } } : { ok: false, error: sent.error, status: 429 };
    }
    if (!method.ready(sc)) return { ok: false, error: t('mfa.sms.expired') };
    if (triesUsedUp(sc, method.id)) return { ok: false, error: t('mfa.tooMany') };

    const user = sc.user!;
    const meta = { ...requestMeta(sc), method: method.id };
    const outcome = await sc.services.codeAttempts.guard<Exclude<CheckOutcome, 'ok'>>(
      user.id,
      sc.memberships.map((m) => m.policy),
      meta,
      () => method.check(sc, (form.code ?? '').trim()),
    );
    if (outcome === 'locked') return { ok: false, error: lockedMessage(sc), status: 403 };
    if (outcome !== 'ok') {
      const usedUp = countFailure(sc, method.id);
      await sc.services.events.record({ type: 'login.second_factor_failed', userId: user.id, ...meta, details: { outcome } });
      if (usedUp) return { ok: false, error: t('mfa.tooMany') };
      return { ok: false, error: t({ invalid: 'mfa.invalid', replayed: 'mfa.replayed', expired: 'mfa.sms.expired' }[outcome]) };
    }
    recordProof(sc, method);
    if (method.id !== 'recovery') await sc.services.credentials.preferFactor(user, method.id);
    await sc.services.events.record({ type: 'login.second_factor_ok', userId: user.id, ...meta });
    await trustThisDevice(sc, form.trust === 'on');
    return { ok: true };
  },
};

/** The code factors the flow offers, the user's preferred one first and recovery codes last. */
function offeredFactors(sc: StepContext): CodeFactor[] {
  const offered = (sc.decision.methods ?? []).filter((m): m is CodeFactor => m in codeMethods);
  const rank = (f: CodeFactor) => (f === sc.user?.preferredFactor ? 0 : f === 'recovery' ? 2 : 1);
  return [...offered].sort((a, b) => rank(a) - rank(b));
}

function currentFactor(sc: StepContext, offered: CodeFactor[]): CodeFactor {
  const chosen = sc.journey.chosenFactor;
  return chosen && chosen !== 'passkey' && offered.includes(chosen) ? chosen : offered[0];
}

/** The factors offered are not among the tenant's: the user proves one before setting up another. */
function proveFirst(sc: StepContext, offered: CodeFactor[]): boolean {
  const policy = chosenPolicy(sc);
  return policy.mfa === 'required' && !offered.some((m) => m !== 'recovery' && policy.methods.includes(m));
}

function isLocked(sc: StepContext): boolean {
  const user = sc.user!;
  return user.locked || (!!user.lockedUntil && user.lockedUntil.getTime() > Date.now());
}

function lockedMessage(sc: StepContext): string {
  const { t } = sc.pc;
  const rule = strictestLockout(sc.memberships.map((m) => m.policy));
  const contact = chosenPolicy(sc).contact || t('password.defaultContact');
  return t(rule.mode === 'permanent' ? 'mfa.locked' : 'mfa.lockedTemporary', { contact });
}

/** After a second factor, this browser may be trusted for the tenant's number of days. */
export async function trustThisDevice(sc: StepContext, wanted: boolean): Promise<void> {
  const days = chosenPolicy(sc).trustedDeviceDays;
  if (!wanted || days <= 0) return;
  const device = await sc.services.credentials.trustDevice(sc.user!.id, days, requestMeta(sc));
  writeDeviceToken(sc.ctx, sc.user!.id, device.token, device.expiresAt, sc.services.secureCookies);
}
