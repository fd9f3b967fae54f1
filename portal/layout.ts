/**
 * The portal's frame: a skip link, the sections as a navigation bar that wraps on a phone, the
 * one-time message of the last action (a status, or an alert when it failed), the page, the
 * language switcher and sign-out. No script unless a page brings its own (nonce'd for the CSP).
 */
import { htmlDocument, languageSwitcher } from '../interactions/views/layout.js';
import { html, Safe } from '../interactions/views/html.js';
import type { PortalContext } from './context.js';
import { csrfField } from './context.js';

export type Section = 'overview' | 'security' | 'sessions' | 'apps' | 'activity' | 'admin';

const SECTIONS: { id: Section; path: string }[] = [
  { id: 'overview', path: '/account' },
  { id: 'security', path: '/account/security' },
  { id: 'sessions', path: '/account/sessions' },
  { id: 'apps', path: '/account/apps' },
  { id: 'activity', path: '/account/activity' },
];

export const PORTAL_STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f6f8;color:#1c2430}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
header{background:#0b3d6e;color:#fff}header .bar{max-width:56rem;margin:0 auto;padding:.75rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
header .brand{font-weight:700;font-size:1.1rem;color:#fff;text-decoration:none}
header form{margin:0}header button{background:none;border:1px solid #fff;color:#fff;border-radius:6px;padding:.35rem .8rem;font-size:.95rem;cursor:pointer;width:auto;margin:0}
nav.sections{background:#fff;border-bottom:1px solid #d5dbe1}nav.sections ul{max-width:56rem;margin:0 auto;padding:0 .5rem;list-style:none;display:flex;flex-wrap:wrap}
nav.sections a{display:block;padding:.75rem .6rem;color:#1c2430;text-decoration:none;border-bottom:3px solid transparent}
nav.sections a[aria-current=page]{border-bottom-color:#0b5cad;font-weight:600;color:#0b3d6e}
main{max-width:56rem;margin:0 auto;padding:1.25rem 1rem 2rem}
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.15rem;margin:0 0 .75rem}h3{font-size:1rem;margin:1rem 0 .5rem}
.card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.12);margin-bottom:1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password],input[type=email],input[type=tel]{width:100%;max-width:24rem;padding:.65rem;font-size:1rem;border:1px solid #6b7785;border-radius:8px}
button,.button{display:inline-block;margin-top:.75rem;padding:.6rem 1.1rem;font-size:1rem;font-weight:600;border:0;border-radius:8px;background:#0b5cad;color:#fff;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:#e6ebf0;color:#1c2430}button.danger{background:#b3261e}
form.inline{display:inline;margin:0}
[role=alert]{background:#fdecea;border-left:4px solid #c62828;padding:.75rem;margin:0 0 1rem;border-radius:4px}
.status{background:#e7f4ea;border-left:4px solid #2e7d32;padding:.75rem;margin:0 0 1rem;border-radius:4px}
.muted{color:#4a5563}.small{font-size:.9rem}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.5rem .4rem;border-bottom:1px solid #e1e5ea;vertical-align:top}
th{font-size:.9rem;color:#3b4754}
ul.plain{list-style:none;padding:0;margin:0}ul.plain li{padding:.5rem 0;border-bottom:1px solid #e1e5ea}
.codes{font-family:ui-monospace,Menlo,Consolas,monospace;columns:2;list-style:none;padding:0}
footer{max-width:56rem;margin:0 auto;padding:0 1rem 2rem;text-align:center;font-size:.9rem}footer a{margin:0 .4rem}
a{color:#0b5cad}
@media (max-width:36rem){th.wide,td.wide{display:none}table,tbody,tr{display:block}tr{border-bottom:1px solid #e1e5ea;padding:.4rem 0}td,th{display:block;border:0;padding:.15rem 0}thead{display:none}}
`;

export interface PortalPageOptions {
  title: string;
  section?: Section;
  body: Safe;
  /** Extra markup for the head (a page's own script, nonce'd). */
  head?: Safe;
}

/** A portal page for a signed-in user. */
export function portalPage(p: PortalContext, options: PortalPageOptions): string {
  const { t } = p.pc;
  const flash = p.session.flash;
  const message = flash ? (flash.kind === 'error' ? html`<div role="alert">${flash.text}</div>` : html`<div class="status" role="status">${flash.text}</div>`) : '';
  // The console's link only for an admin of at least one tenant (the pages refuse anyone else anyway).
  const sections = p.memberships.some((m) => m.role === 'admin') ? [...SECTIONS, { id: 'admin' as const, path: '/account/admin' }] : SECTIONS;
  const nav = sections.map(
    (s) => html`<li><a href="${s.path}"${s.id === options.section ? new Safe(' aria-current="page"') : ''}>${t(`portal.nav.${s.id}`)}</a></li>`,
  );
  return frame(p.pc, options.title, html`<header><div class="bar"><a class="brand" href="/account">${t('portal.brand')}</a>
<span>${p.user.name ?? p.user.login}</span>
<form method="post" action="/account/logout">${csrfField(p)}<button type="submit">${t('portal.signOut')}</button></form></div></header>
<nav class="sections" aria-label="${t('portal.nav.label')}"><ul>${nav}</ul></nav>
<main id="main">${message}${options.body}</main>`, options.head);
}

/** A page without the account's navigation (signed out, errors before a sign-in). */
export function barePortalPage(pc: PortalContext['pc'], title: string, body: Safe): string {
  return frame(pc, title, html`<header><div class="bar"><a class="brand" href="/account">${pc.t('portal.brand')}</a></div></header><main id="main">${body}</main>`);
}

function frame(pc: PortalContext['pc'], title: string, content: Safe, head: Safe | string = ''): string {
  return htmlDocument(pc, {
    title: `${title} · ${pc.t('portal.brand')}`,
    style: PORTAL_STYLE,
    head,
    body: html`<a class="skip" href="#main">${pc.t('portal.skip')}</a>
${content}
<footer><nav aria-label="${pc.t('lang.switch')}">${languageSwitcher(pc)}</nav></footer>`,
  });
}
