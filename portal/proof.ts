/**
 * The proof a sensitive change needs in the portal (a credential of one's own, or a tenant
 * administered): a sign-in of the last few minutes and, for an account that has a second factor
 * or a passkey, one that proved two factors — a sign-in spared the code (a trusted device, a
 * tenant without two-step verification) does not do. Proving it again goes through the sign-in:
 * with `max_age` for a recent one; for the second factor, with `acr_values` asking two factors
 * (and `max_age=0`, which the engine makes a `prompt=login`), which no trusted device spares.
 */
import { ACR_2FA, ACR_PHR } from '../src/domain/assurance.js';
import { hasSecondFactor, type SecondFactorStatus } from '../src/domain/credentials.js';
import type { PortalContext } from './context.js';

/** What the user must prove again: a fresh sign-in, or their second factor too. */
export type ProofNeeded = 'recent' | 'second-factor' | undefined;

export async function proofNeeded(p: PortalContext, status?: SecondFactorStatus): Promise<ProofNeeded> {
  if (!p.recent) return 'recent';
  const s = status ?? (await p.deps.services.credentials.status(p.user.id));
  if (!hasSecondFactor(s)) return undefined;
  const engine = p.session.providerSessionUid ? await p.deps.services.provider().Session.findByUid(p.session.providerSessionUid) : undefined;
  const acr = (engine as { acr?: string } | undefined)?.acr;
  return acr === ACR_2FA || acr === ACR_PHR ? undefined : 'second-factor';
}

/** Where to prove it again and come back to `returnTo`. */
export function proofUrl(p: PortalContext, returnTo: string, needed: Exclude<ProofNeeded, undefined>): string {
  if (needed === 'recent') return `/account/login?${new URLSearchParams({ return: returnTo, max_age: String(p.deps.recentSeconds) })}`;
  // Only an account with a second factor gets here: asking two factors asks for it, on any device.
  return `/account/login?${new URLSearchParams({ return: returnTo, max_age: '0', acr: '2fa' })}`;
}
