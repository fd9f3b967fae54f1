/**
 * Identifier first, then the passkey (seed 004): the identifier's account has a passkey and this
 * browser can use one, so the ceremony starts at once, no password field. "Use my password
 * instead" is always there, and a ceremony that fails or is cancelled says so plainly and leaves
 * both ways open. Also where a sign-in must be phishing-resistant and the user has a passkey.
 */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { signInNotices } from '../views/notices.js';
import { csrfField, postButton } from '../views/forms.js';
import { passkeyButton, passkeyScripts } from '../views/passkey.js';
import { passkeySignIn } from '../methods/passkey.js';
import type { StepContext, StepModule } from '../step.js';
import type { User } from '../../src/model/types.js';

/** Whose passkeys: the journey's account, or the one the identifier names. */
async function account(sc: StepContext): Promise<User | undefined> {
  if (sc.user) return sc.user;
  return sc.journey.identifier ? await sc.services.users.findByIdentifier(sc.journey.identifier) : undefined;
}

export const passkeyStep: StepModule<'passkey'> = {
  name: 'passkey',

  async render(sc, options = {}) {
    const { t } = sc.pc;
    const mustUsePasskey = !!sc.journey.userId; // a phishing-resistant sign-in: no password way out
    return page(
      sc.pc,
      t('passkey.title'),
      html`<h1>${t('passkey.title')}</h1>
<p class="who">${sc.journey.identifier ?? sc.user?.login ?? ''}</p>
${alert(options.error)}
${await signInNotices(sc)}
<p>${t('passkey.intro')}</p>
${passkeyButton(sc, { mode: 'authenticate', step: 'passkey', label: t('passkey.use'), auto: true })}
${
  mustUsePasskey
    ? html`<p class="notice">${t('passkey.required')}</p>`
    : html`<form method="post" action="/interaction/${sc.uid}/passkey">${csrfField(sc)}<button type="submit" name="action" value="password" class="secondary">${t('passkey.passwordInstead')}</button></form>`
}
${postButton(sc, 'restart', t('common.notYou'))}
${passkeyScripts(sc)}`,
    );
  },

  async submit(sc, form) {
    if (form.action === 'password' && !sc.journey.userId) {
      sc.journey.passwordInstead = true;
      return { ok: true };
    }
    return { ok: false, error: '', status: 200 };
  },

  async json(sc, body) {
    const user = await account(sc);
    // No such account: still a ceremony (for no credential), never a hint that the account is unknown.
    return passkeySignIn(sc, body, { userId: user?.id ?? '00000000-0000-0000-0000-000000000000', user });
  },
};
