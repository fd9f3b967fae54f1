/**
 * Change password (seeds 000 and 003: "at any time"): the current one, checked by the sign-in's
 * own authenticator (the same per-source throttle and account lock: a stolen portal session is no
 * password-guessing oracle), then the new one under the strictest policy of the user's tenants.
 * The change ends the account's other sessions and revokes their grants and refresh tokens (seed
 * 001: apps on phones sign in again); this browser's session, and so the portal, stays signed in.
 * A user who signs in with passkeys only may create a password here (no current one to give).
 */
import { html } from '../../interactions/views/html.js';
import { clock } from '../../interactions/views/clock.js';
import { checkNewPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type PasswordProblem } from '../../src/domain/passwords.js';
import { strictestLockout } from '../../src/model/tenant-policy.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalAnswer, PortalRoutes } from '../routes.js';
import { backLink, contactOf, formError, proofCard, proofNeeded, refuseChange, SECURITY } from './security-common.js';

const PAGE = `${SECURITY}/password`;

export function registerPasswordChange(routes: PortalRoutes): void {
  routes.page(PAGE, async (p) => render(p));
  routes.action(PAGE, change, { recent: true, returnTo: PAGE });
}

/** The strictest minimum length of the user's tenants. */
function minLength(p: PortalContext): number {
  return Math.max(MIN_PASSWORD_LENGTH, ...p.memberships.map((m) => m.policy.minPasswordLength));
}

async function render(p: PortalContext, error?: string, status = 200): Promise<PortalAnswer> {
  const { t } = p.pc;
  const hasPassword = !!p.user.passwordHash;
  const title = t(hasPassword ? 'portal.security.password.change' : 'portal.security.password.create');
  const needed = await proofNeeded(p);
  const min = minLength(p);
  const rule = strictestLockout(p.memberships.map((m) => m.policy));
  const form = html`<section class="card" aria-labelledby="pw-form"><h2 id="pw-form">${title}</h2>
${formError(error)}
<form method="post" action="${PAGE}" novalidate>
${csrfField(p)}
<input type="text" name="username" autocomplete="username" value="${p.user.login}" hidden>
${hasPassword
  ? html`<label for="current">${t('portal.security.password.current')}</label>
<input id="current" name="current" type="password" autocomplete="current-password" required aria-describedby="current-hint">
<p id="current-hint" class="muted small">${t(rule.mode === 'permanent' ? 'password.lockNotice' : 'password.lockNoticeTemporary', { threshold: rule.threshold, contact: contactOf(p) })}</p>`
  : ''}
<label for="new">${t('changePassword.new')}</label>
<input id="new" name="new" type="password" autocomplete="new-password" required minlength="${min}" maxlength="${MAX_PASSWORD_LENGTH}" aria-describedby="new-rules">
<p id="new-rules" class="muted small">${t('changePassword.rules', { min })}</p>
<label for="confirm">${t('changePassword.confirm')}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
<p class="muted small">${t('portal.security.password.effect')}</p>
<button type="submit">${t('changePassword.submit')}</button>
</form></section>`;
  return {
    status,
    html: portalPage(p, {
      title,
      section: 'security',
      body: html`<h1>${title}</h1>${needed ? proofCard(p, PAGE, needed) : form}${backLink(p)}`,
    }),
  };
}

async function change(p: PortalContext, form: Record<string, string>): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  const { t } = p.pc;
  const { user } = p;
  const candidate = form.new ?? '';
  const min = minLength(p);
  const problemText = (problem: PasswordProblem) => t(`changePassword.error.${problem}`, { min, max: MAX_PASSWORD_LENGTH });
  // What the new password breaks is said before the current one is checked: no guess is spent on a typo.
  if (candidate !== (form.confirm ?? '')) return render(p, t('changePassword.error.mismatch'), 400);
  const early = checkNewPassword(candidate, [user.login, user.email], min);
  if (early) return render(p, problemText(early), 400);

  if (user.passwordHash) {
    const outcome = await p.deps.services.passwords.verify(user.login, form.current ?? '', { ...p.meta, tenantId: null });
    if (!outcome.ok || outcome.user.id !== user.id) {
      if (!outcome.ok && outcome.reason === 'throttled') return render(p, t('password.throttled', { time: clock(outcome.retryAt, p.pc.locale) }), 429);
      const locked = !outcome.ok && (outcome.reason === 'locked' || ('lockedNow' in outcome && outcome.lockedNow));
      return render(p, locked ? t('portal.security.locked', { contact: contactOf(p) }) : t('portal.security.password.wrongCurrent'), locked ? 403 : 400);
    }
  }

  const problem = await p.deps.services.credentials.changeOwnPassword(user, candidate, { minLength: min, meta: p.meta, keepSessionUid: p.session.providerSessionUid, locale: p.pc.locale });
  if (problem) return render(p, problemText(problem), 400);
  return { redirect: SECURITY, flash: { kind: 'success', text: t('portal.security.password.changed') } };
}
