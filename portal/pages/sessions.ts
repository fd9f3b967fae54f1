/**
 * Devices and sessions: the browsers where the account is signed in (when, to which apps, from
 * which browser, system and address; this one marked), each of which can be signed out, or all
 * but this one at once; and the trusted devices that skip the second step, each of which can be
 * forgotten. A user only ever sees and ends their own: an id of another account's session or
 * device changes nothing and is answered as unknown.
 */
import { html } from '../../interactions/views/html.js';
import { readDeviceToken } from '../../interactions/device-cookie.js';
import type { AccountSession } from '../../src/oidc/account-sessions.js';
import type { TrustedDevice } from '../../src/domain/trusted-devices.js';
import { csrfField, type PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalRoutes } from '../routes.js';
import { appNames, deviceLabel, timeElement } from './describe.js';

const PAGE = '/account/sessions';
const DEVICE_WORDS = { both: 'portal.sessions.browserOn', unknown: 'portal.sessions.unknownBrowser' };

export function registerSessions(routes: PortalRoutes): void {
  routes.page(PAGE, async (p) => {
    const { t } = p.pc;
    const [sessions, devices, clients, thisDevice] = await Promise.all([
      p.deps.accountSessions.list(p.user.id),
      p.deps.services.credentials.devicesOf(p.user.id),
      p.deps.listClients(),
      p.deps.services.trustedDevices.find(p.user.id, readDeviceToken(p.ctx, p.user.id)),
    ]);
    const current = p.session.providerSessionUid;
    // This browser first, then the latest sign-in first.
    const ordered = [...sessions.filter((s) => s.uid === current), ...sessions.filter((s) => s.uid !== current)];
    const others = ordered.length - (ordered[0]?.uid === current ? 1 : 0);
    const nameOf = appNames(clients, t);
    return {
      html: portalPage(p, {
        title: t('portal.sessions.title'),
        section: 'sessions',
        body: html`<h1>${t('portal.sessions.title')}</h1>
<section class="card" aria-labelledby="sessions-h"><h2 id="sessions-h">${t('portal.sessions.signedIn')}</h2>
<p class="muted small">${t('portal.sessions.intro')}</p>
<ul class="plain">${ordered.map((s, i) => sessionItem(p, s, i, s.uid === current, nameOf))}</ul>
${others > 0
  ? html`<form method="post" action="${PAGE}/end-others">${csrfField(p)}<p class="small">${t('portal.sessions.endOthersHint')}</p><button type="submit" class="danger">${t('portal.sessions.endOthers')}</button></form>`
  : html`<p class="small">${t('portal.sessions.noOthers')}</p>`}
</section>
<section class="card" aria-labelledby="devices-h"><h2 id="devices-h">${t('portal.sessions.devices')}</h2>
<p class="muted small">${t('portal.sessions.devicesIntro')}</p>
${devices.length
  ? html`<ul class="plain">${devices.map((d, i) => deviceItem(p, d, i, d.id === thisDevice?.id))}</ul>`
  : html`<p>${t('portal.sessions.noDevices')}</p>`}
</section>`,
      }),
    };
  });

  routes.action(`${PAGE}/end`, async (p, form) => {
    const { t } = p.pc;
    const uid = form.session ?? '';
    if (uid && uid === p.session.providerSessionUid) return { redirect: PAGE, flash: { kind: 'error', text: t('portal.sessions.isCurrent') } };
    if (!(await p.deps.accountSessions.end(p.user.id, uid))) return { redirect: PAGE, flash: { kind: 'error', text: t('portal.sessions.unknown') } };
    await p.deps.services.events.record({ type: 'session.ended_by_user', userId: p.user.id, ...p.meta, details: { sessionUid: uid } });
    return { redirect: PAGE, flash: { kind: 'success', text: t('portal.sessions.ended') } };
  });

  routes.action(`${PAGE}/end-others`, async (p) => {
    const { t } = p.pc;
    const current = p.session.providerSessionUid;
    // Without a session of its own to keep the portal would sign itself out; it always has one.
    if (!current) return { redirect: PAGE, flash: { kind: 'error', text: t('portal.sessions.unknown') } };
    // This device keeps everything it signed in to, its apps' offline access included.
    const ended = await p.deps.accountSessions.endAll(p.user.id, { exceptSessionUid: current, keepOffline: true });
    await p.deps.services.events.record({ type: 'session.ended_by_user', userId: p.user.id, ...p.meta, details: { others: true, ...ended } });
    return { redirect: PAGE, flash: { kind: 'success', text: t('portal.sessions.endedOthers', { count: ended.sessions }) } };
  });

  routes.action(`${PAGE}/forget-device`, async (p, form) => {
    const { t } = p.pc;
    const revoked = await p.deps.services.credentials.revokeOwnDevice(p.user.id, form.device ?? '', p.meta);
    return revoked
      ? { redirect: PAGE, flash: { kind: 'success', text: t('portal.sessions.deviceForgotten') } }
      : { redirect: PAGE, flash: { kind: 'error', text: t('portal.sessions.unknownDevice') } };
  });
}

function sessionItem(p: PortalContext, s: AccountSession, i: number, isCurrent: boolean, nameOf: (id: string) => string | undefined) {
  const { t, locale } = p.pc;
  const id = `session-${i}`;
  const apps = [...new Set(s.clientIds.map((c) => nameOf(c) ?? c))];
  return html`<li><h3 id="${id}">${deviceLabel(t, DEVICE_WORDS, s.meta?.userAgent)}${isCurrent ? html` <span class="small">(${t('portal.sessions.thisDevice')})</span>` : ''}</h3>
<p class="small">${s.loginTs ? html`${t('portal.sessions.since')} ${timeElement(locale, new Date(s.loginTs * 1000))}` : ''}${s.meta?.ip ? html` · ${t('portal.sessions.from')} ${s.meta.ip}` : ''}</p>
<p class="small">${apps.length ? html`${t('portal.sessions.apps')} ${apps.join(', ')}` : t('portal.sessions.noApps')}</p>
<p class="small muted">${s.transient || !s.expiresAt ? t('portal.sessions.untilClosed') : html`${t('portal.sessions.until')} ${timeElement(locale, new Date(s.expiresAt * 1000))}`}</p>
${isCurrent
  ? ''
  : html`<form method="post" action="${PAGE}/end" class="inline">${csrfField(p)}<input type="hidden" name="session" value="${s.uid}"><button type="submit" class="secondary" aria-describedby="${id}">${t('portal.sessions.end')}</button></form>`}
</li>`;
}

function deviceItem(p: PortalContext, d: TrustedDevice, i: number, isThis: boolean) {
  const { t, locale } = p.pc;
  const id = `device-${i}`;
  return html`<li><h3 id="${id}">${deviceLabel(t, DEVICE_WORDS, d.userAgent)}${isThis ? html` <span class="small">(${t('portal.sessions.thisBrowser')})</span>` : ''}</h3>
<p class="small">${t('portal.sessions.trustedSince')} ${timeElement(locale, d.createdAt)}${d.ip ? html` · ${t('portal.sessions.from')} ${d.ip}` : ''}</p>
<p class="small muted">${d.lastUsedAt ? html`${t('portal.sessions.lastUsed')} ${timeElement(locale, d.lastUsedAt)} · ` : ''}${t('portal.sessions.trustedUntil')} ${timeElement(locale, d.expiresAt)}</p>
<form method="post" action="${PAGE}/forget-device" class="inline">${csrfField(p)}<input type="hidden" name="device" value="${d.id}"><button type="submit" class="secondary" aria-describedby="${id}">${t('portal.sessions.forget')}</button></form>
</li>`;
}
