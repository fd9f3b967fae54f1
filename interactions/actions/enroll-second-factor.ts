/**
 * Required action: set up a second factor the tenant (or the app) requires, inside the journey.
 * The flow sends a user here only when they have no factor to prove, or after they proved the one
 * they have (nothing unproven replaces a verified phone). The method, then its own set-up (a
 * Belgian mobile proven by an SMS code; an authenticator app proven by one code; a passkey created
 * by its ceremony, then used to sign in). The first factor set up is followed by recovery codes,
 * drawn here (a POST) and shown once on the next page.
 */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { csrfField } from '../views/forms.js';
import { chosenMembership, markDone, requestMeta, type StepContext, type StepModule, type SubmitResult } from '../step.js';
import { setUpMethods } from '../methods/index.js';
import { recordProof, type SetUpMethod } from '../methods/method.js';
import { passkeyCreation } from '../methods/passkey.js';
import { passkeyButton, passkeyScripts } from '../views/passkey.js';
import { trustThisDevice } from '../steps/second-factor.js';

type SetUpId = SetUpMethod['id'] | 'passkey';

export const enrollSecondFactorStep: StepModule<'enroll-second-factor'> = {
  name: 'enroll-second-factor',

  async render(sc, options = {}) {
    const { t } = sc.pc;
    const offered = setUpOffered(sc);
    const method = chosenSetUp(sc, offered);
    const tenant = chosenMembership(sc)?.tenantName ?? 'Sesam';
    const action = `/interaction/${sc.uid}/enroll-second-factor`;
    const body =
      method === 'passkey'
        ? html`<p>${t('passkeyOffer.intro')}</p><p class="notice">${t('passkeyOffer.device')}</p>${passkeyButton(sc, { mode: 'register', step: 'enroll-second-factor', label: t('passkeyOffer.create') })}${passkeyScripts(sc)}`
        : method
      ? await setUpMethods[method].render(sc, options.values)
      : html`<p>${t('enroll.choose')}</p>
<form method="post" action="${action}">${csrfField(sc)}<ul class="choices">${offered.map(
          (m) => html`<li><button type="submit" name="choose" value="${m}" class="secondary">${t(`mfa.method.${m}`)}</button></li>`,
        )}</ul></form>`;
    return page(
      sc.pc,
      t('enroll.title'),
      html`<h1>${t('enroll.title')}</h1>
${alert(options.error)}${options.values?.notice ? html`<p role="status">${options.values.notice}</p>` : ''}
<p>${t('enroll.intro', { tenant })}</p>
${body}
${offered.length > 1 && method ? html`<form method="post" action="${action}">${csrfField(sc)}<button type="submit" name="choose" value="" class="secondary">${t('mfa.other')}</button></form>` : ''}`,
    );
  },

  async submit(sc, form): Promise<SubmitResult> {
    const { t } = sc.pc;
    const offered = setUpOffered(sc);
    if (form.choose !== undefined) {
      sc.journey.setUpMethod = offered.includes(form.choose as SetUpId) ? (form.choose as SetUpId) : undefined;
      sc.journey.challenges.sms = undefined;
      return { ok: false, error: '', status: 200 };
    }
    const method = chosenSetUp(sc, offered);
    if (!method || method === 'passkey') return { ok: false, error: method ? '' : t('enroll.notAllowed'), status: method ? 200 : 400 };
    const outcome = await setUpMethods[method].submit(sc, form);
    if (!outcome.done) {
      return { ok: false, error: outcome.error ?? '', status: outcome.status, values: { ...outcome.values, ...(outcome.notice ? { notice: outcome.notice } : {}) } };
    }
    recordProof(sc, setUpMethods[method].method);
    // Set up because it was required: only an admin switches it off again (seed 002).
    await sc.services.credentials.noteTwoStepOn(sc.user!.id, 'required');
    await setUpDone(sc, { recoveryCodes: true });
    await trustThisDevice(sc, form.trust === 'on');
    return { ok: true };
  },

  /** A passkey being created: its ceremony. Creating proves nothing yet; the flow then asks to sign in with it. */
  async json(sc, body) {
    if (chosenSetUp(sc, setUpOffered(sc)) !== 'passkey') return { ok: false, status: 400, error: 'invalid_request', message: sc.pc.t('enroll.notAllowed') };
    const outcome = await passkeyCreation(sc, body);
    if (outcome !== 'created') return outcome;
    await setUpDone(sc, { recoveryCodes: false });
    return { ok: true };
  },
};

/**
 * Recovery codes come with the first code factor (SMS, authenticator) only; later ones keep the
 * codes. A passkey brings none: it is often synced, and a code could never stand in for it where a
 * phishing-resistant sign-in is required.
 */
async function setUpDone(sc: StepContext, options: { recoveryCodes: boolean }): Promise<void> {
  sc.journey.setUpMethod = undefined;
  markDone(sc, 'enroll-second-factor');
  if (options.recoveryCodes && (await sc.services.recoveryCodes.remaining(sc.user!.id)) === 0) {
    const codes = await sc.services.credentials.issueRecoveryCodes(sc.user!.id, { meta: requestMeta(sc) });
    sc.journey.recoveryCodesSealed = sc.services.cipher.encrypt(JSON.stringify(codes), `journey:${sc.uid}`);
  }
}

function setUpOffered(sc: StepContext): SetUpId[] {
  return (sc.decision.methods ?? []).filter((m): m is SetUpId => m in setUpMethods || m === 'passkey');
}

function chosenSetUp(sc: StepContext, offered: SetUpId[]): SetUpId | undefined {
  const chosen = sc.journey.setUpMethod;
  if (chosen && offered.includes(chosen)) return chosen;
  return offered.length === 1 ? offered[0] : undefined;
}
