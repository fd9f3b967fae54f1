/**
 * What operators and tenant admins do to tenants, users and client apps: the one place the
 * admin API, the CLI (through the API) and the import file go through. Knows no HTTP.
 */
import crypto from 'node:crypto';
import type { Database, Queryable } from '../storage/database.js';
import { UsersRepository } from '../repositories/users-repository.js';
import { TenantsRepository } from '../repositories/tenants-repository.js';
import { ClientsRepository } from '../repositories/clients-repository.js';
import type { PasswordHasher } from './passwords.js';
import { parsePolicy } from '../model/tenant-policy.js';
import type { ClientInput, ImportFile, TenantInput, UserInput } from './schemas.js';
import type { ClientRecord, Membership, Tenant, User } from '../model/types.js';
import type { Notice } from '../model/notice.js';
import type { EventLog } from './events.js';
import { normalizeBelgianMobile } from './phone.js';
import { DEFAULT_CLIENT_SCOPE } from '../model/scopes.js';
import type { Cipher } from '../secrets/cipher.js';
import { actorMeta, type Actor, type Credentials } from './credentials.js';
import { DirectoryError } from './directory-error.js';
import type { UpstreamProviders } from './upstream-providers.js';

export { DirectoryError };

export type ClientValidator = (metadata: Record<string, unknown>) => Promise<void>;

export type { Actor };

export interface UserView extends Omit<User, 'passwordHash'> {
  hasPassword: boolean;
  memberships: Omit<Membership, 'policy' | 'firstLoginAt'>[];
}

export class Directory {
  readonly users: UsersRepository;
  readonly tenants: TenantsRepository;
  readonly clients: ClientsRepository;

  constructor(
    private readonly db: Queryable,
    private readonly deps: {
      hasher: PasswordHasher;
      events: EventLog;
      validateClient: ClientValidator;
      onClientChange?: (id: string) => void;
      /** A tenant's policy changed here: forget cached copies. */
      onTenantChange?: (id: string) => void;
      cipher?: Cipher;
      /** The writer of credentials; absent inside an import transaction (no session to end at start). */
      credentials?: Credentials;
      /** Upstream providers, for the import file's `providers`. */
      upstreamProviders?: UpstreamProviders;
    },
  ) {
    this.users = new UsersRepository(db);
    this.tenants = new TenantsRepository(db);
    this.clients = new ClientsRepository(db, deps.cipher);
  }

  /** The same directory bound to a transaction (without the credentials service, which runs its own). */
  with(db: Queryable): Directory {
    return new Directory(db, { ...this.deps, events: this.deps.events.with(db), credentials: undefined });
  }

  // --- tenants
  async putTenant(input: TenantInput): Promise<Tenant> {
    const existing = await this.tenants.find(input.id);
    const policy = parsePolicy(input.policy ?? existing?.policy ?? {});
    const tenant = await this.tenants.upsert({ id: input.id, name: input.name, policy });
    this.deps.onTenantChange?.(input.id);
    return tenant;
  }

  async updateTenantPolicy(id: string, patch: Record<string, unknown>): Promise<Tenant> {
    const tenant = await this.requireTenant(id);
    const merged: Record<string, unknown> = { ...tenant.policy, ...patch };
    if (patch.lockout && typeof patch.lockout === 'object') merged.lockout = { ...tenant.policy.lockout, ...(patch.lockout as object) };
    const updated = await this.tenants.upsert({ id, name: tenant.name, policy: parsePolicy(merged) });
    this.deps.onTenantChange?.(id);
    return updated;
  }

  async requireTenant(id: string): Promise<Tenant> {
    const t = await this.tenants.find(id);
    if (!t) throw new DirectoryError('not_found', `tenant ${id} does not exist`);
    return t;
  }

  // --- users
  async view(user: User): Promise<UserView> {
    const { passwordHash, ...rest } = user;
    const memberships = (await this.users.memberships(user.id)).map((m) => ({ tenantId: m.tenantId, tenantName: m.tenantName, role: m.role }));
    return { ...rest, hasPassword: !!passwordHash, memberships };
  }

  async requireUser(idOrIdentifier: string): Promise<User> {
    const u = (await this.users.findById(idOrIdentifier)) ?? (await this.users.findByIdentifier(idOrIdentifier));
    if (!u) throw new DirectoryError('not_found', `user ${idOrIdentifier} does not exist`);
    return u;
  }

  /**
   * Creates a user. A password given by an admin is an initial password: the user must choose
   * their own at the next sign-in unless `mustChangePassword: false` says otherwise.
   */
  async createUser(input: UserInput, actor: Actor = {}): Promise<User> {
    if (await this.users.findByIdentifier(input.login)) throw new DirectoryError('conflict', `login ${input.login} is taken`);
    if (input.email && (await this.users.findByIdentifier(input.email))) throw new DirectoryError('conflict', `e-mail ${input.email} is taken`);
    for (const m of input.tenants) await this.requireTenant(m.id);
    const user = await this.users.insert({
      login: input.login,
      email: input.email ?? null,
      name: input.name ?? null,
      phone: input.phone ? this.phone(input.phone) : null,
      locale: input.locale ?? null,
      passwordHash: input.password ? await this.deps.hasher.hash(input.password) : null,
      mustChangePassword: input.password ? (input.mustChangePassword ?? true) : false,
    });
    for (const m of input.tenants) await this.users.setMembership(user.id, m.id, m.role);
    await this.deps.events.record({ type: 'admin.user_created', userId: user.id, ...actorMeta(actor) });
    return user;
  }

  /** Changes profile fields and adds or updates the listed memberships (never the password). */
  async updateUser(id: string, input: Partial<UserInput>, actor: Actor = {}): Promise<User> {
    const user = await this.requireUser(id);
    if (input.login && input.login.toLowerCase() !== user.login) {
      if (await this.users.findByIdentifier(input.login)) throw new DirectoryError('conflict', `login ${input.login} is taken`);
    }
    if (input.email && input.email.toLowerCase() !== user.email) {
      const other = await this.users.findByIdentifier(input.email);
      if (other && other.id !== user.id) throw new DirectoryError('conflict', `e-mail ${input.email} is taken`);
    }
    for (const m of input.tenants ?? []) await this.requireTenant(m.id);
    const phone = input.phone === undefined ? undefined : input.phone ? this.phone(input.phone) : null;
    // The phone is a credential: the credentials service writes it (in an import transaction, the repository does).
    const credentials = this.deps.credentials;
    let updated = await this.users.update(user.id, {
      login: input.login,
      email: input.email,
      name: input.name,
      phone: credentials ? undefined : phone,
      locale: input.locale,
      disabled: input.disabled,
      mustChangePassword: input.mustChangePassword,
    });
    const current = new Map((await this.users.memberships(user.id)).map((m) => [m.tenantId, m.role]));
    for (const m of input.tenants ?? []) if (current.get(m.id) !== m.role) await this.users.setMembership(user.id, m.id, m.role);
    if (actor.clientId || actor.userId) await this.deps.events.record({ type: 'admin.user_updated', userId: user.id, ...actorMeta(actor) });
    if (credentials && phone !== undefined && phone !== user.phone) {
      await credentials.replacePhoneByAdmin(user, phone, actor);
      updated = await this.users.findById(user.id);
    }
    if (input.disabled === true && !user.disabled) await credentials?.endSessions(user.id, 'disabled', actorMeta(actor));
    return updated!;
  }

  /** Sets an initial password chosen by an admin: unlocks, signs out everywhere, and the user must change it at the next sign-in. */
  async resetPassword(id: string, password: string, actor: Actor = {}): Promise<User> {
    const user = await this.requireUser(id);
    return this.credentials().resetPassword(user.id, password, actor);
  }

  async unlock(id: string, actor: Actor = {}): Promise<User> {
    const user = await this.requireUser(id);
    return this.credentials().unlock(user.id, actor);
  }

  async deleteUser(id: string, actor: Actor = {}): Promise<void> {
    const user = await this.requireUser(id);
    // Its sessions and grants go first: the engine's store does not cascade with the users table.
    await this.deps.credentials?.endSessions(user.id, 'deleted', actorMeta(actor));
    await this.users.delete(user.id);
    await this.deps.events.record({ type: 'admin.user_deleted', userId: user.id, ...actorMeta(actor), details: { login: user.login } });
  }

  /** Credential changes go through the credentials service (one writer, sessions ended). */
  private credentials(): Credentials {
    if (!this.deps.credentials) throw new Error('this directory has no credentials service (inside an import transaction)');
    return this.deps.credentials;
  }

  private phone(raw: string): string {
    const e164 = normalizeBelgianMobile(raw);
    if (!e164) throw new DirectoryError('invalid', `phone ${raw} is not a Belgian mobile number`);
    return e164;
  }

  // --- clients
  /**
   * Registers or replaces a client app. A confidential client without a secret gets a
   * generated one, returned once in `generatedSecret`.
   */
  async putClient(input: ClientInput): Promise<{ client: ClientRecord; generatedSecret?: string }> {
    for (const t of input.tenants ?? []) await this.requireTenant(t);
    const { metadata, generatedSecret } = this.clientMetadata(input);
    try {
      await this.deps.validateClient(metadata);
    } catch (e) {
      const err = e as { error_description?: string; message: string };
      throw new DirectoryError('invalid', `client ${input.client_id}: ${err.error_description ?? err.message}`);
    }
    // A notice is set in a hurry (a scam wave): a registration that does not mention it keeps it; null removes it.
    const notice = input.notice !== undefined ? input.notice : ((await this.clients.find(input.client_id))?.notice ?? null);
    const client = await this.clients.upsert({ clientId: input.client_id, metadata, firstParty: input.first_party ?? false, tenants: input.tenants ?? null, notice });
    this.deps.onClientChange?.(input.client_id);
    return { client, generatedSecret };
  }

  /** The engine's metadata for a registration; a confidential client without a secret gets one. */
  private clientMetadata(input: ClientInput): { metadata: Record<string, unknown>; generatedSecret?: string } {
    const grantTypes = input.grant_types ?? ['authorization_code', 'refresh_token'];
    let authMethod = input.token_endpoint_auth_method ?? (input.client_secret ? 'client_secret_basic' : 'none');
    if (authMethod === 'none' && grantTypes.includes('client_credentials')) authMethod = 'client_secret_basic';
    let secret = authMethod === 'none' ? undefined : input.client_secret;
    let generatedSecret: string | undefined;
    if (authMethod !== 'none' && !secret) {
      secret = generatedSecret = newClientSecret();
    }
    const metadata: Record<string, unknown> = {
      client_id: input.client_id,
      ...(secret ? { client_secret: secret } : {}),
      ...(input.client_name ? { client_name: input.client_name } : {}),
      ...(input.application_type ? { application_type: input.application_type } : {}),
      redirect_uris: input.redirect_uris,
      post_logout_redirect_uris: input.post_logout_redirect_uris ?? [],
      grant_types: grantTypes,
      response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
      token_endpoint_auth_method: authMethod,
      scope: input.scope ?? DEFAULT_CLIENT_SCOPE,
      ...(input.backchannel_logout_uri ? { backchannel_logout_uri: input.backchannel_logout_uri } : {}),
      ...(input.backchannel_logout_session_required !== undefined ? { backchannel_logout_session_required: input.backchannel_logout_session_required } : {}),
    };
    return { metadata, generatedSecret };
  }

  /** Sets (or with null, removes) the notice shown beside the sign-in to a client app; the rest of its registration stays. */
  async setClientNotice(clientId: string, notice: Notice | null): Promise<ClientRecord> {
    const existing = await this.clients.find(clientId);
    if (!existing) throw new DirectoryError('not_found', `client ${clientId} does not exist`);
    const client = await this.clients.upsert({ ...existing, notice });
    this.deps.onClientChange?.(clientId);
    return client;
  }

  /**
   * Gives a confidential client a new generated secret, returned this once. The engine compares
   * one secret, so the old one stops working at once (on other instances within the client cache's
   * delay); a public client has none to rotate.
   */
  async rotateClientSecret(clientId: string): Promise<{ client: ClientRecord; secret: string }> {
    const existing = await this.clients.find(clientId);
    if (!existing) throw new DirectoryError('not_found', `client ${clientId} does not exist`);
    if ((existing.metadata.token_endpoint_auth_method ?? 'client_secret_basic') === 'none') {
      throw new DirectoryError('conflict', `client ${clientId} is public (token_endpoint_auth_method none): it has no secret to rotate`);
    }
    const secret = newClientSecret();
    const client = await this.clients.upsert({ ...existing, metadata: { ...existing.metadata, client_secret: secret } });
    this.deps.onClientChange?.(clientId);
    return { client, secret };
  }

  async deleteClient(clientId: string): Promise<void> {
    if (!(await this.clients.delete(clientId))) throw new DirectoryError('not_found', `client ${clientId} does not exist`);
    this.deps.onClientChange?.(clientId);
  }

  // --- import
  /**
   * Applies an import file in one transaction: tenants, then users, then clients, then upstream
   * providers. Idempotent: passwords are initial passwords, set only when a user is created
   * (afterwards, reset them through the API); memberships listed are added or updated, others are
   * left alone; a client or provider listed without its secret keeps the one it has.
   */
  async applyImport(file: ImportFile): Promise<{ tenants: number; usersCreated: number; usersUpdated: number; clients: number; providers: number }> {
    const run = async (trx: Queryable) => {
      const dir = this.with(trx);
      const summary = { tenants: 0, usersCreated: 0, usersUpdated: 0, clients: 0, providers: 0 };
      for (const [i, t] of file.tenants.entries()) {
        const existing = await dir.tenants.find(t.id);
        if (existing && existing.name === t.name && JSON.stringify(existing.policy) === JSON.stringify(parsePolicy(t.policy ?? existing.policy))) continue;
        await dir.putTenant(t).catch(rethrowAt(`tenants[${i}] (${t.id})`));
        summary.tenants++;
      }
      for (const [i, u] of file.users.entries()) {
        const where = `users[${i}] (${u.login})`;
        const existing = await dir.users.findByIdentifier(u.login);
        if (existing) {
          const { password: _p, mustChangePassword: _m, ...profile } = u;
          if (await dir.differs(existing, profile)) {
            await dir.updateUser(existing.id, profile).catch(rethrowAt(where));
            summary.usersUpdated++;
          }
        } else {
          await dir.createUser(u).catch(rethrowAt(where));
          summary.usersCreated++;
        }
      }
      for (const [i, c] of file.clients.entries()) {
        const existing = await dir.clients.find(c.client_id);
        // A confidential client given without a secret keeps the one it has (never a new one per start).
        const secret = c.client_secret ?? (existing?.metadata.client_secret as string | undefined);
        const input = secret && c.token_endpoint_auth_method !== 'none' ? { ...c, client_secret: secret } : c;
        if (existing && (await dir.sameClient(existing, input))) continue;
        await dir.putClient(input).catch(rethrowAt(`clients[${i}] (${c.client_id})`));
        summary.clients++;
      }
      if (file.providers.length) {
        if (!this.deps.upstreamProviders) throw new Error('this directory imports no upstream providers');
        const providers = this.deps.upstreamProviders.with(trx);
        for (const [i, p] of file.providers.entries()) {
          const { changed } = await providers.put(p, {}, { skipUnchanged: true }).catch(rethrowAt(`providers[${i}] (${p.id})`));
          if (changed) summary.providers++;
        }
      }
      return summary;
    };
    const db = this.db as Database;
    return typeof db.transaction === 'function' ? db.transaction(run) : run(this.db);
  }

  /** True when registering `input` would store exactly what `existing` holds. */
  async sameClient(existing: ClientRecord, input: ClientInput): Promise<boolean> {
    const { metadata } = this.clientMetadata(input);
    return (
      JSON.stringify(sortKeys(existing.metadata)) === JSON.stringify(sortKeys(metadata)) &&
      existing.firstParty === (input.first_party ?? false) &&
      JSON.stringify(existing.tenants) === JSON.stringify(input.tenants ?? null) &&
      // The database may keep a JSON object's keys in another order.
      (input.notice === undefined || JSON.stringify(sortKeys(existing.notice ?? {})) === JSON.stringify(sortKeys(input.notice ?? {})))
    );
  }

  private async differs(user: User, u: Omit<UserInput, 'password' | 'mustChangePassword'>): Promise<boolean> {
    const memberships = new Map((await this.users.memberships(user.id)).map((m) => [m.tenantId, m.role]));
    return (
      (u.email !== undefined && (u.email?.toLowerCase() ?? null) !== user.email) ||
      (u.name !== undefined && u.name !== user.name) ||
      (u.phone !== undefined && (u.phone ? normalizeBelgianMobile(u.phone) : null) !== user.phone) ||
      (u.locale !== undefined && u.locale !== user.locale) ||
      (u.disabled !== undefined && u.disabled !== user.disabled) ||
      u.tenants.some((m) => memberships.get(m.id) !== m.role)
    );
  }
}

/** A generated client secret: 256 random bits. */
function newClientSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function rethrowAt(where: string) {
  return (e: unknown): never => {
    if (e instanceof DirectoryError) throw new DirectoryError(e.code, `${where}: ${e.message}`);
    throw e;
  };
}
