/** Forced password change (seed 000): the user replaces an admin-chosen or outdated password before any token. */
import { checkNewPassword, MAX_PASSWORD_LENGTH } from '../../src/domain/passwords.js';
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import type { StepModule } from '../step.js';

export const changePasswordStep: StepModule = {
  name: 'change-password',

  render(sc, options = {}) {
    const { t } = sc.pc;
    const min = minLength(sc.memberships.map((m) => m.policy.minPasswordLength));
    return page(
      sc.pc,
      t('changePassword.title'),
      html`<h1>${t('changePassword.title')}</h1>
${alert(options.error)}
<p>${t(sc.user?.mustChangePassword ? 'changePassword.intro' : 'changePassword.introPolicy')}</p>
<form method="post" action="/interaction/${sc.uid}/change-password" novalidate>
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
    const user = sc.user!;
    const min = minLength(sc.memberships.map((m) => m.policy.minPasswordLength));
    const password = form.password ?? '';
    const problem = checkNewPassword(password, [user.login, user.email], min);
    if (problem) return { ok: false, error: t(`changePassword.error.${problem}`, { min, max: MAX_PASSWORD_LENGTH }) };
    if (password !== (form.confirm ?? '')) return { ok: false, error: t('changePassword.error.mismatch') };
    if (user.passwordHash && (await sc.services.hasher.verify(user.passwordHash, password)).ok) {
      return { ok: false, error: t('changePassword.error.same_as_current') };
    }
    await sc.services.users.update(user.id, { passwordHash: await sc.services.hasher.hash(password), mustChangePassword: false });
    sc.journey.passwordChanged = true;
    await sc.services.events.record({ type: 'account.password_changed', userId: user.id, ...sc.meta, tenantId: sc.journey.tenantId ?? null });
    return { ok: true };
  },
};

function minLength(values: number[]): number {
  return Math.max(12, ...values);
}
