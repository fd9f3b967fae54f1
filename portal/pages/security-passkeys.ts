/**
 * Passkeys (seed 004): each one with its name, when it was created and last used, and whether it
 * is synced across the user's devices or bound to one; renamed; deleted, but never the last way
 * in (without a password, the last passkey stays: credentials.ts). A new one is created with the
 * sign-in's own ceremony script (a JSON route here, its challenge sealed in the portal session,
 * single use). Every id comes from the form and is only ever looked up among the user's own.
 */
import { html } from '../../interactions/views/html.js';
import { passkeyName } from '../../src/domain/passkeys.js';
import type { PasskeyView } from '../../src/domain/passkeys.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { JsonAnswer, PortalAnswer, PortalRoutes } from '../routes.js';
import { backLink, formatDate, isLocked, proofCard, proofNeeded, proofUrl, readScratch, refuseChange, SECURITY, writeScratch } from './security-common.js';

const PAGE = `${SECURITY}/passkeys`;
const CEREMONY = `${PAGE}/ceremony`;
/** How long a creation's challenge stays good (as in the sign-in). */
const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export function registerPasskeys(routes: PortalRoutes): void {
  routes.page(PAGE, render);
  const options = { recent: true, returnTo: PAGE };
  routes.action(`${PAGE}/rename`, rename, options);
  routes.action(`${PAGE}/delete`, remove, options);
  routes.json(CEREMONY, ceremony, options);
}

async function render(p: PortalContext): Promise<PortalAnswer> {
  const { t, locale } = p.pc;
  const passkeys = await p.deps.services.credentials.passkeysOf(p.user.id);
  const needed = await proofNeeded(p);
  const title = t('portal.security.passkeys.title');
  const item = (k: PasskeyView) => html`<li>
<h3>${k.name}</h3>
<p class="small">${t(k.synced ? 'portal.security.passkeys.synced' : 'portal.security.passkeys.deviceBound')}${k.authenticator ? html` · ${k.authenticator}` : ''}<br>
${t('portal.security.passkeys.created', { date: formatDate(k.createdAt, locale) })} · ${k.lastUsedAt ? t('portal.security.passkeys.lastUsed', { date: formatDate(k.lastUsedAt, locale) }) : t('portal.security.passkeys.neverUsed')}</p>
${k.flagged ? html`<p class="small"><strong>${t('passkey.cloned')}</strong></p>` : ''}
${needed
  ? ''
  : html`<form method="post" action="${PAGE}/rename">${csrfField(p)}<input type="hidden" name="id" value="${k.id}">
<label for="name-${k.id}">${t('portal.security.passkeys.newName')}</label>
<input type="text" id="name-${k.id}" name="name" value="${k.name}" maxlength="100" required autocomplete="off">
<button type="submit" class="secondary">${t('portal.security.passkeys.rename')}</button></form>
<form method="post" action="${PAGE}/delete">${csrfField(p)}<input type="hidden" name="id" value="${k.id}"><button type="submit" class="danger">${t('portal.security.passkeys.delete')}</button></form>`}
</li>`;
  const add = needed
    ? proofCard(p, PAGE, needed)
    : html`<section class="card" aria-labelledby="pk-add"><h2 id="pk-add">${t('portal.security.passkeys.addTitle')}</h2>
<p>${t('passkeyOffer.intro')}</p>
<div id="passkey-error" hidden></div>
<button type="button" data-passkey="register" data-url="${CEREMONY}" data-csrf="${p.session.csrf}" data-msg-cancelled="${t('passkey.cancelled')}" data-msg-failed="${t('passkey.failed')}" data-msg-unsupported="${t('passkey.unsupported')}" data-msg-waiting="${t('passkey.waiting')}">${t('passkeyOffer.create')}</button>
<p class="muted small" id="passkey-status" aria-live="polite"></p></section>`;
  return {
    html: portalPage(p, {
      title,
      section: 'security',
      head: needed ? undefined : html`<script src="/interaction/assets/webauthn.js" nonce="${p.pc.nonce}" defer></script><script src="/interaction/assets/passkey.js" nonce="${p.pc.nonce}" defer></script>`,
      body: html`<h1>${title}</h1>
<section class="card" aria-labelledby="pk-list"><h2 id="pk-list">${t('portal.security.passkeys.yours')}</h2>
<p>${t('portal.security.passkeys.what')}</p>
${passkeys.length ? html`<ul class="plain">${passkeys.map(item)}</ul>` : html`<p class="muted">${t('portal.security.passkeys.none')}</p>`}
${!p.user.passwordHash && passkeys.length === 1 ? html`<p class="muted small">${t('portal.security.passkeys.lastWayIn')}</p>` : ''}</section>
${add}${backLink(p)}`,
    }),
  };
}

async function rename(p: PortalContext, form: Record<string, string>): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  const { t } = p.pc;
  if (!passkeyName(form.name)) return { redirect: PAGE, flash: { kind: 'error', text: t('portal.security.passkeys.badName') } };
  const renamed = await p.deps.services.credentials.renamePasskey(p.user.id, form.id ?? '', form.name ?? '', { meta: p.meta });
  if (!renamed) return { redirect: PAGE, flash: { kind: 'error', text: t('portal.security.passkeys.notFound') } };
  return { redirect: PAGE, flash: { kind: 'success', text: t('portal.security.passkeys.renamed', { name: renamed.name }) } };
}

async function remove(p: PortalContext, form: Record<string, string>): Promise<PortalAnswer> {
  const refused = await refuseChange(p, PAGE);
  if (refused) return refused;
  const { t } = p.pc;
  const outcome = await p.deps.services.credentials.removeOwnPasskey(p.user, form.id ?? '', p.meta);
  const messages = {
    removed: 'portal.security.passkeys.deleted',
    not_found: 'portal.security.passkeys.notFound',
    last_way_in: 'portal.security.passkeys.lastWayIn',
    required_by_tenant: 'portal.security.passkeys.requiredByTenant',
  } as const;
  return { redirect: PAGE, flash: { kind: outcome === 'removed' ? 'success' : 'error', text: t(messages[outcome]) } };
}

/** The creation ceremony: options (a challenge sealed in the session), then the browser's answer. */
async function ceremony(p: PortalContext, body: Record<string, unknown>): Promise<JsonAnswer> {
  const { t } = p.pc;
  const { services } = p.deps;
  const refusal = (status: number, error: string, key: string): JsonAnswer => ({ status, body: { error, message: t(key) } });
  if (isLocked(p)) return refusal(403, 'locked', 'passkey.locked');
  const needed = await proofNeeded(p);
  if (needed) return { status: 401, body: { error: 'reauthenticate', message: t('portal.security.reauth.secondFactor'), next: proofUrl(p, PAGE, needed) } };
  if (body.action === 'options') {
    const { options, challenge } = await services.passkeys.registrationOptions(p.user);
    await writeScratch(p, 'passkey', { challenge, expiresAt: Date.now() + CHALLENGE_TTL_MS });
    return { status: 200, body: { options } };
  }
  if (body.action !== 'verify') return refusal(400, 'invalid_request', 'passkey.failed');
  const live = readScratch<{ challenge: string; expiresAt: number }>(p, 'passkey');
  await writeScratch(p, 'passkey', undefined); // single use, whatever the answer
  if (!live || Date.now() > live.expiresAt) return refusal(400, 'expired', 'passkey.expired');
  const verified = await services.passkeys.verifyRegistration(p.user, body.response as never, live.challenge);
  if (!verified.ok) {
    await services.events.record({ type: 'passkey.creation_failed', userId: p.user.id, ...p.meta, details: { reason: verified.reason } });
    return refusal(400, verified.reason, verified.reason === 'duplicate' ? 'passkey.duplicate' : 'passkey.failed');
  }
  const added = await services.credentials.addPasskey(p.user, verified, p.meta);
  if (!added.ok) return refusal(400, added.reason, 'passkey.duplicate');
  p.session.flash = { kind: 'success', text: t('portal.security.passkeys.added', { name: added.passkey.name }) };
  await p.deps.sessions.save(p.session);
  return { status: 200, body: { next: PAGE } };
}
