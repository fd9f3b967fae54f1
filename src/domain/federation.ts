/**
 * Who a federated sign-in is (issue 12): the account linked to the provider's subject; else the
 * account with the provider's e-mail — linked at once only when the provider is authoritative for
 * that e-mail's domain and vouches for the address, otherwise after the user proved that account
 * once (password and second factor per policy); else, where a tenant allows sign-up from that
 * provider, a new account; else nobody. Links are made and removed here (never the last way in).
 * Knows no HTTP and no protocol: the UpstreamClient (src/upstream/) says who the provider says.
 */
import type { FederatedIdentity, UpstreamProvider } from '../model/upstream-provider.js';
import type { Tenant, User } from '../model/types.js';
import type { UsersRepository } from '../repositories/users-repository.js';
import type { EventLog, RequestMeta } from './events.js';

/** What the provider said, as federation needs it (src/upstream/upstream-client.ts's UpstreamIdentity). */
export interface FederatedClaims {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** The linked identities (src/repositories/federated-identities-repository.ts). */
export interface IdentityStore {
  find(providerId: string, subject: string): Promise<FederatedIdentity | undefined>;
  listByUser(userId: string): Promise<FederatedIdentity[]>;
  link(input: { providerId: string; subject: string; userId: string; email: string | null }): Promise<unknown>;
  unlink(userId: string, providerId: string): Promise<boolean>;
  touch(providerId: string, subject: string, email: string | null): Promise<unknown>;
}

export type FederationOutcome =
  /** The identity was linked already, or is now (an authoritative domain), or its account was just created. */
  | { kind: 'account'; user: User; how: 'linked' | 'linked-by-domain' | 'signed-up' }
  /** An account has this e-mail: the user proves it once, then the link is made. */
  | { kind: 'prove-account'; user: User }
  /** An account has this e-mail but the provider does not vouch for it: no link, no sign-in. */
  | { kind: 'unverified-email' }
  /** The linked account is disabled. */
  | { kind: 'disabled' }
  /** No account, and no tenant of this app takes sign-ups from this provider. */
  | { kind: 'no-account' };

export interface FederationDeps {
  identities: IdentityStore;
  users: UsersRepository;
  tenants: { list(): Promise<Tenant[]> };
  events: EventLog;
}

export class FederationError extends Error {
  constructor(
    readonly code: 'last_way_in' | 'not_linked' | 'taken',
    message: string,
  ) {
    super(message);
    this.name = 'FederationError';
  }
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

export class Federation {
  constructor(private readonly deps: FederationDeps) {}

  /**
   * Who this sign-in is. `clientTenants`: the tenants the app serves (null: every tenant), where
   * a new account may be created.
   */
  async resolve(provider: UpstreamProvider, claims: FederatedClaims, context: { clientTenants: string[] | null; meta: RequestMeta }): Promise<FederationOutcome> {
    const { identities, users, events } = this.deps;
    const email = claims.email?.trim().toLowerCase() || null;
    const linked = await identities.find(provider.id, claims.subject);
    if (linked) {
      const user = await users.findById(linked.userId);
      if (!user) return { kind: 'no-account' };
      if (user.disabled) return { kind: 'disabled' };
      await identities.touch(provider.id, claims.subject, email);
      return { kind: 'account', user, how: 'linked' };
    }

    const holder = email ? await users.findByIdentifier(email) : undefined;
    if (email && holder && holder.email === email) {
      if (!claims.emailVerified) return { kind: 'unverified-email' };
      if (holder.disabled) return { kind: 'disabled' };
      if (provider.authoritativeDomains.includes(domainOf(email))) {
        await this.link(holder.id, provider, claims, { ...context.meta, how: 'authoritative-domain' });
        return { kind: 'account', user: holder, how: 'linked-by-domain' };
      }
      // Already linked to another subject of this provider: that one is the account's, not this.
      if ((await identities.listByUser(holder.id)).some((i) => i.providerId === provider.id)) return { kind: 'no-account' };
      return { kind: 'prove-account', user: holder };
    }

    const tenant = await this.signUpTenant(provider, context.clientTenants);
    // A new account needs an address the provider vouches for (it becomes the account's e-mail).
    if (!tenant || !email || !claims.emailVerified || holder) return { kind: 'no-account' };
    const user = await users.insert({
      login: email,
      email,
      name: claims.name,
      phone: null,
      locale: null,
      passwordHash: null,
      mustChangePassword: false,
    });
    await users.setMembership(user.id, tenant.id, 'member');
    await this.link(user.id, provider, claims, { ...context.meta, how: 'sign-up' });
    await events.record({ type: 'account.signed_up', userId: user.id, ...context.meta, tenantId: tenant.id, method: `upstream:${provider.id}` });
    return { kind: 'account', user, how: 'signed-up' };
  }

  /** Links the provider's subject to the account (after the user proved it, or an authoritative domain). */
  async link(userId: string, provider: UpstreamProvider, claims: FederatedClaims, meta: RequestMeta & { how: 'proved' | 'authoritative-domain' | 'sign-up' | 'portal' }): Promise<void> {
    const { how, ...request } = meta;
    const taken = await this.deps.identities.find(provider.id, claims.subject);
    if (taken && taken.userId !== userId) throw new FederationError('taken', `this ${provider.id} account is linked to another account`);
    if (!taken) {
      try {
        await this.deps.identities.link({ providerId: provider.id, subject: claims.subject, userId, email: claims.email?.toLowerCase() ?? null });
      } catch {
        throw new FederationError('taken', `a ${provider.id} account is linked to this account already, or this one to another`);
      }
    }
    await this.deps.events.record({ type: 'account.identity_linked', userId, ...request, method: `upstream:${provider.id}`, details: { provider: provider.id, how } });
  }

  /** Removes a link; refused when it is the account's last way in (no password, no passkey, no other link). */
  async unlink(userId: string, providerId: string, meta: RequestMeta, waysIn: { password: boolean; passkeys: number }): Promise<void> {
    const identities = await this.deps.identities.listByUser(userId);
    if (!identities.some((i) => i.providerId === providerId)) throw new FederationError('not_linked', `no ${providerId} account is linked`);
    if (!waysIn.password && waysIn.passkeys === 0 && identities.length <= 1) {
      throw new FederationError('last_way_in', 'it is the only way into this account: set a password or add a passkey first');
    }
    await this.deps.identities.unlink(userId, providerId);
    await this.deps.events.record({ type: 'account.identity_unlinked', userId, ...meta, method: `upstream:${providerId}`, details: { provider: providerId } });
  }

  listLinked(userId: string): Promise<FederatedIdentity[]> {
    return this.deps.identities.listByUser(userId);
  }

  /** The one tenant of this app that takes sign-ups from the provider (none, or several: no sign-up). */
  private async signUpTenant(provider: UpstreamProvider, clientTenants: string[] | null): Promise<Tenant | undefined> {
    const open = (await this.deps.tenants.list()).filter(
      (t) => t.policy.signUpProviders.includes(provider.id) && (provider.tenants === null || provider.tenants.includes(t.id)) && (clientTenants === null || clientTenants.includes(t.id)),
    );
    return open.length === 1 ? open[0] : undefined;
  }
}
