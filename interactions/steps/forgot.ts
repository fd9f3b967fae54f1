/**
 * "Forgot your password?" inside a sign-in (seed 003): the identifier (pre-filled from the
 * journey) in, then one answer for every identifier, known or not, with the mail sent after the
 * answer (src/domain/password-recovery.ts). When the sign-in names one tenant whose employer
 * manages passwords (`passwordReset: "admin"`, seed 000), the page says whom to ask instead.
 * Not a step of the flow: the journey stays where it was, and "back" returns to it.
 */
import { clock } from '../views/clock.js';
import { askEmployerPage, forgotPage, forgotSentPage, forgotThrottledPage } from '../views/recovery.js';
import { saveJourney } from '../context.js';
import type { Tenant } from '../../src/model/types.js';
import type { StepContext } from '../step.js';

/** The tenant the sign-in names: the organization asked for, or the client's only tenant. */
async function contextTenant(sc: StepContext): Promise<Tenant | undefined> {
  const wanted = (sc.details.params.organization as string | undefined) ?? (sc.client.tenants?.length === 1 ? sc.client.tenants[0] : undefined);
  if (!wanted || (sc.client.tenants && !sc.client.tenants.includes(wanted))) return undefined;
  return sc.services.tenants.find(wanted);
}

/** The page asking whom to ask, when this sign-in's tenant manages passwords itself; else undefined. */
async function employerAnswer(sc: StepContext, tenant: Tenant | undefined): Promise<string | undefined> {
  if (!tenant || tenant.policy.passwordReset !== 'admin') return undefined;
  return askEmployerPage(sc.pc, { uid: sc.uid, tenant: tenant.name, contact: tenant.policy.contact || sc.pc.t('password.defaultContact') });
}

/** GET /interaction/:uid/forgot (and /forgot/sent, the answer after a request). */
export async function showForgot(sc: StepContext, view: 'form' | 'sent'): Promise<void> {
  sc.ctx.type = 'html';
  if (view === 'sent') {
    sc.ctx.body = forgotSentPage(sc.pc, sc.uid);
    return;
  }
  sc.ctx.body = (await employerAnswer(sc, await contextTenant(sc))) ?? forgotPage(sc.pc, { uid: sc.uid, csrf: sc.journey.csrf, identifier: sc.journey.identifier ?? '' });
  // A first page of the journey: its token must outlive this request.
  await saveJourney(sc);
}

/** POST /interaction/:uid/forgot, its token already checked. */
export async function submitForgot(sc: StepContext, form: Record<string, string>): Promise<void> {
  const { t } = sc.pc;
  sc.ctx.type = 'html';
  const tenant = await contextTenant(sc);
  const employer = await employerAnswer(sc, tenant);
  if (employer) {
    sc.ctx.body = employer;
    return;
  }
  const identifier = (form.identifier ?? '').trim();
  if (!identifier || identifier.length > 320) {
    sc.ctx.status = 400;
    sc.ctx.body = forgotPage(sc.pc, { uid: sc.uid, csrf: sc.journey.csrf, identifier: identifier.slice(0, 320), error: t('identifier.required') });
    return;
  }
  const outcome = await sc.services.passwordRecovery.request(identifier, { ...sc.meta, tenantId: tenant?.id ?? null, locale: sc.pc.locale });
  if (!outcome.ok) {
    sc.ctx.status = 429;
    sc.ctx.body = forgotThrottledPage(sc.pc, sc.uid, clock(outcome.retryAt, sc.pc.locale));
    return;
  }
  // After a POST, a page a reload does not resubmit; the same for every identifier.
  sc.ctx.status = 303;
  sc.ctx.redirect(`/interaction/${sc.uid}/forgot/sent`);
}
