/**
 * Setting up an authenticator app, as shown in the sign-in (interactions/methods/totp.ts) and
 * in the account portal: the QR code for a computer's screen; for a phone, where a QR code on the
 * same screen cannot be scanned, an `otpauth://` link that opens the authenticator app in one
 * tap; the key as text to type in by hand; then one code from the app proves it holds the key.
 * The caller gives the form's target and what its form must carry (an anti-forgery field, a
 * "trust this device" box); the view knows nothing of journeys or portal sessions.
 */
import { html, type Safe } from './html.js';
import { codeInput } from './code-form.js';
import type { Translator } from '../i18n/index.js';

export interface TotpSetupOptions {
  t: Translator;
  /** The `otpauth://totp/…` URI of the secret (TotpService.enrollment). */
  uri: string;
  /** The same URI as a QR code, a PNG data URL. */
  qrDataUrl: string;
  /** The base32 secret, for typing in by hand. */
  secret: string;
  /** Where the confirmation code is posted. */
  action: string;
  /** Hidden fields the form must carry (the anti-forgery token). */
  hidden: Safe;
  /** More of the form, after the code (e.g. "trust this device"). */
  extra?: Safe | string;
  /** The submit button's label; "Check and activate" by default. */
  submitLabel?: string;
}

/** The key in groups of four, easier to read and type (authenticator apps ignore the spaces). */
export function groupedSecret(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

export function totpSetupView(o: TotpSetupOptions): Safe {
  const { t } = o;
  return html`<p>${t('enroll.totp.scan')}</p>
<p><img src="${o.qrDataUrl}" alt="${t('enroll.totp.qrAlt')}" width="200" height="200"></p>
<p><a class="button secondary" id="totp-link" href="${o.uri}">${t('enroll.totp.openApp')}</a></p>
<p class="notice">${t('enroll.totp.manual')} <code id="totp-secret">${groupedSecret(o.secret)}</code></p>
<form method="post" action="${o.action}" novalidate>
${o.hidden}
<p>${t('enroll.totp.confirm')}</p>
${codeInput('code', t('mfa.totp.label'))}
${o.extra ?? ''}
<button type="submit" name="action" value="code">${o.submitLabel ?? t('enroll.totp.activate')}</button>
</form>`;
}
