/** The employer / firm / office picker (seed 001): one button per tenant, named by the tenant. */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { csrfField, postButton } from '../views/forms.js';
import type { StepModule } from '../step.js';

export const tenantStep: StepModule<'tenant'> = {
  name: 'tenant',

  render(sc, options = {}) {
    const { t } = sc.pc;
    return page(
      sc.pc,
      t('tenant.title'),
      html`<h1>${t('tenant.title')}</h1>
${sc.user ? html`<p class="who">${sc.user.email ?? sc.user.login}</p>` : ''}
${alert(options.error)}
<p>${t('tenant.intro')}</p>
<form method="post" action="/interaction/${sc.uid}/tenant">
${csrfField(sc)}
<ul class="choices">
${sc.eligible.map((m) => html`<li><button type="submit" name="tenant" value="${m.tenantId}" class="secondary">${m.tenantName}</button></li>`)}
</ul>
</form>
${postButton(sc, 'restart', t('common.notYou'))}`,
    );
  },

  async submit(sc, form) {
    const chosen = sc.eligible.find((m) => m.tenantId === form.tenant);
    if (!chosen) return { ok: false, error: sc.pc.t('tenant.invalid') };
    sc.journey.tenantId = chosen.tenantId;
    await sc.services.events.record({ type: 'login.tenant_chosen', userId: sc.user?.id, ...sc.meta, tenantId: chosen.tenantId });
    return { ok: true, userLoaded: true };
  },
};
