/** Consent for apps that are not first-party: what the app asks for, allow or deny. */
import { html } from '../views/html.js';
import { page } from '../views/layout.js';
import { csrfField } from '../views/forms.js';
import type { StepModule } from '../step.js';

export const consentStep: StepModule<'consent'> = {
  name: 'consent',

  render(sc) {
    const { t } = sc.pc;
    const scopes = String(sc.details.params.scope ?? 'openid').split(' ').filter((s) => ['openid', 'profile', 'email', 'phone', 'offline_access'].includes(s));
    return page(
      sc.pc,
      t('consent.title'),
      html`<h1>${t('consent.title')}</h1>
<p>${t('consent.intro', { client: sc.clientName })}</p>
<ul>${scopes.map((s) => html`<li>${t(`scope.${s}`)}</li>`)}</ul>
<form method="post" action="/interaction/${sc.uid}/consent">
${csrfField(sc)}
<button type="submit" name="decision" value="allow">${t('consent.allow')}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t('consent.deny')}</button>
</form>`,
    );
  },

  async submit(sc, form) {
    if (form.decision === 'allow') {
      sc.journey.consented = true;
      return { ok: true };
    }
    await sc.services
      .provider()
      .interactionFinished(sc.ctx.req, sc.ctx.res, { error: 'access_denied', error_description: 'the user denied access' }, { mergeWithLastSubmission: false });
    sc.ctx.respond = false;
    return { ok: 'handled' };
  },
};
