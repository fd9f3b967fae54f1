/**
 * The passkey offer (seed 004), once, after a sign-in with the password on a device that can hold
 * a passkey (biometrics or the device's PIN): create one, or "skip this step and log in with my
 * password" — a skip is remembered on this device for PASSKEY_OFFER_SKIP_DAYS. The sign-in goes
 * on either way.
 */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { csrfField } from '../views/forms.js';
import { passkeyButton, passkeyScripts } from '../views/passkey.js';
import { passkeyCreation } from '../methods/passkey.js';
import { writeOfferSkipped } from '../device-cookie.js';
import { markDone, requestMeta, type StepModule } from '../step.js';

export const passkeyOfferStep: StepModule<'passkey-offer'> = {
  name: 'passkey-offer',

  render(sc, options = {}) {
    const { t } = sc.pc;
    const action = `/interaction/${sc.uid}/passkey-offer`;
    return page(
      sc.pc,
      t('passkeyOffer.title'),
      html`<h1>${t('passkeyOffer.title')}</h1>
${alert(options.error)}
<p>${t('passkeyOffer.intro')}</p>
<p class="notice">${t('passkeyOffer.device')}</p>
${passkeyButton(sc, { mode: 'register', step: 'passkey-offer', label: t('passkeyOffer.create') })}
<form method="post" action="${action}">${csrfField(sc)}<button type="submit" name="action" value="skip" class="secondary">${t('passkeyOffer.skip')}</button></form>
<form method="post" action="${action}" data-auto-submit-unless-platform>${csrfField(sc)}<input type="hidden" name="action" value="unsupported"></form>
${passkeyScripts(sc)}`,
    );
  },

  async submit(sc, form) {
    if (form.action === 'skip') {
      writeOfferSkipped(sc.ctx, sc.user!.id, sc.services.passkeyOfferSkipDays, sc.services.secureCookies);
      await sc.services.events.record({ type: 'passkey.offer_skipped', userId: sc.user!.id, ...requestMeta(sc) });
    }
    // `unsupported`: the browser cannot create one after all; nothing remembered, the sign-in goes on.
    markDone(sc, 'passkey-offer');
    return { ok: true };
  },

  async json(sc, body) {
    const outcome = await passkeyCreation(sc, body);
    if (outcome !== 'created') return outcome;
    markDone(sc, 'passkey-offer');
    return { ok: true };
  },
};
