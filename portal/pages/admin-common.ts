/**
 * What the pages of the tenant admin console share: the tenant acted in (from the path, one the
 * user administers), the acting admin as the domain service wants it, the console's frame (the
 * tenant's name, its tabs, a way to the other tenants) and the service's refusals in the user's
 * language. The service checks the admin's role again at every call: the checks here only pick
 * the page to show.
 */
import { html, Safe } from '../../interactions/views/html.js';
import { checkNewPassword } from '../../src/domain/passwords.js';
import { TenantAdminError, type TenantAdmin, type TenantAdminErrorCode } from '../../src/domain/tenant-administration.js';
import type { Membership } from '../../src/model/types.js';
import type { PortalContext } from '../context.js';
import { portalPage } from '../layout.js';
import type { PortalAnswer, PortalRoutes } from '../routes.js';
import { proofUrl, type ProofNeeded } from '../proof.js';

export const ADMIN = '/account/admin';

export type AdminTab = 'members' | 'policy' | 'events';

/** Select, number and text area fields and the console's own layout (the portal's style has none). */
const ADMIN_STYLE = `select,input[type=number],input[type=search],textarea{width:100%;max-width:24rem;padding:.6rem;font-size:1rem;border:1px solid #6b7785;border-radius:8px;background:#fff;color:#1c2430;font-family:inherit}
textarea{max-width:36rem;min-height:4.5rem}
fieldset{border:1px solid #d5dbe1;border-radius:8px;margin:1rem 0;padding:.5rem 1rem 1rem}legend{font-weight:600;padding:0 .3rem}
fieldset label{font-weight:400;display:flex;gap:.5rem;align-items:center;margin:.4rem 0}fieldset label input{width:auto;margin:0}
.hint{font-size:.9rem;color:#4a5563;margin:.2rem 0 0}
nav.tabs ul{list-style:none;padding:0;margin:0 0 1rem;display:flex;flex-wrap:wrap;gap:.5rem}
nav.tabs a{display:block;padding:.45rem .8rem;border-radius:8px;background:#e6ebf0;color:#1c2430;text-decoration:none}
nav.tabs a[aria-current=page]{background:#0b3d6e;color:#fff}
dl.facts{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.3rem 1rem;margin:0}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
@media (max-width:36rem){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}}
.badge{display:inline-block;font-size:.8rem;padding:.05rem .45rem;border-radius:999px;background:#e6ebf0;color:#1c2430;margin:0 .2rem .2rem 0}
.badge.warn{background:#fdecea;color:#8a1c14}`;

/** The tenants this user administers (their role read with the page; the service reads it again). */
export function administered(p: PortalContext): Membership[] {
  return p.memberships.filter((m) => m.role === 'admin');
}

export function tenantPath(tenantId: string, rest = ''): string {
  return `${ADMIN}/${encodeURIComponent(tenantId)}${rest}`;
}

export function memberPath(tenantId: string, memberId: string): string {
  return tenantPath(tenantId, `/members/${encodeURIComponent(memberId)}`);
}

/** The acting admin for the domain service: this user, in this tenant, from this request. */
export function actingAdmin(p: PortalContext, tenantId: string): TenantAdmin {
  return { userId: p.user.id, tenantId, ip: p.meta.ip, userAgent: p.meta.userAgent, clientId: p.meta.clientId };
}

/** The tenant of the path when this user administers it; undefined otherwise (the page answers 403). */
export function tenantOf(p: PortalContext): Membership | undefined {
  const id = (p.ctx.params as Record<string, string | undefined>).tenant;
  return administered(p).find((m) => m.tenantId === id);
}

/** A refusal of the service in the user's language (`conflict` depends on what was tried). */
export function errorText(p: PortalContext, err: TenantAdminError, conflictKey = 'portal.admin.error.conflict'): string {
  const { t } = p.pc;
  const keys: Record<TenantAdminErrorCode, string> = {
    forbidden: 'portal.admin.error.forbidden',
    not_found: 'portal.admin.error.notFound',
    shared_account: 'portal.admin.error.shared',
    invalid: 'portal.admin.error.invalid',
    conflict: conflictKey,
  };
  // The service's detail is in English: shown after the sentence in the user's language only where it says which field.
  return t(keys[err.code], { detail: err.message });
}

/** Why a new initial password is refused, in the user's language (the service refuses the same). */
export function passwordProblem(p: PortalContext, password: string, minLength: number, identifiers: (string | null | undefined)[]): string | undefined {
  const problem = checkNewPassword(password, identifiers, minLength);
  return problem ? p.pc.t(`portal.admin.password.${problem}`, { min: Math.max(minLength, 12) }) : undefined;
}

/** A page answering a refusal: 403 for someone who administers no such tenant, 404 for a member of another. */
export function refusalPage(p: PortalContext, err: TenantAdminError | 'forbidden'): PortalAnswer {
  const { t } = p.pc;
  const code = err === 'forbidden' ? 'forbidden' : err.code;
  const status = code === 'forbidden' ? 403 : code === 'not_found' ? 404 : 400;
  const text = err === 'forbidden' ? t('portal.admin.error.forbidden') : errorText(p, err);
  return {
    status,
    html: portalPage(p, {
      title: t('portal.admin.title'),
      section: 'admin',
      head: styleTag(p),
      body: html`<h1>${t(status === 404 ? 'portal.admin.notFoundTitle' : 'portal.admin.refusedTitle')}</h1><div role="alert"><p>${text}</p></div>
<p><a href="${administered(p).length ? ADMIN : '/account'}">${t(administered(p).length ? 'portal.admin.backToConsole' : 'portal.admin.backToAccount')}</a></p>`,
    }),
  };
}

/**
 * Runs a page's work, turning the service's refusals into their pages (an id of another tenant's
 * member is "not found", as if it did not exist); anything else is a real failure.
 */
export async function orRefusal(p: PortalContext, work: () => Promise<PortalAnswer>): Promise<PortalAnswer> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TenantAdminError) return refusalPage(p, err);
    throw err;
  }
}

/** Runs an action, answering a refusal with a flash on `back` (the form's page). */
export async function orFlash(p: PortalContext, back: string, work: () => Promise<PortalAnswer>, conflictKey?: string): Promise<PortalAnswer> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TenantAdminError) {
      // A member that is not (or no longer) in the tenant has no page to go back to.
      const to = err.code === 'not_found' || err.code === 'forbidden' ? ADMIN : back;
      return { redirect: to, flash: { kind: 'error', text: errorText(p, err, conflictKey) } };
    }
    throw err;
  }
}

/** What a member action says: its success (and where to go then), or a refusal in the user's language. */
export type MemberOutcome = string | { redirect: string; text: string } | { error: string };

/**
 * A change to one member, `/account/admin/:tenant/members/:member/<name>`: the proof every console
 * change needs, the service's refusals as a flash (`conflictKey` names a conflict's message), and
 * the outcome said on the member's page.
 */
export function memberAction(
  routes: PortalRoutes,
  name: string,
  run: (p: PortalContext, tenantId: string, memberId: string, form: Record<string, string>) => Promise<MemberOutcome>,
  conflictKey?: string,
): void {
  routes.action(
    `/account/admin/:tenant/members/:member/${name}`,
    async (p, form) => {
      const tenant = tenantOf(p);
      if (!tenant) return refusalPage(p, 'forbidden');
      const memberId = String((p.ctx.params as Record<string, string>).member);
      const back = memberPath(tenant.tenantId, memberId);
      return orFlash(
        p,
        back,
        async () => {
          const done = await run(p, tenant.tenantId, memberId, form);
          if (typeof done === 'string') return { redirect: back, flash: { kind: 'success', text: done } };
          if ('error' in done) return { redirect: back, flash: { kind: 'error', text: done.error } };
          return { redirect: done.redirect, flash: { kind: 'success', text: done.text } };
        },
        conflictKey,
      );
    },
    { recent: 'second-factor' },
  );
}

function styleTag(p: PortalContext): Safe {
  return html`<style nonce="${p.pc.nonce}">${new Safe(ADMIN_STYLE)}</style>`;
}

/** The card shown instead of the forms until the admin proved it again. */
export function reauthCard(p: PortalContext, returnTo: string, needed: Exclude<ProofNeeded, undefined> = 'recent'): Safe {
  const { t } = p.pc;
  return html`<section class="card" aria-labelledby="reauth-h"><h2 id="reauth-h">${t('portal.admin.reauthTitle')}</h2>
<p>${t(needed === 'recent' ? 'portal.reauth.needed' : 'portal.admin.reauthSecondFactor')}</p><a class="button" href="${proofUrl(p, returnTo, needed)}">${t('portal.reauth.button')}</a></section>`;
}

/** The console's frame: the tenant, its tabs, the way to the other tenants this user administers. */
export function adminPage(p: PortalContext, tenant: Membership, tab: AdminTab, options: { title: string; body: Safe }): PortalAnswer {
  const { t } = p.pc;
  const tabs: { id: AdminTab; path: string }[] = [
    { id: 'members', path: tenantPath(tenant.tenantId, '/members') },
    { id: 'policy', path: tenantPath(tenant.tenantId, '/policy') },
    { id: 'events', path: tenantPath(tenant.tenantId, '/events') },
  ];
  const others = administered(p).length > 1 ? html` · <a href="${ADMIN}">${t('portal.admin.otherTenants')}</a>` : '';
  return {
    html: portalPage(p, {
      title: `${options.title} · ${tenant.tenantName}`,
      section: 'admin',
      head: styleTag(p),
      body: html`<p class="small muted">${t('portal.admin.title')} · <strong>${tenant.tenantName}</strong>${others}</p>
<nav class="tabs" aria-label="${t('portal.admin.tabs')}"><ul>${tabs.map((x) => html`<li><a href="${x.path}"${x.id === tab ? new Safe(' aria-current="page"') : ''}>${t(`portal.admin.tab.${x.id}`)}</a></li>`)}</ul></nav>
${options.body}`,
    }),
  };
}

/** The console's landing page: the tenant picker. */
export function pickerPage(p: PortalContext): PortalAnswer {
  const { t } = p.pc;
  return {
    html: portalPage(p, {
      title: t('portal.admin.title'),
      section: 'admin',
      head: styleTag(p),
      body: html`<h1>${t('portal.admin.title')}</h1>
<section class="card" aria-labelledby="pick-h"><h2 id="pick-h">${t('portal.admin.pick')}</h2>
<ul class="plain">${administered(p).map((m) => html`<li><a href="${tenantPath(m.tenantId, '/members')}">${m.tenantName}</a></li>`)}</ul></section>`,
    }),
  };
}
