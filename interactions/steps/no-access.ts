/** The account serves no tenant this app is open to: say so plainly, offer another account. */
import { html } from '../views/html.js';
import { page } from '../views/layout.js';
import type { StepModule } from '../step.js';

export const noAccessStep: StepModule = {
  name: 'no-access',

  render(sc) {
    const { t } = sc.pc;
    return page(
      sc.pc,
      t('noTenant.title'),
      html`<h1>${t('noTenant.title')}</h1>
<div role="alert"><p>${t('noTenant.body')}</p></div>
<a class="button" href="/interaction/${sc.uid}/restart">${t('noTenant.other')}</a>
<a class="button secondary" href="/interaction/${sc.uid}/abort">${t('common.cancel')}</a>`,
    );
  },

  async submit() {
    return { ok: false, error: '' };
  },
};
