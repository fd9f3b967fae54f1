/**
 * findAccount for the engine: the user's claims, and the tenant chosen at sign-in (`org_id`,
 * `org_name`), kept per grant so codes, refresh tokens and userinfo all agree.
 */
import type { Account, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { KeyValueStore } from '../storage/kv.js';
import type { UsersRepository } from '../repositories/users-repository.js';

export interface GrantContext {
  tenantId: string | null;
  tenantName: string | null;
}

const grantKey = (grantId: string) => `grant-ctx:${grantId}`;

/** Forgets the tenant chosen for a grant (the grant was revoked). */
export function deleteGrantContext(kv: KeyValueStore, grantId: string): Promise<void> {
  return kv.delete(grantKey(grantId));
}

export function saveGrantContext(kv: KeyValueStore, grantId: string, value: GrantContext, ttlSeconds: number): Promise<void> {
  return kv.set(grantKey(grantId), value, ttlSeconds);
}

export function loadGrantContext(kv: KeyValueStore, grantId: string): Promise<GrantContext | undefined> {
  return kv.get<GrantContext>(grantKey(grantId));
}

export function findAccountFunction(users: UsersRepository, kv: KeyValueStore): FindAccount {
  return async (ctx: KoaContextWithOIDC, sub: string, token?: any): Promise<Account | undefined> => {
    const user = await users.findById(sub);
    if (!user || user.disabled) return undefined;
    const grantId: string | undefined = token?.grantId ?? (ctx.oidc.client ? ctx.oidc.session?.grantIdFor(ctx.oidc.client.clientId) : undefined);
    return {
      accountId: user.id,
      async claims() {
        const org = grantId ? await loadGrantContext(kv, grantId) : undefined;
        return {
          sub: user.id,
          preferred_username: user.login,
          name: user.name ?? undefined,
          email: user.email ?? undefined,
          email_verified: user.email ? false : undefined,
          phone_number: user.phone ?? undefined,
          // Proven by an SMS code; the repository clears the proof when the number changes.
          phone_number_verified: user.phone ? user.phoneVerifiedAt !== null : undefined,
          locale: user.locale ?? undefined,
          org_id: org?.tenantId ?? undefined,
          org_name: org?.tenantName ?? undefined,
        };
      },
    };
  };
}
