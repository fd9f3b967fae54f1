/**
 * Required action (seed 000): replace a password someone else chose, or one below the rules,
 * before any token. Only a journey that proved the account gets here (the flow's rule); the new
 * password ends the account's other sessions and revokes its refresh tokens.
 * In a `recover` journey (issue 10), the page sets the forgotten password: the journey's recovery
 * handle is consumed with it (one change per e-mailed link), a lock is lifted, and a handle no
 * longer live ends the recovery on the sign-in page, which says so.
 */
import { MAX_PASSWORD_LENGTH } from '../../src/domain/passwords.js';
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { csrfField } from '../views/forms.js';
import { newJourney } from '../journey.js';
import { markDone, ownSessionUid, requestMeta, type StepContext, type StepModule, type SubmitResult } from '../step.js';

export const changePasswordStep: StepModule<'change-password'> = {
  name: 'change-password',

  render(sc, options = {}) {
    const { t } = sc.pc;
    const min = minLength(sc);
    return page(
      sc.pc,
      t('changePassword.title'),
      html`<h1>${t('changePassword.title')}</h1>
${alert(options.error)}
<p>${sc.journey.intent === 'recover' ? t('recover.changeIntro', { login: sc.user?.login ?? '' }) : t(sc.user?.mustChangePassword ? 'changePassword.intro' : 'changePassword.introPolicy')}</p>
<form method="post" action="/interaction/${sc.uid}/change-password" novalidate>
${csrfField(sc)}
<input type="text" name="username" autocomplete="username" value="${sc.user?.login ?? ''}" hidden>
<label for="new">${t('changePassword.new')}</label>
<input id="new" name="password" type="password" autocomplete="new-password" minlength="${min}" maxlength="${MAX_PASSWORD_LENGTH}" required autofocus aria-describedby="rules">
<p id="rules" class="notice">${t('changePassword.rules', { min })}</p>
<label for="confirm">${t('changePassword.confirm')}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
<button type="submit">${t('changePassword.submit')}</button>
</form>`,
    );
  },

  async submit(sc, form) {
    const { t } = sc.pc;
    const min = minLength(sc);
    const password = form.password ?? '';
    if (password !== (form.confirm ?? '')) return { ok: false, error: t('changePassword.error.mismatch') };
    if (sc.journey.intent === 'recover') return recover(sc, password, min);
    const problem = await sc.services.credentials.changeOwnPassword(sc.user!, password, { minLength: min, meta: requestMeta(sc), keepSessionUid: ownSessionUid(sc), locale: sc.pc.locale });
    if (problem) return { ok: false, error: t(`changePassword.error.${problem}`, { min, max: MAX_PASSWORD_LENGTH }) };
    sc.journey.passwordOutdated = false;
    markDone(sc, 'change-password');
    return { ok: true };
  },
};

/** The forgotten password replaced, once per e-mailed link. */
async function recover(sc: StepContext, password: string, min: number): Promise<SubmitResult> {
  const recovery = sc.services.passwordRecovery;
  const ref = sc.journey.recovery;
  const held = ref ? await recovery.takeHandle(ref) : undefined;
  if (!ref || !held || held.userId !== sc.user!.id) {
    // Used in another tab, or the 30 minutes are over: start a sign-in that says so.
    sc.journey = Object.assign(newJourney('sign-in', { locale: sc.journey.locale, switchAccount: true }), { notice: 'recovery-invalid' as const });
    return { ok: true };
  }
  const problem = await sc.services.credentials.changeOwnPassword(sc.user!, password, { minLength: min, meta: requestMeta(sc), keepSessionUid: ownSessionUid(sc), recovered: true, locale: sc.pc.locale });
  if (problem) {
    await recovery.restoreHandle(ref, held);
    return { ok: false, error: sc.pc.t(`changePassword.error.${problem}`, { min, max: MAX_PASSWORD_LENGTH }) };
  }
  sc.journey.recovery = undefined;
  sc.journey.passwordOutdated = false;
  markDone(sc, 'change-password');
  return { ok: true };
}

/** The strictest minimum of the user's tenants (12 at least). */
function minLength(sc: StepContext): number {
  return Math.max(12, ...sc.memberships.map((m) => m.policy.minPasswordLength));
}
