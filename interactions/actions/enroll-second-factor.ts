/**
 * Required action: set up a second factor the tenant (or the app) requires, inside the journey.
 * The flow sends a user here only when they have no factor to prove, or after they proved the one
 * they have (nothing unproven replaces a verified phone). The method, then its own set-up (a
 * Belgian mobile proven by an SMS code; an authenticator app proven by one code). The first
 * factor set up is followed by recovery codes, drawn here (a POST) and shown once on the next page.
 */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { csrfField } from '../views/forms.js';
import { chosenMembership, requestMeta, type StepContext, type StepModule, type SubmitResult } from '../step.js';
import { setUpMethods } from '../methods/index.js';
import { recordProof, type SetUpMethod } from '../methods/method.js';
import { trustThisDevice } from '../steps/second-factor.js';

type SetUpId = SetUpMethod['id'];

export const enrollSecondFactorStep: StepModule<'enroll-second-factor'> = {
  name: 'enroll-second-factor',

  async render(sc, options = {}) {
    const { t } = sc.pc;
    const offered = setUpOffered(sc);
    const method = chosenSetUp(sc, offered);
    const tenant = chosenMembership(sc)?.tenantName ?? 'Sesam';
    const action = `/interaction/${sc.uid}/enroll-second-factor`;
    const body = method
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
    if (!method) return { ok: false, error: t('enroll.notAllowed') };
    const outcome = await setUpMethods[method].submit(sc, form);
    if (!outcome.done) {
      return { ok: false, error: outcome.error ?? '', status: outcome.status, values: { ...outcome.values, ...(outcome.notice ? { notice: outcome.notice } : {}) } };
    }
    recordProof(sc, setUpMethods[method].method);
    sc.journey.setUpMethod = undefined;
    sc.journey.done = [...new Set([...(sc.journey.done ?? []), 'enroll-second-factor' as const])];
    // Recovery codes come with the first second factor only; later ones keep the codes.
    if ((await sc.services.recoveryCodes.remaining(sc.user!.id)) === 0) {
      const codes = await sc.services.credentials.issueRecoveryCodes(sc.user!.id, { meta: requestMeta(sc) });
      sc.journey.recoveryCodesSealed = sc.services.cipher.encrypt(JSON.stringify(codes), `journey:${sc.uid}`);
    }
    await trustThisDevice(sc, form.trust === 'on');
    return { ok: true };
  },
};

function setUpOffered(sc: StepContext): SetUpId[] {
  return (sc.decision.methods ?? []).filter((m): m is SetUpId => m in setUpMethods);
}

function chosenSetUp(sc: StepContext, offered: SetUpId[]): SetUpId | undefined {
  const chosen = sc.journey.setUpMethod;
  if (chosen && offered.includes(chosen)) return chosen;
  return offered.length === 1 ? offered[0] : undefined;
}
