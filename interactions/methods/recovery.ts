/** A recovery code kept on paper: stands in for the second factor once (something you have; `amr` otp). */
import { html } from '../views/html.js';
import type { CodeMethod } from './method.js';

export const recoveryMethod: CodeMethod = {
  id: 'recovery',
  amr: ['otp'],
  factors: ['possession'],
  role: 'second',
  start: 'page',
  pattern: '[A-Za-z0-9 -]*',

  intro(sc) {
    return html`<p>${sc.pc.t('mfa.recovery.intro')}</p>`;
  },

  ready: () => true,

  async check(sc, code) {
    return (await sc.services.recoveryCodes.use(sc.user!.id, code)) ? 'ok' : 'invalid';
  },
};
