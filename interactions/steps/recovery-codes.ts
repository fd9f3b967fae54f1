/** Recovery codes, shown once after the first second factor is set up (drawn anew on each display). */
import { html } from '../views/html.js';
import { page } from '../views/layout.js';
import type { StepModule } from '../step.js';

export const recoveryCodesStep: StepModule = {
  name: 'recovery-codes',

  async render(sc) {
    const { t } = sc.pc;
    // Drawn at display time and never stored in clear: what the user sees last is what works.
    const codes = await sc.services.recoveryCodes.regenerate(sc.user!.id);
    await sc.services.events.record({ type: 'mfa.recovery_codes_issued', userId: sc.user!.id, ...sc.meta, tenantId: sc.journey.tenantId ?? null });
    return page(
      sc.pc,
      t('recovery.title'),
      html`<h1>${t('recovery.title')}</h1>
<p>${t('recovery.intro')}</p>
<ul class="codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<form method="post" action="/interaction/${sc.uid}/recovery-codes">
<button type="submit">${t('recovery.continue')}</button>
</form>`,
    );
  },

  async submit(sc) {
    sc.journey.recoveryCodesPending = false;
    return { ok: true };
  },
};
