/** Pieces every interaction form carries: the journey's CSRF token, and small POST-only buttons. */
import { html, type Safe } from './html.js';
import type { StepContext } from '../step.js';

/** The journey's anti-forgery token; the router refuses a POST without it. */
export function csrfField(sc: StepContext): Safe {
  return html`<input type="hidden" name="csrf" value="${sc.journey.csrf}">`;
}

/**
 * A control that changes state (use another account, cancel): a POST carrying the token, never a
 * link a page load or a prefetch could follow. `look` keeps the look of a link or of a button.
 */
export function postButton(sc: StepContext, action: 'restart' | 'abort', label: string, look: 'link' | 'secondary' = 'link'): Safe {
  return html`<form method="post" action="/interaction/${sc.uid}/${action}" class="inline">${csrfField(sc)}<button type="submit" class="${look}">${label}</button></form>`;
}
