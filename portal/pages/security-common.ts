/**
 * What every page of the Security area shares: the proof a credential change needs (a sign-in of
 * the last five minutes and, for an account with a second factor, one that proved it), the sealed
 * scratch state of a set-up under way, wrong codes counted per portal session, the account's
 * two-step verification state under its tenants' policies (seed 002), and small views.
 */
import { html, type Safe } from '../../interactions/views/html.js';
import { proofNeeded, proofUrl, type ProofNeeded } from '../proof.js';
import type { SecondFactorStatus } from '../../src/domain/credentials.js';
import type { Membership } from '../../src/model/types.js';
import type { PortalContext } from '../context.js';
import type { PortalAnswer } from '../routes.js';

export const SECURITY = '/account/security';

/** Wrong codes one portal session may type per kind before it must sign in again (as a journey). */
export const MAX_SESSION_CODE_FAILURES = 5;

// --- proof

/** True when one of the factors two-step verification rests on is set up (a proven phone, an authenticator app). */
export function twoStepOn(status: SecondFactorStatus): boolean {
  return status.sms || status.totp;
}

export { proofNeeded, proofUrl, type ProofNeeded } from '../proof.js';

/** The card shown instead of a form until the user proved it again. */
export function proofCard(p: PortalContext, returnTo: string, needed: Exclude<ProofNeeded, undefined>): Safe {
  const { t } = p.pc;
  return html`<section class="card" aria-labelledby="reauth-title"><h2 id="reauth-title">${t('portal.security.reauth.title')}</h2>
<p>${t(needed === 'recent' ? 'portal.reauth.needed' : 'portal.security.reauth.secondFactor')}</p>
<a class="button" href="${proofUrl(p, returnTo, needed)}">${t('portal.reauth.button')}</a></section>`;
}

export function isLocked(p: PortalContext): boolean {
  return p.user.locked || (!!p.user.lockedUntil && p.user.lockedUntil.getTime() > Date.now());
}

/**
 * The checks before any change of this area: not on a locked account, and with the proof above.
 * Undefined when the change may go ahead; else where the browser goes instead.
 */
export async function refuseChange(p: PortalContext, returnTo: string): Promise<PortalAnswer | undefined> {
  if (isLocked(p)) return { redirect: returnTo, flash: { kind: 'error', text: p.pc.t('portal.security.locked', { contact: contactOf(p) }) } };
  const needed = await proofNeeded(p);
  return needed ? { redirect: proofUrl(p, returnTo, needed) } : undefined;
}

// --- scratch state, sealed to this portal session

const scratchContext = (p: PortalContext, name: string) => `portal:${p.session.id}:${name}`;

export function readScratch<T>(p: PortalContext, name: string): T | undefined {
  const sealed = p.session.scratch?.[name];
  if (!sealed) return undefined;
  try {
    return JSON.parse(p.deps.services.cipher.decrypt(sealed, scratchContext(p, name))) as T;
  } catch {
    return undefined;
  }
}

/** Stores (or, with undefined, forgets) `name`; the request's session object is updated too, so the answer's own save keeps it. */
export async function writeScratch(p: PortalContext, name: string, value: unknown): Promise<void> {
  const scratch = { ...(p.session.scratch ?? {}) };
  if (value === undefined) delete scratch[name];
  else scratch[name] = p.deps.services.cipher.encrypt(JSON.stringify(value), scratchContext(p, name));
  p.session.scratch = scratch;
  await p.deps.sessions.save(p.session);
}

// --- wrong codes per portal session (the account has its own budget: src/domain/code-attempts.ts)

const failuresKey = (p: PortalContext, kind: string) => `portal:code-failures:${p.session.id}:${kind}`;

export async function codeTriesUsedUp(p: PortalContext, kind: string): Promise<boolean> {
  return (await p.deps.services.kv.add(failuresKey(p, kind), 0, 3600)).value >= MAX_SESSION_CODE_FAILURES;
}

/** Counts a wrong code (a new code never resets it); true when that used up this session's tries. */
export async function countCodeFailure(p: PortalContext, kind: string): Promise<boolean> {
  return (await p.deps.services.kv.add(failuresKey(p, kind), 1, 3600)).value >= MAX_SESSION_CODE_FAILURES;
}

// --- two-step verification under the tenants' policies (seed 002)

export interface TwoStepState {
  on: boolean;
  /** Tenants of the user that require it. */
  requiredBy: Membership[];
  /** The user may switch it on here: a tenant makes it optional, or they have no tenant. */
  canSwitchOn: boolean;
  /** Why it cannot be switched off, if it cannot. */
  lock: 'required_by_tenant' | 'enabled_by_requirement' | undefined;
}

export function twoStepState(p: PortalContext, status: SecondFactorStatus): TwoStepState {
  const requiredBy = p.memberships.filter((m) => m.policy.mfa === 'required');
  const on = twoStepOn(status);
  const lock = requiredBy.length > 0 ? 'required_by_tenant' : p.user.mfaEnabledBy === 'required' ? 'enabled_by_requirement' : undefined;
  const canSwitchOn = p.memberships.length === 0 || p.memberships.some((m) => m.policy.mfa !== 'off');
  return { on, requiredBy, canSwitchOn, lock };
}

/** Why two-step verification stays on, and whom to ask (seed 002: only the office's admin switches it off then). */
export function lockText(p: PortalContext, state: Pick<TwoStepState, 'requiredBy' | 'lock'>): string {
  const { t } = p.pc;
  if (state.lock === 'required_by_tenant') {
    return t('portal.security.twoStep.lockedTenant', { tenants: state.requiredBy.map((m) => m.tenantName).join(', '), contact: contactOf(p, state.requiredBy) });
  }
  return t('portal.security.twoStep.lockedRequirement', { contact: contactOf(p) });
}

/** Whom to ask: the contact of the tenant that requires it (or of any tenant), else the journey's default words. */
export function contactOf(p: PortalContext, memberships: Membership[] = p.memberships): string {
  const named = [...memberships, ...p.memberships].find((m) => m.policy.contact.trim());
  return named ? named.policy.contact.trim() : p.pc.t('password.defaultContact');
}

// --- small views

/** `key.zero`, `key.one` or `key.other`, for a count (the four languages agree on these three). */
export function plural(key: string, count: number): string {
  return `${key}.${count === 0 ? 'zero' : count === 1 ? 'one' : 'other'}`;
}

export function formatDate(date: Date, locale: string): string {
  return date.toLocaleDateString(`${locale}-BE`, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Brussels' });
}

/** A back link to the Security page. */
export function backLink(p: PortalContext): Safe {
  return html`<p><a href="${SECURITY}">${p.pc.t('portal.security.back')}</a></p>`;
}

/** An error of the form just sent, announced. */
export function formError(message: string | undefined): Safe | string {
  return message ? html`<div role="alert">${message}</div>` : '';
}

/** +32470123456 → +32 470 12 34 56 (the user's own number, readable). */
export function readablePhone(e164: string): string {
  const m = /^\+32(\d{3})(\d{2})(\d{2})(\d{2})$/.exec(e164);
  return m ? `+32 ${m[1]} ${m[2]} ${m[3]} ${m[4]}` : e164;
}
