/**
 * The tenant's events for its admins: sign-ins to the tenant, its members' failures and locks,
 * and what its admins did, newest first, a page at a time (a cursor of time and id, as the
 * account's own recent sign-ins). Each says when, what (in words for the usual ones), whom it
 * concerned, who acted, from which browser and address.
 */
import { html } from '../../interactions/views/html.js';
import { formatEventCursor, parseEventCursor, type StoredEvent } from '../../src/repositories/events-repository.js';
import type { PortalRoutes } from '../routes.js';
import { deviceLabel, timeElement } from './describe.js';
import { actingAdmin, adminPage, orRefusal, refusalPage, tenantOf, tenantPath } from './admin-common.js';

const PAGE_SIZE = 30;
const DEVICE_WORDS = { both: 'portal.activity.browserOn', unknown: 'portal.activity.unknownBrowser' };

/** Event types said in words; any other is shown by its name. */
const LABELLED = new Set([
  'login.success',
  'login.wrong_password',
  'login.second_factor_failed',
  'login.locked',
  'login.disabled',
  'account.locked',
  'login.policy_unmet',
  'admin.user_created',
  'admin.membership_added',
  'admin.membership_removed',
  'admin.role_changed',
  'admin.tenant_updated',
  'admin.user_updated',
  'account.unlocked',
  'admin.password_reset',
  'admin.second_factors_reset',
  'admin.phone_changed',
]);

export function registerAdminEvents(routes: PortalRoutes): void {
  routes.page('/account/admin/:tenant/events', async (p) => {
    const tenant = tenantOf(p);
    if (!tenant) return refusalPage(p, 'forbidden');
    return orRefusal(p, async () => {
      const { t, locale } = p.pc;
      const here = tenantPath(tenant.tenantId, '/events');
      const before = parseEventCursor(p.ctx.query.before);
      const page = await p.deps.tenantAdmin.events(actingAdmin(p, tenant.tenantId), { before, limit: PAGE_SIZE });
      const ids = [...new Set(page.events.flatMap((e) => [e.userId, e.actorUserId]).filter((x): x is string => !!x))];
      const logins = new Map((await Promise.all(ids.map((id) => p.deps.services.users.findById(id)))).filter((u) => !!u).map((u) => [u.id, u.login]));
      const who = (id: string | null | undefined) => (id ? (logins.get(id) ?? t('portal.admin.events.deleted')) : '—');
      const item = (e: StoredEvent) => html`<li><p><strong>${LABELLED.has(e.type) ? t(`portal.admin.event.${e.type}`) : html`<code>${e.type}</code>`}</strong> · ${timeElement(locale, e.at)}</p>
<p class="small">${t('portal.admin.events.member')} ${who(e.userId)}${e.actorUserId ? html` · ${t('portal.admin.events.by')} ${who(e.actorUserId)}` : ''}</p>
<p class="small muted">${deviceLabel(t, DEVICE_WORDS, e.userAgent)} · ${t('portal.activity.address')} ${e.ip ?? '—'}</p></li>`;
      const pager = before || page.next
        ? html`<nav aria-label="${t('portal.admin.events.pages')}"><p>${before ? html`<a href="${here}">${t('portal.activity.newest')}</a>` : ''}${before && page.next ? ' · ' : ''}${page.next ? html`<a href="${here}?${new URLSearchParams({ before: formatEventCursor(page.next) })}" rel="next">${t('portal.activity.older')}</a>` : ''}</p></nav>`
        : '';
      return adminPage(p, tenant, 'events', {
        title: t('portal.admin.events.title'),
        body: html`<h1>${t('portal.admin.events.title')}</h1>
<section class="card" aria-labelledby="events-h"><h2 id="events-h">${before ? t('portal.activity.olderHeading') : t('portal.activity.latest')}</h2>
<p class="muted small">${t('portal.admin.events.intro')}</p>
${page.events.length ? html`<ul class="plain">${page.events.map(item)}</ul>` : html`<p>${t('portal.admin.events.none')}</p>`}
${pager}</section>`,
      });
    });
  });
}
