/**
 * The console's members (seed 000: the employer unlocks the account, resets the password; seed
 * 003: the office manages who may use the app): the list with a search, a form to create a user
 * with an initial password (to change at the first sign-in; an existing login only gains the
 * membership, and the admin is told so), and a member's page with what the admin may do to them
 * (the phone number's forms and actions are in admin-phone.ts).
 * Each change is an action of a recent sign-in, made and recorded by TenantAdministration.
 */
import { html, type Safe } from '../../interactions/views/html.js';
import type { MemberView } from '../../src/domain/tenant-administration.js';
import type { SecondFactorStatus } from '../../src/domain/credentials.js';
import type { Membership } from '../../src/model/types.js';
import { csrfField, type PortalContext } from '../context.js';
import type { PortalRoutes } from '../routes.js';
import { timeElement } from './describe.js';
import { actingAdmin, adminPage, memberAction, memberPath, orFlash, orRefusal, passwordProblem, reauthCard, refusalPage, tenantOf, tenantPath } from './admin-common.js';
import { proofNeeded } from '../proof.js';
import { phoneForms } from './admin-phone.js';
import { readablePhone } from './security-common.js';

const PAGE_SIZE = 25;

export function registerAdminMembers(routes: PortalRoutes): void {
  routes.page('/account/admin/:tenant/members', async (p) => {
    const tenant = tenantOf(p);
    if (!tenant) return refusalPage(p, 'forbidden');
    return orRefusal(p, async () => {
      const { t } = p.pc;
      const search = typeof p.ctx.query.q === 'string' ? p.ctx.query.q.slice(0, 200) : '';
      const offset = Math.max(0, Number.parseInt(String(p.ctx.query.offset ?? '0'), 10) || 0);
      const { members, nextOffset } = await p.deps.tenantAdmin.members(actingAdmin(p, tenant.tenantId), { search, limit: PAGE_SIZE, offset });
      const here = tenantPath(tenant.tenantId, '/members');
      const pageUrl = (o: number) => `${here}?${new URLSearchParams({ ...(search ? { q: search } : {}), offset: String(o) })}`;
      const pager = offset > 0 || nextOffset !== undefined
        ? html`<nav aria-label="${t('portal.admin.members.pages')}"><p>${offset > 0 ? html`<a href="${pageUrl(Math.max(0, offset - PAGE_SIZE))}" rel="prev">${t('portal.admin.previous')}</a>` : ''}${offset > 0 && nextOffset !== undefined ? ' · ' : ''}${nextOffset !== undefined ? html`<a href="${pageUrl(nextOffset)}" rel="next">${t('portal.admin.next')}</a>` : ''}</p></nav>`
        : '';
      const rows = members.map(
        (m) => html`<tr><td><a href="${memberPath(tenant.tenantId, m.id)}">${m.login}</a></td><td>${m.name ?? ''}</td><td class="wide">${m.email ?? ''}</td><td>${badges(p, m)}</td></tr>`,
      );
      const needed = await proofNeeded(p);
      return adminPage(p, tenant, 'members', {
        title: t('portal.admin.members.title'),
        body: html`<h1>${t('portal.admin.members.title')}</h1>
<section class="card" aria-labelledby="list-h"><h2 id="list-h">${t('portal.admin.members.list')}</h2>
<form method="get" action="${here}" role="search"><label for="q">${t('portal.admin.members.search')}</label>
<input type="search" id="q" name="q" value="${search}" autocomplete="off"> <button type="submit" class="secondary">${t('portal.admin.members.searchButton')}</button></form>
${members.length
  ? html`<table><thead><tr><th scope="col">${t('portal.admin.member.login')}</th><th scope="col">${t('portal.admin.member.name')}</th><th scope="col" class="wide">${t('portal.admin.member.email')}</th><th scope="col">${t('portal.admin.member.state')}</th></tr></thead><tbody>${rows}</tbody></table>`
  : html`<p>${search ? t('portal.admin.members.noMatch') : t('portal.admin.members.none')}</p>`}
${pager}</section>
${needed ? reauthCard(p, here, needed) : createCard(p, tenant)}`,
      });
    });
  });

  routes.action(
    '/account/admin/:tenant/members/create',
    async (p, form) => {
      const tenant = tenantOf(p);
      const back = tenantPath(String((p.ctx.params as Record<string, string>).tenant), '/members');
      if (!tenant) return refusalPage(p, 'forbidden');
      const { t } = p.pc;
      const login = (form.login ?? '').trim();
      const input = { login, email: (form.email ?? '').trim() || undefined, name: (form.name ?? '').trim() || undefined, password: form.password ?? '', role: form.role === 'admin' ? ('admin' as const) : ('member' as const) };
      if (!login) return { redirect: back, flash: { kind: 'error', text: t('portal.admin.create.loginMissing') } };
      return orFlash(
        p,
        back,
        async () => {
          const result = await p.deps.tenantAdmin.createMember(actingAdmin(p, tenant.tenantId), input).catch(async (err: unknown) => {
            // A new account's password is checked here first, to say what is wrong with it in the user's language.
            const problem = passwordProblem(p, input.password, tenant.policy.minPasswordLength, [input.login, input.email]);
            if (problem && (err as { code?: string }).code === 'invalid' && String((err as Error).message).startsWith('password')) return problem;
            throw err;
          });
          if (typeof result === 'string') return { redirect: back, flash: { kind: 'error', text: result } };
          const text = result.created ? t('portal.admin.create.created', { login: result.member.login }) : t('portal.admin.create.existing', { login: result.member.login });
          return { redirect: memberPath(tenant.tenantId, result.member.id), flash: { kind: 'success', text } };
        },
        'portal.admin.error.alreadyMember',
      );
    },
  );

  routes.page('/account/admin/:tenant/members/:member', async (p) => {
    const tenant = tenantOf(p);
    if (!tenant) return refusalPage(p, 'forbidden');
    return orRefusal(p, async () => {
      const { t, locale } = p.pc;
      const m = await p.deps.tenantAdmin.member(actingAdmin(p, tenant.tenantId), String((p.ctx.params as Record<string, string>).member));
      const here = memberPath(tenant.tenantId, m.id);
      const none = t('portal.admin.member.none');
      const needed = await proofNeeded(p);
      return adminPage(p, tenant, 'members', {
        title: m.login,
        body: html`<p><a href="${tenantPath(tenant.tenantId, '/members')}">${t('portal.admin.members.back')}</a></p>
<h1>${m.name ? `${m.name} (${m.login})` : m.login}</h1>
<section class="card" aria-labelledby="facts-h"><h2 id="facts-h">${t('portal.admin.member.facts')}</h2>
<dl class="facts"><dt>${t('portal.admin.member.login')}</dt><dd>${m.login}</dd>
<dt>${t('portal.admin.member.name')}</dt><dd>${m.name ?? none}</dd>
<dt>${t('portal.admin.member.email')}</dt><dd>${m.email ?? none}</dd>
<dt>${t('portal.admin.member.phone')}</dt><dd>${m.phone ? html`${readablePhone(m.phone)}${m.phoneVerified ? '' : html` <span class="badge">${t('portal.admin.member.phoneUnproven')}</span>`}` : none}</dd>
<dt>${t('portal.admin.member.role')}</dt><dd>${t(`portal.admin.role.${m.role}`)}</dd>
<dt>${t('portal.admin.member.state')}</dt><dd>${badges(p, m)}</dd>
<dt>${t('portal.admin.member.secondFactors')}</dt><dd>${factors(p, m.secondFactors)}</dd>
<dt>${t('portal.admin.member.created')}</dt><dd>${timeElement(locale, m.createdAt)}</dd>
<dt>${t('portal.admin.member.firstLogin')}</dt><dd>${m.firstLoginAt ? timeElement(locale, m.firstLoginAt) : t('portal.admin.member.never')}</dd></dl>
${m.shared ? html`<p class="small muted">${t('portal.admin.member.sharedNote')}</p>` : ''}</section>
${needed ? reauthCard(p, here, needed) : memberForms(p, tenant, m, here)}`,
      });
    });
  });

  memberAction(routes, 'unlock', async (p, tenantId, id) => {
    const m = await p.deps.tenantAdmin.unlock(actingAdmin(p, tenantId), id);
    return p.pc.t('portal.admin.done.unlocked', { login: m.login });
  });
  memberAction(routes, 'reset-password', async (p, tenantId, id, form) => {
    const member = await p.deps.tenantAdmin.member(actingAdmin(p, tenantId), id);
    const tenant = tenantOf(p)!;
    const problem = passwordProblem(p, form.password ?? '', tenant.policy.minPasswordLength, [member.login, member.email]);
    // A shared account is refused by the service whatever the password; else say what is wrong with it here.
    if (problem && !member.shared) return { error: problem };
    const m = await p.deps.tenantAdmin.resetPassword(actingAdmin(p, tenantId), id, form.password ?? '');
    return p.pc.t('portal.admin.done.passwordReset', { login: m.login });
  });
  memberAction(routes, 'reset-factors', async (p, tenantId, id) => {
    const m = await p.deps.tenantAdmin.resetSecondFactors(actingAdmin(p, tenantId), id);
    return p.pc.t('portal.admin.done.factorsReset', { login: m.login });
  });
  memberAction(routes, 'disable', async (p, tenantId, id) => {
    const m = await p.deps.tenantAdmin.setDisabled(actingAdmin(p, tenantId), id, true);
    return p.pc.t('portal.admin.done.disabled', { login: m.login });
  });
  memberAction(routes, 'enable', async (p, tenantId, id) => {
    const m = await p.deps.tenantAdmin.setDisabled(actingAdmin(p, tenantId), id, false);
    return p.pc.t('portal.admin.done.enabled', { login: m.login });
  });
  memberAction(
    routes,
    'role',
    async (p, tenantId, id, form) => {
      const role = form.role === 'admin' ? 'admin' : 'member';
      const m = await p.deps.tenantAdmin.setRole(actingAdmin(p, tenantId), id, role);
      return p.pc.t('portal.admin.done.role', { login: m.login, role: p.pc.t(`portal.admin.role.${role}`) });
    },
    'portal.admin.error.lastAdmin',
  );
  memberAction(
    routes,
    'remove',
    async (p, tenantId, id) => {
      const m = await p.deps.tenantAdmin.member(actingAdmin(p, tenantId), id);
      await p.deps.tenantAdmin.removeMember(actingAdmin(p, tenantId), id);
      return { redirect: tenantPath(tenantId, '/members'), text: p.pc.t('portal.admin.done.removed', { login: m.login }) };
    },
    'portal.admin.error.lastAdmin',
  );
}

function badges(p: PortalContext, m: MemberView): Safe {
  const { t } = p.pc;
  const list: Safe[] = [];
  if (m.role === 'admin') list.push(html`<span class="badge">${t('portal.admin.role.admin')}</span>`);
  if (m.disabled) list.push(html`<span class="badge warn">${t('portal.admin.state.disabled')}</span>`);
  if (m.locked) list.push(html`<span class="badge warn">${t('portal.admin.state.locked')}</span>`);
  if (m.mustChangePassword) list.push(html`<span class="badge">${t('portal.admin.state.mustChange')}</span>`);
  if (m.shared) list.push(html`<span class="badge">${t('portal.admin.state.shared')}</span>`);
  if (!list.length) list.push(html`<span class="badge">${t('portal.admin.state.active')}</span>`);
  return html`${list}`;
}

function factors(p: PortalContext, s: SecondFactorStatus): string {
  const { t } = p.pc;
  const on = [s.sms ? t('portal.admin.factor.sms') : '', s.totp ? t('portal.admin.factor.totp') : '', s.passkeys ? t('portal.admin.factor.passkeys', { count: s.passkeys }) : ''].filter(Boolean);
  return on.length ? on.join(', ') : t('portal.admin.factor.none');
}

function createCard(p: PortalContext, tenant: Membership): Safe {
  const { t } = p.pc;
  return html`<section class="card" aria-labelledby="create-h"><h2 id="create-h">${t('portal.admin.create.title')}</h2>
<p class="muted small">${t('portal.admin.create.intro')}</p>
<form method="post" action="${tenantPath(tenant.tenantId, '/members/create')}">${csrfField(p)}
<label for="new-login">${t('portal.admin.member.login')}</label><input type="text" id="new-login" name="login" required autocomplete="off" autocapitalize="none" spellcheck="false">
<label for="new-email">${t('portal.admin.member.email')}</label><input type="email" id="new-email" name="email" autocomplete="off">
<label for="new-name">${t('portal.admin.member.name')}</label><input type="text" id="new-name" name="name" autocomplete="off">
<label for="new-password">${t('portal.admin.create.password')}</label><input type="password" id="new-password" name="password" required autocomplete="new-password" aria-describedby="new-password-hint">
<p class="hint" id="new-password-hint">${t('portal.admin.create.passwordHint', { min: Math.max(tenant.policy.minPasswordLength, 12) })}</p>
<label for="new-role">${t('portal.admin.member.role')}</label><select id="new-role" name="role"><option value="member">${t('portal.admin.role.member')}</option><option value="admin">${t('portal.admin.role.admin')}</option></select>
<div><button type="submit">${t('portal.admin.create.button')}</button></div></form></section>`;
}

function memberForms(p: PortalContext, tenant: Membership, m: MemberView, here: string): Safe {
  const { t } = p.pc;
  const form = (action: string, inner: Safe | string, button: string, danger = false) =>
    html`<form method="post" action="${here}/${action}">${csrfField(p)}${inner}<button type="submit"${danger ? html` class="danger"` : ''}>${button}</button></form>`;
  const sharedHint = m.shared ? html`<p class="small muted">${t('portal.admin.member.sharedRefused')}</p>` : '';
  return html`<section class="card" aria-labelledby="access-h"><h2 id="access-h">${t('portal.admin.member.access')}</h2>
${m.locked ? html`<h3>${t('portal.admin.unlock.title')}</h3><p class="small">${t('portal.admin.unlock.text')}</p>${form('unlock', '', t('portal.admin.unlock.button'))}` : html`<p class="small">${t('portal.admin.unlock.notLocked')}</p>`}
<h3>${m.disabled ? t('portal.admin.enable.title') : t('portal.admin.disable.title')}</h3>
<p class="small">${m.disabled ? t('portal.admin.enable.text') : t('portal.admin.disable.text')}</p>
${m.disabled ? form('enable', '', t('portal.admin.enable.button')) : form('disable', '', t('portal.admin.disable.button'), true)}
</section>
<section class="card" aria-labelledby="creds-h"><h2 id="creds-h">${t('portal.admin.member.credentials')}</h2>${sharedHint}
<h3>${t('portal.admin.resetPassword.title')}</h3><p class="small">${t('portal.admin.resetPassword.text')}</p>
${form('reset-password', html`<label for="reset-password">${t('portal.admin.create.password')}</label><input type="password" id="reset-password" name="password" required autocomplete="new-password" aria-describedby="reset-password-hint"><p class="hint" id="reset-password-hint">${t('portal.admin.create.passwordHint', { min: Math.max(tenant.policy.minPasswordLength, 12) })}</p>`, t('portal.admin.resetPassword.button'))}
${phoneForms(p, m, here)}
<h3>${t('portal.admin.resetFactors.title')}</h3><p class="small">${t('portal.admin.resetFactors.text')}</p>
${form('reset-factors', '', t('portal.admin.resetFactors.button'), true)}
</section>
<section class="card" aria-labelledby="membership-h"><h2 id="membership-h">${t('portal.admin.member.membership')}</h2>
${form('role', html`<label for="role">${t('portal.admin.member.role')}</label><select id="role" name="role"><option value="member"${m.role === 'member' ? html` selected` : ''}>${t('portal.admin.role.member')}</option><option value="admin"${m.role === 'admin' ? html` selected` : ''}>${t('portal.admin.role.admin')}</option></select><div></div>`, t('portal.admin.role.button'))}
<h3>${t('portal.admin.remove.title')}</h3><p class="small">${t('portal.admin.remove.text')}</p>
${form('remove', '', t('portal.admin.remove.button'), true)}
</section>`;
}
