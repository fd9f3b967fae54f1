/**
 * Identifier first: the login or e-mail (login_hint pre-fills it), or a passkey without typing
 * anything — the "sign in with a passkey" button (discoverable credentials) or the browser's
 * autofill on the identifier field (conditional mediation, `autocomplete="username webauthn"`).
 * For a typed identifier, only whether its account has a passkey is looked up (identifier first).
 */
import { html } from '../views/html.js';
import { alert, page } from '../views/layout.js';
import { signInNotices } from '../views/notices.js';
import { csrfField, postButton } from '../views/forms.js';
import { passkeyButton, passkeyScripts, webauthnField } from '../views/passkey.js';
import { passkeySignIn } from '../methods/passkey.js';
import type { StepContext, StepModule } from '../step.js';
import { offeredProviders, providerLabel } from '../upstream.js';
import type { UpstreamProvider } from '../../src/model/upstream-provider.js';

/** One button per upstream provider the app and tenant offer (seed 001: "Connexion avec Google"). */
function upstreamButtons(sc: StepContext, providers: Pick<UpstreamProvider, 'id' | 'label' | 'icon'>[]) {
  if (providers.length === 0) return '';
  return html`<div class="upstream-way">${providers.map(
    (p) => html`<form method="post" action="/interaction/${sc.uid}/upstream/${p.id}">${csrfField(sc)}<button type="submit" class="secondary upstream" data-provider="${p.id}"${p.icon === 'none' ? '' : html` data-icon="${p.icon}"`}>${providerLabel(sc, p)}</button></form>`,
  )}</div>`;
}

/**
 * Does the identifier's account have a passkey? Asked only when the browser can run a ceremony;
 * an unknown account simply has none, and goes to the password page like everyone without one.
 */
async function hasPasskey(sc: StepContext, identifier: string): Promise<boolean> {
  const user = await sc.services.users.findByIdentifier(identifier);
  return !!user && !user.disabled && (await sc.services.passkeys.count(user.id)) > 0;
}

/** What the page's script said the browser can do, kept for the next steps. */
export function rememberCapability(sc: StepContext, form: Record<string, string>): void {
  if (form.webauthn === 'available' || form.webauthn === 'platform') sc.journey.webauthn = form.webauthn;
}

export const identifierStep: StepModule<'identifier'> = {
  name: 'identifier',

  async render(sc, options = {}) {
    const { t } = sc.pc;
    const value = options.values?.identifier ?? sc.journey.identifier ?? (sc.details.params.login_hint as string | undefined) ?? '';
    return page(
      sc.pc,
      t('identifier.title'),
      html`<h1>${t('identifier.title')}</h1>
${alert(options.error ?? (sc.journey.notice === 'recovery-invalid' ? t('recover.expired') : undefined))}
${await signInNotices(sc)}
<form method="post" action="/interaction/${sc.uid}/identifier" novalidate>
${csrfField(sc)}
${webauthnField()}
<label for="identifier">${t('identifier.label')}</label>
<input id="identifier" name="identifier" type="text" autocomplete="username webauthn" autocapitalize="none" spellcheck="false" required autofocus value="${value}"
 data-passkey-autofill data-url="/interaction/${sc.uid}/identifier" data-csrf="${sc.journey.csrf}" data-msg-cancelled="" data-msg-failed="${t('passkey.failed')}" data-msg-unsupported="">
<button type="submit">${t('common.continue')}</button>
</form>
<p class="notice"><a href="/interaction/${sc.uid}/forgot">${t('forgot.link')}</a></p>
<div class="passkey-way">
${passkeyButton(sc, { mode: 'authenticate', step: 'identifier', label: t('passkey.signIn'), secondary: true })}
</div>
${upstreamButtons(sc, await offeredProviders(sc))}
${postButton(sc, 'abort', t('common.cancel'), 'secondary')}
${passkeyScripts(sc)}`,
    );
  },

  async submit(sc, form) {
    const identifier = (form.identifier ?? '').trim();
    if (!identifier || identifier.length > 320) return { ok: false, error: sc.pc.t('identifier.required') };
    sc.journey.identifier = identifier;
    sc.journey.passwordInstead = false;
    sc.journey.notice = undefined;
    rememberCapability(sc, form);
    sc.journey.identifierHasPasskey = sc.journey.webauthn ? await hasPasskey(sc, identifier) : false;
    return { ok: true };
  },

  /** A passkey chosen from the button or from autofill: it names its own account. */
  async json(sc, body) {
    return passkeySignIn(sc, body);
  },
};
