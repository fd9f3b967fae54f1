/**
 * Required action: keep the recovery codes drawn when the first second factor was set up. They
 * were drawn by that POST and sealed in the journey; this page only shows them (a reload shows the
 * same codes, nothing is drawn on a page load), and "continue" forgets them.
 */
import { html } from '../views/html.js';
import { page } from '../views/layout.js';
import { csrfField } from '../views/forms.js';
import { markDone, type StepContext, type StepModule } from '../step.js';

export const recoveryCodesStep: StepModule<'recovery-codes'> = {
  name: 'recovery-codes',

  render(sc) {
    const { t } = sc.pc;
    return page(
      sc.pc,
      t('recovery.title'),
      html`<h1>${t('recovery.title')}</h1>
<p>${t('recovery.intro')}</p>
<ul class="codes">${sealedCodes(sc).map((c) => html`<li><code>${c}</code></li>`)}</ul>
<form method="post" action="/interaction/${sc.uid}/recovery-codes">
${csrfField(sc)}
<button type="submit">${t('recovery.continue')}</button>
</form>`,
    );
  },

  async submit(sc) {
    sc.journey.recoveryCodesSealed = undefined;
    markDone(sc, 'recovery-codes');
    return { ok: true };
  },
};

function sealedCodes(sc: StepContext): string[] {
  const sealed = sc.journey.recoveryCodesSealed;
  return sealed ? (JSON.parse(sc.services.cipher.decrypt(sealed, `journey:${sc.uid}`)) as string[]) : [];
}
