/**
 * The passkey pieces of the pages: a button that runs a ceremony (sign in, or create), the field
 * that tells the server what the browser can do, and the two scripts, served by Sesam (no CDN):
 * SimpleWebAuthn's browser bundle and the small script below that drives it. Everything works
 * without them too: the page keeps its password and "skip" forms.
 */
import { html, type Safe } from './html.js';
import type { StepContext } from '../step.js';

/** A button running a passkey ceremony against `step` (JSON); `auto` starts it on arrival. */
export function passkeyButton(sc: StepContext, options: { mode: 'authenticate' | 'register'; step: string; label: string; auto?: boolean; secondary?: boolean }): Safe {
  const { t } = sc.pc;
  return html`<div id="passkey-error" hidden></div>
<button type="button" class="${options.secondary ? 'secondary' : ''}" data-passkey="${options.mode}" data-url="/interaction/${sc.uid}/${options.step}" data-csrf="${sc.journey.csrf}"
 ${options.auto ? html`data-auto="true"` : ''} data-msg-cancelled="${t('passkey.cancelled')}" data-msg-failed="${t('passkey.failed')}" data-msg-unsupported="${t('passkey.unsupported')}" data-msg-waiting="${t('passkey.waiting')}">${options.label}</button>
<p class="notice" id="passkey-status" aria-live="polite"></p>`;
}

/** Filled by the script: `platform` (a passkey on this device possible), `available`, or empty. */
export function webauthnField(): Safe {
  return html`<input type="hidden" name="webauthn" value="" data-webauthn-capability>`;
}

/** The scripts, for pages that show a passkey button, autofill, or the capability field. */
export function passkeyScripts(sc: StepContext): Safe {
  return html`<script src="/interaction/assets/webauthn.js" nonce="${sc.pc.nonce}"></script>
<script src="/interaction/assets/passkey.js" nonce="${sc.pc.nonce}"></script>`;
}

/**
 * The page script. Ceremonies: ask options (POST {action: "options"}), run the browser's ceremony,
 * send the answer (POST {action: "verify", response}); on success or when the journey moved on,
 * load the journey again; on failure or cancel, say so plainly and leave the other ways in.
 */
export const PASSKEY_SCRIPT = `(function () {
  'use strict';
  var W = window.SimpleWebAuthnBrowser;
  var supported = !!(W && W.browserSupportsWebAuthn());
  function post(url, csrf, body) {
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (json) { return { status: r.status, body: json }; }); });
  }
  function say(id, text) {
    var el = document.getElementById(id);
    if (!el) return;
    el.textContent = text || '';
    el.hidden = !text;
    // Errors are announced as alerts (the pages' contract) only while there is one.
    if (id === 'passkey-error') { if (text) el.setAttribute('role', 'alert'); else el.removeAttribute('role'); }
  }
  var running = false;
  function ceremony(el, autofill) {
    if (!supported) { say('passkey-error', el.dataset.msgUnsupported); return Promise.resolve(); }
    if (running && !autofill) return Promise.resolve();
    running = !autofill;
    var url = el.dataset.url, csrf = el.dataset.csrf, mode = el.dataset.passkey || 'authenticate';
    if (!autofill) { say('passkey-error', ''); say('passkey-status', el.dataset.msgWaiting); }
    return post(url, csrf, { action: 'options' }).then(function (answer) {
      if (answer.status !== 200) throw { server: answer.body };
      var optionsJSON = answer.body.options;
      return mode === 'register' ? W.startRegistration({ optionsJSON: optionsJSON }) : W.startAuthentication({ optionsJSON: optionsJSON, useBrowserAutofill: !!autofill });
    }).then(function (response) {
      return post(url, csrf, { action: 'verify', response: response });
    }).then(function (verdict) {
      if (verdict.status === 200 || verdict.status === 409 || verdict.status === 415) { location.assign(verdict.body.next); return; }
      throw { server: verdict.body };
    }).catch(function (e) {
      running = false;
      say('passkey-status', '');
      if (e && e.server && e.server.next) { location.assign(e.server.next); return; }
      if (autofill && e && e.name === 'AbortError') return;
      var message = e && e.server ? e.server.message : e && (e.name === 'NotAllowedError' || e.name === 'AbortError') ? el.dataset.msgCancelled : el.dataset.msgFailed;
      if (!autofill || (e && e.server)) say('passkey-error', message);
    });
  }
  document.querySelectorAll('[data-passkey]').forEach(function (el) {
    el.addEventListener('click', function () { ceremony(el, false); });
    if (el.dataset.auto === 'true' && supported) ceremony(el, false);
  });
  var autofill = document.querySelector('[data-passkey-autofill]');
  if (autofill && supported && W.browserSupportsWebAuthnAutofill) {
    W.browserSupportsWebAuthnAutofill().then(function (yes) {
      if (yes) ceremony(autofill, true);
    });
  }
  var fields = document.querySelectorAll('[data-webauthn-capability]');
  if (fields.length && supported) {
    fields.forEach(function (f) { f.value = 'available'; });
    W.platformAuthenticatorIsAvailable().then(function (yes) {
      if (yes) fields.forEach(function (f) { f.value = 'platform'; });
    });
  }
  document.querySelectorAll('form[data-auto-submit-unless-platform]').forEach(function (form) {
    (supported ? W.platformAuthenticatorIsAvailable() : Promise.resolve(false)).then(function (yes) {
      if (!yes) form.submit();
    });
  });
})();
`;
