/** The one-time-code input every second-factor page uses. */
import { html, Safe } from './html.js';
import type { Translator } from '../i18n/index.js';

export function codeInput(id: string, label: string, pattern = '[0-9 ]*'): Safe {
  return html`<label for="${id}">${label}</label>
<input id="${id}" name="code" type="text" inputmode="numeric" pattern="${pattern}" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus>`;
}

/** A countdown to `expiresAt`: the deadline in text (works without JavaScript), a live timer with it. */
export function countdown(nonce: string, expiresAt: number, deadlineText: string, template: string): Safe {
  const remaining = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
  const fmt = (s: number) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return html`<p class="notice" id="deadline">${deadlineText} <span id="countdown" data-expires="${expiresAt}" aria-live="off">${template.replace('{remaining}', fmt(remaining))}</span></p>
<script nonce="${nonce}">
(function () {
  var el = document.getElementById('countdown');
  var end = Number(el.dataset.expires), template = ${new Safe(JSON.stringify(template).replace(/</g, '\\u003c'))};
  function tick() {
    var s = Math.max(0, Math.round((end - Date.now()) / 1000));
    el.textContent = template.replace('{remaining}', Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0'));
    if (s > 0) setTimeout(tick, 1000);
  }
  tick();
})();
</script>`;
}

/** "Trust this device for N days" (checked), when the tenant trusts devices at all. */
export function trustCheckbox(t: Translator, days: number): Safe | string {
  return days > 0
    ? html`<label class="check"><input type="checkbox" name="trust" checked> ${t('mfa.trust', { days })}</label><p class="notice">${t('mfa.trustHint')}</p>`
    : '';
}
