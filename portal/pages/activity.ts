/**
 * Recent sign-ins (seed 003, "toutes les connexions que vous avez récemment effectuées"): the
 * account's sign-ins and failed attempts from the event log, newest first, a page at a time
 * ("older" follows a cursor of time and id, so a page stays right while new events arrive). Each
 * says when (the user's language, Belgian time), to which app, how (in words), from which
 * browser, system and address, and whether it worked: a wrong password someone else typed shows
 * here.
 */
import { html } from '../../interactions/views/html.js';
import type { PageContext } from '../../interactions/views/layout.js';
import { formatEventCursor, parseEventCursor, type StoredEvent } from '../../src/repositories/events-repository.js';
import { portalPage } from '../layout.js';
import type { PortalRoutes } from '../routes.js';
import { appNames, deviceLabel, timeElement } from './describe.js';

const PAGE = '/account/activity';
export const ACTIVITY_PAGE_SIZE = 20;

/**
 * The events of a sign-in as the user lived it: the one that ends a journey, and each way it can
 * fail once the account is known (src/domain/authentication.ts, the method modules and steps).
 * The intermediate proofs (`login.password_ok`, `login.second_factor_ok`) are summed up by the
 * success.
 */
const OUTCOME_KEYS: Record<string, string> = {
  'login.success': 'portal.activity.ok',
  'login.wrong_password': 'portal.activity.wrongPassword',
  'login.second_factor_failed': 'portal.activity.wrongCode',
  'login.passkey_failed': 'portal.activity.passkeyRefused',
  'login.locked': 'portal.activity.locked',
  'login.disabled': 'portal.activity.disabled',
  'account.locked': 'portal.activity.accountLocked',
  'login.policy_unmet': 'portal.activity.policyUnmet',
};
export const SIGN_IN_EVENTS = Object.keys(OUTCOME_KEYS);

/** A method as the event log names it (`pwd` by the password check, `password` in a journey's proofs). */
const METHOD_KEYS: Record<string, string> = {
  pwd: 'portal.activity.method.password',
  password: 'portal.activity.method.password',
  sms: 'portal.activity.method.sms',
  totp: 'portal.activity.method.totp',
  recovery: 'portal.activity.method.recovery',
  passkey: 'portal.activity.method.passkey',
  session: 'portal.activity.method.session',
};

const DEVICE_WORDS = { both: 'portal.activity.browserOn', unknown: 'portal.activity.unknownBrowser' };

export function registerActivity(routes: PortalRoutes): void {
  routes.page(PAGE, async (p) => {
    const { t, locale } = p.pc;
    const before = parseEventCursor(p.ctx.query.before);
    const [page, clients] = await Promise.all([
      p.deps.eventsRepo.page({ userId: p.user.id, types: SIGN_IN_EVENTS, before, limit: ACTIVITY_PAGE_SIZE }),
      p.deps.listClients(),
    ]);
    const nameOf = appNames(clients, t);
    const item = (e: StoredEvent) => {
      const ok = e.type === 'login.success';
      const app = nameOf(e.clientId);
      return html`<li><p><strong>${ok ? t('portal.activity.ok') : t('portal.activity.failed', { reason: reasonOf(t, e) })}</strong> · ${timeElement(locale, e.at)}</p>
<p class="small">${t('portal.activity.app')} ${app ?? '—'} · ${t('portal.activity.how')} ${methodOf(t, e.method)}</p>
<p class="small muted">${deviceLabel(t, DEVICE_WORDS, e.userAgent)} · ${t('portal.activity.address')} ${e.ip ?? '—'}</p></li>`;
    };
    const pager = before || page.next
      ? html`<nav aria-label="${t('portal.activity.pages')}"><p>${before ? html`<a href="${PAGE}">${t('portal.activity.newest')}</a>` : ''}${before && page.next ? ' · ' : ''}${page.next ? html`<a href="${PAGE}?${new URLSearchParams({ before: formatEventCursor(page.next) })}" rel="next">${t('portal.activity.older')}</a>` : ''}</p></nav>`
      : '';
    return {
      html: portalPage(p, {
        title: t('portal.activity.title'),
        section: 'activity',
        body: html`<h1>${t('portal.activity.title')}</h1>
<section class="card" aria-labelledby="activity-h"><h2 id="activity-h">${before ? t('portal.activity.olderHeading') : t('portal.activity.latest')}</h2>
<p class="muted small">${t('portal.activity.intro')}</p>
${page.events.length ? html`<ul class="plain">${page.events.map(item)}</ul>` : html`<p>${before ? t('portal.activity.noMore') : t('portal.activity.none')}</p>`}
${pager}
</section>`,
      }),
    };
  });
}

function reasonOf(t: PageContext['t'], e: StoredEvent): string {
  if (e.type === 'login.second_factor_failed') {
    const outcome = (e.details as { outcome?: string } | null)?.outcome;
    if (outcome === 'replayed') return t('portal.activity.codeReused');
    if (outcome === 'expired') return t('portal.activity.codeExpired');
  }
  return t(OUTCOME_KEYS[e.type] ?? 'portal.activity.unknownReason');
}

/** "Password + SMS code" */
function methodOf(t: PageContext['t'], method: string | null | undefined): string {
  if (!method) return '—';
  return method
    .split('+')
    .map((m) => (METHOD_KEYS[m] ? t(METHOD_KEYS[m]) : m))
    .join(' + ');
}
