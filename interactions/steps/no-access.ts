/** The account serves no tenant this app is open to: say so plainly, offer another account. */
import { html } from '../views/html.js';
import { page } from '../views/layout.js';
import { postButton } from '../views/forms.js';
import type { StepModule } from '../step.js';

export const noAccessStep: StepModule<'no-access'> = {
  name: 'no-access',

  render(sc) {
    const { t } = sc.pc;
    return page(
      sc.pc,
      t('noTenant.title'),
      html`<h1>${t('noTenant.title')}</h1>
<div role="alert"><p>${t('noTenant.body')}</p></div>
${postButton(sc, 'restart', t('noTenant.other'), 'secondary')}
${postButton(sc, 'abort', t('common.cancel'), 'secondary')}`,
    );
  },
};
