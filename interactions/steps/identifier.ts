/** Identifier first: only the login or e-mail here (login_hint pre-fills it); nothing is looked up yet. */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { csrfField, postButton } from '../views/forms.js';
import type { StepModule } from '../step.js';

export const identifierStep: StepModule<'identifier'> = {
  name: 'identifier',

  render(sc, options = {}) {
    const { t } = sc.pc;
    const value = options.values?.identifier ?? sc.journey.identifier ?? (sc.details.params.login_hint as string | undefined) ?? '';
    return page(
      sc.pc,
      t('identifier.title'),
      html`<h1>${t('identifier.title')}</h1>
${alert(options.error)}
<form method="post" action="/interaction/${sc.uid}/identifier" novalidate>
${csrfField(sc)}
<label for="identifier">${t('identifier.label')}</label>
<input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${value}">
<button type="submit">${t('common.continue')}</button>
</form>
${postButton(sc, 'abort', t('common.cancel'), 'secondary')}`,
    );
  },

  async submit(sc, form) {
    const identifier = (form.identifier ?? '').trim();
    if (!identifier || identifier.length > 320) return { ok: false, error: sc.pc.t('identifier.required') };
    sc.journey.identifier = identifier;
    return { ok: true };
  },
};
