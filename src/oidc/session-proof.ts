/**
 * Whether a browser session of the engine proved enough for a sensitive act (changing credentials
 * in the portal, administering a tenant): for an account that has a second factor or a passkey,
 * a sign-in that proved two factors; a sign-in spared the code (a trusted device, a tenant
 * without two-step verification) does not. An account with only a password has nothing more to give.
 */
import type Provider from 'oidc-provider';
import { ACR_2FA, ACR_PHR } from '../domain/assurance.js';
import { hasSecondFactor, type Credentials } from '../domain/credentials.js';

export type SessionProof = (accountId: string, sessionUid: string | undefined) => Promise<boolean>;

export function sessionProof(provider: () => Provider, credentials: Pick<Credentials, 'status'>): SessionProof {
  return async (accountId, sessionUid) => {
    if (!hasSecondFactor(await credentials.status(accountId))) return true;
    const session = sessionUid ? await provider().Session.findByUid(sessionUid) : undefined;
    if (!session || session.accountId !== accountId) return false;
    const acr = (session as { acr?: string }).acr;
    return acr === ACR_2FA || acr === ACR_PHR;
  };
}
