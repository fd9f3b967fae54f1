/**
 * The portal's first page (seed 003, "My portal"): who you are, the organisations you belong to
 * and your role there, how your account is protected, where you are signed in, which apps have
 * access, and your last sign-in — with a warning when someone failed to sign in since.
 */
import { html } from '../../interactions/views/html.js';
import { portalPage } from '../layout.js';
import type { PortalRoutes } from '../routes.js';
import { SIGN_IN_EVENTS } from './activity.js';
import { appNames, deviceLabel, timeElement } from './describe.js';
import { PORTAL_CLIENT_ID } from '../oidc-client.js';

export function registerOverview(routes: PortalRoutes): void {
  routes.page('/account', async (p) => {
    const { t, locale } = p.pc;
    const { user, memberships, deps } = p;
    const [status, sessions, grants, recent, clients] = await Promise.all([
      deps.services.credentials.status(user.id),
      deps.accountSessions.list(user.id),
      deps.accountSessions.grants(user.id),
      deps.eventsRepo.page({ userId: user.id, types: SIGN_IN_EVENTS, limit: 20 }),
      deps.listClients(),
    ]);
    const secondFactor = status.sms || status.totp || status.passkeys > 0;
    const appName = appNames(clients, t);
    const apps = new Set(grants.map((g) => g.clientId).filter((id) => id !== PORTAL_CLIENT_ID));
    // The sign-in before this one, and the failures since it.
    const successes = recent.events.filter((e) => e.type === 'login.success');
    const failuresSince = recent.events.filter((e) => e.type !== 'login.success' && (!successes[1] || e.at > successes[1].at));
    const last = successes[1] ?? successes[0];

    const tenants = memberships.length
      ? html`<ul class="plain">${memberships.map((m) => html`<li>${m.tenantName}${m.role === 'admin' ? html` <span class="muted small">(${t('portal.overview.roleAdmin')})</span>` : ''}</li>`)}</ul>`
      : html`<p class="muted">${t('portal.overview.noTenant')}</p>`;
    const row = (label: string, value: string | null) => html`<tr><th scope="row">${label}</th><td>${value ?? html`<span class="muted">${t('portal.overview.none')}</span>`}</td></tr>`;
    return {
      html: portalPage(p, {
        title: t('portal.overview.title'),
        section: 'overview',
        body: html`<h1>${t('portal.overview.title')}</h1>
${failuresSince.length > 0 ? html`<div role="alert">${t('portal.overview.failures', { count: failuresSince.length })} <a href="/account/activity">${t('portal.overview.seeActivity')}</a></div>` : ''}
<section class="card" aria-labelledby="who"><h2 id="who">${t('portal.overview.who')}</h2>
<table><tbody>${row(t('portal.overview.name'), user.name)}${row(t('portal.overview.login'), user.login)}${row(t('portal.overview.email'), user.email)}${row(t('portal.overview.phone'), user.phone)}</tbody></table></section>
<section class="card" aria-labelledby="orgs"><h2 id="orgs">${t('portal.overview.tenants')}</h2>${tenants}</section>
<section class="card" aria-labelledby="prot"><h2 id="prot">${t('portal.overview.protection')}</h2>
<p>${secondFactor ? t('portal.overview.mfaOn') : t('portal.overview.mfaOff')}</p>
<a class="button secondary" href="/account/security">${t('portal.overview.manageSecurity')}</a></section>
<section class="card" aria-labelledby="use"><h2 id="use">${t('portal.overview.whereUsed')}</h2>
<ul class="plain">
<li><a href="/account/sessions">${t('portal.overview.sessions', { count: sessions.length })}</a></li>
<li><a href="/account/apps">${t('portal.overview.apps', { count: apps.size })}</a></li>
${last ? html`<li>${t('portal.overview.lastSignIn')} ${timeElement(locale, last.at)} · ${appName(last.clientId) ?? ''} · ${deviceLabel(t, { both: 'portal.activity.browserOn', unknown: 'portal.activity.unknownBrowser' }, last.userAgent)} · <a href="/account/activity">${t('portal.overview.seeActivity')}</a></li>` : ''}
</ul></section>`,
      }),
    };
  });
}
