/**
 * The password, with "stay signed in". Unknown, locked and wrong answer with the same words,
 * status and (one argon2 verification) timing; the notice on lockout is the same for everyone,
 * taken from the request's tenant context, never from the account.
 */
import { checkNewPassword } from '../../src/domain/passwords.js';
import { DEFAULT_POLICY, type TenantPolicy } from '../../src/model/tenant-policy.js';
import { html } from '../views/html.js';
import { clock } from '../views/clock.js';
import { alert, page } from '../views/layout.js';
import { signInNotices } from '../views/notices.js';
import { csrfField, postButton } from '../views/forms.js';
import { passkeyScripts, webauthnField } from '../views/passkey.js';
import { rememberCapability } from './identifier.js';
import { readDeviceToken } from '../device-cookie.js';
import { passwordMethod } from '../methods/index.js';
import { recordProof } from '../methods/method.js';
import { useUser, type StepContext, type StepModule } from '../step.js';
import { providerName } from '../../src/model/upstream-provider.js';

/** The policy the page speaks of: the organization asked for, or the client's only tenant, or the default. */
async function contextPolicy(sc: StepContext): Promise<TenantPolicy> {
  const wanted = (sc.details.params.organization as string | undefined) ?? (sc.client.tenants?.length === 1 ? sc.client.tenants[0] : undefined);
  if (wanted && (!sc.client.tenants || sc.client.tenants.includes(wanted))) {
    const tenant = await sc.services.tenants.find(wanted);
    if (tenant) return tenant.policy;
  }
  return DEFAULT_POLICY;
}

/** After an upstream sign-in matched this account's e-mail: why the password is asked, once. */
async function linkNotice(sc: StepContext) {
  const link = sc.journey.pendingLink;
  if (!link) return '';
  const provider = await sc.services.federation.providers.find(link.providerId);
  const name = providerName(provider, sc.pc.locale, link.providerId);
  return html`<p role="status">${sc.pc.t('upstream.linkNotice', { name })}</p>`;
}

export const passwordStep: StepModule<'password'> = {
  name: 'password',

  async render(sc, options = {}) {
    const { t } = sc.pc;
    const policy = await contextPolicy(sc);
    const contact = policy.contact || t('password.defaultContact');
    const notice = t(policy.lockout.mode === 'permanent' ? 'password.lockNotice' : 'password.lockNoticeTemporary', { threshold: policy.lockout.threshold, contact });
    const remember = options.values ? options.values.remember === 'on' : sc.journey.remember === true;
    return page(
      sc.pc,
      t('password.title'),
      html`<h1>${t('password.title')}</h1>
<p class="who">${sc.journey.identifier}</p>
${alert(options.error)}
${sc.journey.intent === 'recover' && !options.error ? html`<p role="status">${t('recover.done')}</p>` : ''}
${await linkNotice(sc)}
${await signInNotices(sc)}
<form method="post" action="/interaction/${sc.uid}/password" novalidate>
${csrfField(sc)}
${webauthnField()}
<input type="text" name="username" autocomplete="username" value="${sc.journey.identifier}" hidden>
<label for="password">${t('password.label')}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<label class="check"><input type="checkbox" name="remember" ${remember ? 'checked' : ''}> ${t('password.remember')}</label>
<button type="submit">${t('password.submit')}</button>
</form>
<p class="notice">${notice}</p>
<p class="notice"><a href="/interaction/${sc.uid}/forgot">${t('forgot.link')}</a></p>
${
  sc.journey.passwordInstead
    ? html`<form method="post" action="/interaction/${sc.uid}/password">${csrfField(sc)}<button type="submit" name="action" value="passkey" class="secondary">${t('passkey.insteadOfPassword')}</button></form>`
    : ''
}
${postButton(sc, 'restart', t('common.notYou'))}
${passkeyScripts(sc)}`,
    );
  },

  async submit(sc, form) {
    if (form.action === 'passkey') {
      sc.journey.passwordInstead = false;
      return { ok: true };
    }
    rememberCapability(sc, form);
    const password = form.password ?? '';
    sc.journey.remember = form.remember === 'on';
    if (!password) return { ok: false, error: sc.pc.t('password.required'), values: form };
    const outcome = await sc.services.passwords.verify(sc.journey.identifier ?? '', password.slice(0, 1024), { ...sc.meta }, {
      trustedDevice: (userId) => sc.services.trustedDevices.find(userId, readDeviceToken(sc.ctx, userId)),
    });
    if (!outcome.ok && outcome.reason === 'throttled') {
      return { ok: false, status: 429, error: sc.pc.t('password.throttled', { time: clock(outcome.retryAt, sc.pc.locale) }), values: { remember: form.remember ?? '' } };
    }
    if (!outcome.ok) return { ok: false, error: sc.pc.t('password.invalid'), values: { remember: form.remember ?? '' } };
    const user = outcome.user;
    if (sc.journey.userId !== user.id) {
      // Another account than the one adopted from the session: start its journey afresh.
      sc.journey.tenantId = undefined;
      sc.journey.verifications = [];
    }
    sc.journey.userId = user.id;
    sc.journey.fromSession = false;
    sc.journey.carried = undefined;
    recordProof(sc, passwordMethod);
    // A password that no longer meets the rules (a tenant raised its minimum, or it became common) must be replaced.
    const minLength = Math.max(...outcome.memberships.map((m) => m.policy.minPasswordLength), 0);
    sc.journey.passwordOutdated = checkNewPassword(password, [], minLength) !== undefined;
    // The account as the check read it: only its failure count (reset) and hash (rehashed) changed since.
    useUser(sc, user, outcome.memberships);
    return { ok: true, userLoaded: true };
  },
};
