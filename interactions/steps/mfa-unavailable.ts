/**
 * Fail closed: the tenant or the app asks for two factors, and nothing the user has or could set
 * up here satisfies it. Say what is needed and whom to contact; never hand out a weaker token.
 */
import { html } from '../views/html.js';
import { page } from '../views/layout.js';
import { postButton } from '../views/forms.js';
import { chosenMembership, chosenPolicy, requestMeta, type StepModule } from '../step.js';

export const mfaUnavailableStep: StepModule<'mfa-unavailable'> = {
  name: 'mfa-unavailable',

  async render(sc) {
    const { t } = sc.pc;
    const policy = chosenPolicy(sc);
    const methods = policy.methods.map((m) => t(`mfa.method.${m}`)).join(', ');
    const contact = policy.contact || t('password.defaultContact');
    const tenant = chosenMembership(sc)?.tenantName;
    await sc.services.events.record({ type: 'login.policy_unmet', userId: sc.user?.id, ...requestMeta(sc), details: { methods: policy.methods, mfa: policy.mfa } });
    return page(
      sc.pc,
      t('mfaUnavailable.title'),
      html`<h1>${t('mfaUnavailable.title')}</h1>
<div role="alert"><p>${tenant && policy.mfa === 'required' ? t('mfaUnavailable.tenant', { tenant, methods }) : t('mfaUnavailable.app', { client: sc.clientName })}</p></div>
<p>${t('mfaUnavailable.contact', { contact })}</p>
${postButton(sc, 'abort', t('common.cancel'), 'secondary')}
${postButton(sc, 'restart', t('common.notYou'))}`,
    );
  },
};
