/**
 * "Send a new code" that counts down until a new code may be asked for: the button waits,
 * showing the seconds left, then comes back. Without JavaScript the button is there at once and
 * the server says how long to wait (the cooldown is the server's, never the page's).
 */
import { html, Safe } from '../../interactions/views/html.js';

export function resendButton(options: { nonce: string; availableAt: number; label: string; waitTemplate: string; formId?: string }): Safe {
  const json = (value: string) => new Safe(JSON.stringify(value).replace(/</g, '\\u003c'));
  return html`<button type="submit" class="secondary" id="resend" data-available="${options.availableAt}" ${options.formId ? html`form="${options.formId}"` : ''}>${options.label}</button>
<span id="resend-wait" class="muted small" aria-live="off"></span>
<script nonce="${options.nonce}">
(function () {
  var button = document.getElementById('resend'), wait = document.getElementById('resend-wait');
  var at = Number(button.dataset.available), template = ${json(options.waitTemplate)};
  function tick() {
    var s = Math.max(0, Math.ceil((at - Date.now()) / 1000));
    button.disabled = s > 0;
    wait.textContent = s > 0 ? template.replace('{remaining}', Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0')) : '';
    if (s > 0) setTimeout(tick, 1000);
  }
  tick();
})();
</script>`;
}
