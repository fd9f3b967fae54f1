/**
 * The console's phone change (seed 000: the employer gives the number of a worker who lost their
 * phone): a new Belgian mobile, or none. The number is not proven by the admin typing it: SMS is
 * no second factor until the member proves it with a code (TenantAdministration.changePhone, which
 * also forgets the trusted devices and ends the sessions when the old number was a proven factor,
 * and refuses a shared account). A malformed number is said here in the user's language.
 */
import { html, type Safe } from '../../interactions/views/html.js';
import { normalizeBelgianMobile } from '../../src/domain/phone.js';
import type { MemberView } from '../../src/domain/tenant-administration.js';
import { csrfField, type PortalContext } from '../context.js';
import type { PortalRoutes } from '../routes.js';
import { actingAdmin, memberAction, type MemberOutcome } from './admin-common.js';
import { readablePhone } from './security-common.js';

/** Longer than any way of writing a Belgian mobile; the rest is not read. */
const MAX_TYPED = 40;

export function registerAdminPhone(routes: PortalRoutes): void {
  memberAction(routes, 'phone', (p, tenantId, memberId, form) => change(p, tenantId, memberId, (form.phone ?? '').slice(0, MAX_TYPED)));
  memberAction(routes, 'remove-phone', (p, tenantId, memberId) => change(p, tenantId, memberId, null));
}

/** Changes the number (`null`: removes it) and says what happened, or what is wrong, in the user's language. */
async function change(p: PortalContext, tenantId: string, memberId: string, typed: string | null): Promise<MemberOutcome> {
  const { t } = p.pc;
  const admin = actingAdmin(p, tenantId);
  const before = await p.deps.tenantAdmin.member(admin, memberId);
  const login = before.login;
  // A shared account is refused by the service whatever was typed; else say what is wrong with it here.
  if (typed !== null && !before.shared) {
    if (typed.trim() === '') return { error: t('portal.admin.phone.missing') };
    const e164 = normalizeBelgianMobile(typed);
    if (!e164) return { error: t('portal.admin.phone.invalid') };
    if (e164 === before.phone) return { error: t('portal.admin.phone.same', { login, phone: readablePhone(e164) }) };
  }
  if (typed === null && !before.phone && !before.shared) return { error: t('portal.admin.phone.noneToRemove', { login }) };
  const after = await p.deps.tenantAdmin.changePhone(admin, memberId, typed);
  const wasFactor = before.phoneVerified;
  if (!after.phone) return t(wasFactor ? 'portal.admin.done.phoneRemovedFactor' : 'portal.admin.done.phoneRemoved', { login });
  return t(wasFactor ? 'portal.admin.done.phoneChangedFactor' : 'portal.admin.done.phoneChanged', { login, phone: readablePhone(after.phone) });
}

/** The number's part of the member's credentials card: a new number, and removing the current one. */
export function phoneForms(p: PortalContext, m: MemberView, here: string): Safe {
  const { t } = p.pc;
  // autocomplete="off": the browser would offer the admin's own number, the one number that is surely wrong here.
  return html`<h3>${t('portal.admin.phone.title')}</h3><p class="small">${t('portal.admin.phone.text')}</p>
<form method="post" action="${here}/phone">${csrfField(p)}<label for="member-phone">${t('portal.admin.phone.label')}</label>
<input type="tel" id="member-phone" name="phone" required maxlength="${MAX_TYPED}" autocomplete="off" inputmode="tel" spellcheck="false" aria-describedby="member-phone-hint">
<p class="hint" id="member-phone-hint">${t('portal.admin.phone.hint')}</p><button type="submit">${t('portal.admin.phone.button')}</button></form>
${m.phone ? html`<form method="post" action="${here}/remove-phone">${csrfField(p)}<button type="submit" class="danger">${t('portal.admin.phone.remove')}</button></form>` : ''}`;
}
