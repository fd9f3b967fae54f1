/**
 * Applications: the apps this account may use (those serving every tenant or one of the user's,
 * never the portal itself, the operator's admin client or a client with nowhere to send a user
 * back), and for each whether it has the account's access now (a live grant: the consent given to
 * an outside app, the sign-in of one of the house), with what it may see. "Remove access" revokes
 * the app's grants with their tokens (an app on a phone too) and takes it out of every session of
 * the account: it must sign in again. Only the account's own grants are ever touched.
 */
import { html } from '../../interactions/views/html.js';
import type { AccountGrant } from '../../src/oidc/account-sessions.js';
import type { ClientRecord } from '../../src/model/types.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalRoutes } from '../routes.js';
import { PORTAL_CLIENT_ID } from '../oidc-client.js';
import { appNames, timeElement } from './describe.js';

const PAGE = '/account/apps';
/** Scopes that tell the user something (the journey's consent page words them). */
const SHOWN_SCOPES = ['profile', 'email', 'phone', 'offline_access'];

/** A client a person signs in to: it has somewhere to send the user back, and is not the operator's tool. */
function isUserFacing(c: ClientRecord): boolean {
  const redirects = c.metadata.redirect_uris;
  const scopes = String(c.metadata.scope ?? '').split(' ');
  return c.clientId !== PORTAL_CLIENT_ID && !scopes.includes('admin') && Array.isArray(redirects) && redirects.length > 0;
}

export function registerApps(routes: PortalRoutes): void {
  routes.page(PAGE, async (p) => {
    const { t, locale } = p.pc;
    const [clients, grants] = await Promise.all([p.deps.listClients(), p.deps.accountSessions.grants(p.user.id)]);
    const tenants = new Set(p.memberships.map((m) => m.tenantId));
    const byClient = new Map<string, AccountGrant[]>();
    for (const g of grants) byClient.set(g.clientId, [...(byClient.get(g.clientId) ?? []), g]);
    // The apps the user may use, and any other app that still holds their access (so it can be taken back).
    const apps = clients
      .filter(isUserFacing)
      .filter((c) => c.tenants === null || c.tenants.some((id) => tenants.has(id)) || byClient.has(c.clientId));
    const nameOf = appNames(clients, t);
    const name = (c: ClientRecord) => nameOf(c.clientId)!;
    apps.sort((a, b) => name(a).localeCompare(name(b), locale));
    return {
      html: portalPage(p, {
        title: t('portal.apps.title'),
        section: 'apps',
        body: html`<h1>${t('portal.apps.title')}</h1>
<section class="card" aria-labelledby="apps-h"><h2 id="apps-h">${t('portal.apps.yours')}</h2>
<p class="muted small">${t('portal.apps.intro')}</p>
${apps.length ? html`<ul class="plain">${apps.map((c, i) => appItem(p, c, name(c), byClient.get(c.clientId) ?? [], i))}</ul>` : html`<p>${t('portal.apps.none')}</p>`}
</section>`,
      }),
    };
  });

  routes.action(`${PAGE}/revoke`, async (p, form) => {
    const { t } = p.pc;
    const clientId = form.app ?? '';
    const client = clientId && clientId !== PORTAL_CLIENT_ID ? (await p.deps.listClients()).find((c) => c.clientId === clientId) : undefined;
    const undone = client ? await p.deps.accountSessions.revokeClient(p.user.id, clientId) : { sessions: 0, grants: 0 };
    if (!client || undone.grants + undone.sessions === 0) return { redirect: PAGE, flash: { kind: 'error', text: t('portal.apps.unknown') } };
    await p.deps.services.events.record({ type: 'consent.revoked', userId: p.user.id, ...p.meta, details: { app: clientId, ...undone } });
    return { redirect: PAGE, flash: { kind: 'success', text: t('portal.apps.revoked', { app: appNames([client], t)(clientId)! }) } };
  });
}

function appItem(p: PortalContext, c: ClientRecord, name: string, grants: AccountGrant[], i: number) {
  const { t, locale } = p.pc;
  const id = `app-${i}`;
  const since = grants.reduce<number | undefined>((min, g) => (g.createdAt !== undefined && (min === undefined || g.createdAt < min) ? g.createdAt : min), undefined);
  const scopes = SHOWN_SCOPES.filter((s) => grants.some((g) => g.scopes.includes(s)));
  const access = grants.length
    ? html`<p class="small">${c.firstParty ? t('portal.apps.signedIn') : t('portal.apps.consented')}${since ? html` ${t('portal.apps.since')} ${timeElement(locale, new Date(since * 1000))}` : ''}</p>
${scopes.length ? html`<p class="small">${t('portal.apps.sees')} ${scopes.map((s) => t(`scope.${s}`)).join(', ')}.</p>` : ''}
<form method="post" action="${PAGE}/revoke" class="inline">${csrfField(p)}<input type="hidden" name="app" value="${c.clientId}"><button type="submit" class="secondary" aria-describedby="${id}">${t('portal.apps.revoke')}</button></form>`
    : html`<p class="small muted">${t('portal.apps.noAccess')}</p>`;
  return html`<li><h3 id="${id}">${name}</h3>
${c.firstParty ? '' : html`<p class="small muted">${t('portal.apps.outside')}</p>`}
${access}
</li>`;
}
