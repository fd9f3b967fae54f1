/**
 * Linked accounts (issue 12; seed 001's "Connexion avec Google"): the upstream accounts (Google,
 * itsme, …) that sign in to this account, each with the e-mail it gave and when it was last used;
 * linked from here (the provider's own sign-in, answered at the journey's callback, bound to this
 * browser: src/upstream/link-requests.ts) and unlinked, but never the last way in. Both need the
 * proof of any credential change (proof.ts).
 */
import { html } from '../../interactions/views/html.js';
import { FederationError } from '../../src/domain/federation.js';
import { LINK_COOKIE, LINK_SECONDS } from '../../src/upstream/link-requests.js';
import { providerName, type UpstreamProvider } from '../../src/model/upstream-provider.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalAnswer, PortalRoutes } from '../routes.js';
import { backLink, formatDate, proofCard, proofNeeded, SECURITY } from './security-common.js';

export const LINKED = `${SECURITY}/linked`;
const CALLBACK_PATH = '/interaction/callback';
const ERRORS = new Set(['denied', 'state_mismatch', 'unreachable', 'invalid_response', 'misconfigured', 'taken']);

export function registerLinkedAccounts(routes: PortalRoutes): void {
  routes.page(LINKED, render);
  const options = { recent: 'second-factor' as const, returnTo: LINKED };
  routes.action(`${LINKED}/link`, link, options);
  routes.action(`${LINKED}/unlink`, unlink, options);
}

/** Providers a member of the user's tenants may link (the operator's tenant filter; every enabled one for a user of no tenant). */
async function linkable(p: PortalContext): Promise<UpstreamProvider[]> {
  const tenants = new Set(p.memberships.map((m) => m.tenantId));
  return (await p.deps.services.federation.providers.list()).filter((x) => x.enabled && (x.tenants === null || x.tenants.some((t) => tenants.has(t))));
}

const nameOf = (p: PortalContext, x: UpstreamProvider | undefined, id: string) => providerName(x, p.pc.locale, id);

async function render(p: PortalContext): Promise<PortalAnswer> {
  const { t, locale } = p.pc;
  const [linked, providers, needed] = await Promise.all([p.deps.services.federation.accounts.listLinked(p.user.id), linkable(p), proofNeeded(p)]);
  const all = await p.deps.services.federation.providers.list();
  const byId = new Map(all.map((x) => [x.id, x]));
  const q = p.ctx.query;
  const outcome =
    typeof q.linked === 'string' && byId.has(q.linked)
      ? html`<p role="status" class="flash success">${t('portal.security.linked.done', { name: nameOf(p, byId.get(q.linked), q.linked) })}</p>`
      : typeof q.link_error === 'string' && ERRORS.has(q.link_error)
        ? html`<div role="alert">${t(`portal.security.linked.error.${q.link_error}`)}</div>`
        : '';
  const title = t('portal.security.linked.title');
  const rows = linked.map(
    (i) => html`<li><h3>${nameOf(p, byId.get(i.providerId), i.providerId)}</h3>
<p class="small">${i.email ?? ''}${i.email ? html`<br>` : ''}${t('portal.security.linked.since', { date: formatDate(i.createdAt, locale) })} · ${i.lastUsedAt ? t('portal.security.linked.lastUsed', { date: formatDate(i.lastUsedAt, locale) }) : t('portal.security.linked.neverUsed')}</p>
${needed ? '' : html`<form method="post" action="${LINKED}/unlink">${csrfField(p)}<input type="hidden" name="provider" value="${i.providerId}"><button type="submit" class="danger">${t('portal.security.linked.unlink')}</button></form>`}</li>`,
  );
  const toLink = providers.filter((x) => !linked.some((i) => i.providerId === x.id));
  const add = needed
    ? proofCard(p, LINKED, needed)
    : toLink.length
      ? html`<section class="card" aria-labelledby="ln-add"><h2 id="ln-add">${t('portal.security.linked.addTitle')}</h2><p>${t('portal.security.linked.addIntro')}</p>
${toLink.map((x) => html`<form method="post" action="${LINKED}/link">${csrfField(p)}<input type="hidden" name="provider" value="${x.id}"><button type="submit" class="secondary">${t('portal.security.linked.link', { name: nameOf(p, x, x.id) })}</button></form>`)}</section>`
      : '';
  return {
    html: portalPage(p, {
      title,
      section: 'security',
      body: html`<h1>${title}</h1>${outcome}
<section class="card" aria-labelledby="ln-list"><h2 id="ln-list">${t('portal.security.linked.yours')}</h2>
${linked.length ? html`<ul class="items">${rows}</ul>` : html`<p>${t('portal.security.linked.none')}</p>`}</section>
${add}
${backLink(p)}`,
    }),
  };
}

/** Off to the provider; its answer comes back to the journey's callback, which links and returns here. */
async function link(p: PortalContext, form: Record<string, string>): Promise<PortalAnswer> {
  const { federation, issuer, secureCookies } = p.deps.services;
  const provider = (await linkable(p)).find((x) => x.id === form.provider);
  if (!provider) return { redirect: LINKED, flash: { kind: 'error', text: p.pc.t('portal.security.linked.error.misconfigured') } };
  try {
    const { url, pending } = await federation.client.start(provider, {
      redirectUri: `${issuer.replace(/\/$/, '')}${CALLBACK_PATH}/${encodeURIComponent(provider.id)}`,
      loginHint: p.user.email ?? undefined,
      uiLocales: p.pc.locale,
    });
    const { nonce } = await federation.links.begin(p.user.id, pending, LINKED);
    p.ctx.cookies.set(LINK_COOKIE, nonce, { path: CALLBACK_PATH, httpOnly: true, secure: secureCookies, sameSite: 'lax', maxAge: LINK_SECONDS * 1000 });
    return { redirect: url };
  } catch {
    return { redirect: LINKED, flash: { kind: 'error', text: p.pc.t('portal.security.linked.error.unreachable') } };
  }
}

async function unlink(p: PortalContext, form: Record<string, string>): Promise<PortalAnswer> {
  const { federation, passkeys } = p.deps.services;
  const providerId = String(form.provider ?? '');
  try {
    const passkeyCount = await passkeys.count(p.user.id);
    await federation.accounts.unlink(p.user.id, providerId, p.meta, { password: !!p.user.passwordHash, passkeys: passkeyCount });
  } catch (err) {
    if (err instanceof FederationError) {
      return { redirect: LINKED, flash: { kind: 'error', text: p.pc.t(err.code === 'last_way_in' ? 'portal.security.linked.lastWayIn' : 'portal.security.linked.notLinked') } };
    }
    throw err;
  }
  const provider = await federation.providers.find(providerId);
  return { redirect: LINKED, flash: { kind: 'success', text: p.pc.t('portal.security.linked.unlinked', { name: nameOf(p, provider, providerId) }) } };
}
