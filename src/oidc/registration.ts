/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592), done by the engine's own
 * `registration` and `registrationManagement` features, off unless DYNAMIC_REGISTRATION says so.
 * Registration is never open: it takes an initial access token an operator minted through the
 * admin API, which says until when, how many clients it may register and which tenants they
 * serve. The engine keeps the token itself; Sesam keeps those terms beside it, under the token's
 * id (a hash of its value: never the value), and revoking the token deletes them.
 *
 * A dynamically registered client is a third-party app that signs users in: never first-party,
 * never the `admin` scope (nor any scope but the end-user ones), never client_credentials, never a
 * URL Sesam itself would fetch or post to (SSRF). The registration policy answers such a request
 * `invalid_client_metadata`; the client adapter refuses to store one anyway, and stores a new
 * client only when the policy let it through, so no token minted some other way gets round it.
 */
import crypto from 'node:crypto';
import { errors } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { KeyValueStore } from '../storage/kv.js';
import type { ClientsRepository } from '../repositories/clients-repository.js';
import type { TenantsRepository } from '../repositories/tenants-repository.js';
import type { EventLog } from '../domain/events.js';
import { DEFAULT_CLIENT_SCOPE } from '../model/scopes.js';

/** The one policy every initial access token Sesam mints carries (and every registration access token after it). */
export const REGISTRATION_POLICY = 'sesam';
/** The scopes a dynamically registered client may have: the end-user ones, never `admin`. */
export const DYNAMIC_CLIENT_SCOPES: readonly string[] = DEFAULT_CLIENT_SCOPE.split(' ');
const GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);
const AUTH_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'none']);
/** Metadata that would make Sesam fetch or post to a URL the registrant chose. */
const OPERATOR_ONLY = ['jwks_uri', 'sector_identifier_uri', 'backchannel_logout_uri'] as const;
/**
 * What the engine fills in for a client that did not say (its defaults and Sesam's
 * clientDefaults), and the registration's issue time: not stored, since the engine derives them
 * again, so a registered client reads like one an operator registered (the admin API's GET gives
 * what its PUT takes). A value the registrant chose otherwise is kept.
 */
const DERIVED: Record<string, unknown> = {
  subject_type: 'public',
  application_type: 'web',
  require_auth_time: false,
  require_pushed_authorization_requests: false,
  dpop_bound_access_tokens: false,
  backchannel_logout_session_required: false,
  id_token_signed_response_alg: 'RS256',
  client_secret_expires_at: 0,
};
const NOT_STORED = new Set(['client_id_issued_at']);
/** How long the policy's word reaches the client adapter (the same request: generous). */
const PENDING_SECONDS = 300;

/** What an operator decided for an initial access token. */
export interface InitialAccessTokenTerms {
  expiresAt: string;
  /** How many clients it may register. */
  maxClients: number;
  /** The tenants its clients serve; null: every tenant. */
  tenants: string[] | null;
}

export interface InitialAccessTokenView extends InitialAccessTokenTerms {
  id: string;
  /** Clients registered with it so far (attempts that passed Sesam's checks). */
  used: number;
}

/** The policy's word to the client adapter that a new client may be stored, with its tenants. */
interface Pending {
  tenants: string[] | null;
}

const termsKey = (id: string) => `registration:iat:${id}`;
const usesKey = (id: string) => `registration:iat-uses:${id}`;
const pendingKey = (clientId: string) => `registration:pending:${clientId}`;

/** The public id of an initial access token: a hash of its value, which Sesam never keeps. */
export function initialAccessTokenId(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/** Why registration metadata is not allowed to a dynamically registered client, or undefined. */
export function dynamicClientProblem(metadata: Partial<Record<string, unknown>>): string | undefined {
  const grantTypes = metadata.grant_types;
  if (grantTypes !== undefined) {
    if (!Array.isArray(grantTypes)) return 'grant_types must be an array';
    const refused = grantTypes.find((g) => !GRANT_TYPES.has(String(g)));
    if (refused !== undefined) return `grant type ${String(refused)} is not available to a dynamically registered client (only ${[...GRANT_TYPES].join(', ')})`;
  }
  if (metadata.scope !== undefined) {
    const refused = String(metadata.scope).split(' ').filter(Boolean).find((s) => !DYNAMIC_CLIENT_SCOPES.includes(s));
    if (refused !== undefined) return `scope ${refused} is not available to a dynamically registered client (only ${DYNAMIC_CLIENT_SCOPES.join(' ')})`;
  }
  const authMethod = metadata.token_endpoint_auth_method;
  if (authMethod !== undefined && !AUTH_METHODS.has(String(authMethod))) {
    return `token_endpoint_auth_method ${String(authMethod)} is not available to a dynamically registered client (only ${[...AUTH_METHODS].join(', ')})`;
  }
  const operatorOnly = OPERATOR_ONLY.find((field) => metadata[field] !== undefined && metadata[field] !== null);
  if (operatorOnly) return `${operatorOnly} is not available to a dynamically registered client (ask the operator)`;
  return undefined;
}

export class DynamicRegistration {
  constructor(
    private readonly deps: {
      enabled: boolean;
      kv: KeyValueStore;
      clients: ClientsRepository;
      tenants: TenantsRepository;
      events: EventLog;
      /** A registration changed here: forget cached copies. */
      onClientChange: (clientId: string) => void;
    },
  ) {}

  get enabled(): boolean {
    return this.deps.enabled;
  }

  /** The engine's features: registration with an initial access token and Sesam's policy, and its management with rotated tokens. */
  features(): Pick<NonNullable<Configuration['features']>, 'registration' | 'registrationManagement'> {
    if (!this.deps.enabled) return { registration: { enabled: false }, registrationManagement: { enabled: false } };
    return {
      registration: {
        enabled: true,
        initialAccessToken: true,
        policies: { [REGISTRATION_POLICY]: (ctx, metadata) => this.policy(ctx, metadata) },
        issueRegistrationAccessToken: true,
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
    };
  }

  /** Mints an initial access token; its value is in the answer, and kept only by the engine (like any token it issues). */
  async mint(provider: Provider, terms: { expiresIn: number; maxClients: number; tenants: string[] | null }): Promise<InitialAccessTokenView & { token: string }> {
    const iat = new provider.InitialAccessToken({ expiresIn: terms.expiresIn, policies: [REGISTRATION_POLICY] });
    const token = await iat.save();
    const id = initialAccessTokenId(token);
    const expiresAt = new Date(Date.now() + terms.expiresIn * 1000).toISOString();
    const stored: InitialAccessTokenTerms = { expiresAt, maxClients: terms.maxClients, tenants: terms.tenants };
    await this.deps.kv.set(termsKey(id), stored, terms.expiresIn);
    return { id, token, used: 0, ...stored };
  }

  async find(id: string): Promise<InitialAccessTokenView | undefined> {
    const terms = await this.deps.kv.get<InitialAccessTokenTerms>(termsKey(id));
    if (!terms) return undefined;
    return { id, used: Number((await this.deps.kv.get<number>(usesKey(id))) ?? 0), ...terms };
  }

  /** Revokes a token: without its terms, the policy refuses it. False when unknown or expired. */
  async revoke(id: string): Promise<boolean> {
    if (!(await this.deps.kv.get(termsKey(id)))) return false;
    await this.deps.kv.delete(termsKey(id));
    await this.deps.kv.delete(usesKey(id));
    return true;
  }

  /**
   * Runs on every registration, and on every update by its registration access token (which
   * carries the policy on): the metadata must suit a third-party app; a registration must come
   * with a live, unused-up token whose tenants still exist.
   */
  private async policy(ctx: KoaContextWithOIDC, metadata: ClientMetadata): Promise<void> {
    const problem = dynamicClientProblem(metadata as Partial<Record<string, unknown>>);
    if (problem) throw new errors.InvalidClientMetadata(problem);
    const iat = ctx.oidc.entities.InitialAccessToken;
    if (!iat?.jti) return; // an update: the client keeps its tenants
    const id = initialAccessTokenId(iat.jti);
    const terms = await this.deps.kv.get<InitialAccessTokenTerms>(termsKey(id));
    if (!terms) throw new errors.InvalidToken('initial access token revoked');
    for (const tenant of terms.tenants ?? []) {
      if (!(await this.deps.tenants.find(tenant))) throw new errors.InvalidToken(`initial access token names tenant ${tenant}, which no longer exists`);
    }
    // The engine's own checks first, so a mistake in the metadata does not use the token up.
    await ctx.oidc.provider.Client.validate(metadata);
    const seconds = Math.max(1, Math.ceil((Date.parse(terms.expiresAt) - Date.now()) / 1000));
    const uses = await this.deps.kv.add(usesKey(id), 1, seconds);
    if (uses.value > terms.maxClients) throw new errors.InvalidToken(`initial access token used up (${terms.maxClients} client${terms.maxClients === 1 ? '' : 's'})`);
    await this.deps.kv.set(pendingKey(metadata.client_id), { tenants: terms.tenants } satisfies Pending, PENDING_SECONDS);
  }

  /**
   * The client adapter's `upsert`: the engine stores a registration. An existing client keeps
   * what Sesam alone decides (first-party, tenants, notice); a new one is stored only when the
   * policy let it through, never first-party, with its token's tenants.
   */
  async store(clientId: string, metadata: Record<string, unknown>): Promise<void> {
    const problem = dynamicClientProblem(metadata);
    if (problem) throw new errors.InvalidClientMetadata(problem);
    const kept = Object.fromEntries(Object.entries(metadata).filter(([key, value]) => !NOT_STORED.has(key) && !(key in DERIVED && DERIVED[key] === value)));
    const stored = { ...kept, client_id: clientId };
    const existing = await this.deps.clients.find(clientId);
    if (existing) {
      await this.deps.clients.upsert({ ...existing, metadata: stored });
    } else {
      const pending = await this.deps.kv.take<Pending>(pendingKey(clientId));
      if (!pending) throw new errors.InvalidToken('registration not allowed without an initial access token');
      await this.deps.clients.upsert({ clientId, metadata: stored, firstParty: false, tenants: pending.tenants, notice: null });
    }
    this.deps.onClientChange(clientId);
  }

  /** The client adapter's `destroy`: a client deleted itself (RFC 7592). */
  async remove(clientId: string): Promise<void> {
    await this.deps.clients.delete(clientId);
    this.deps.onClientChange(clientId);
  }

  /** Records registrations, updates and deletions in the event log (never a secret or token). */
  listen(provider: Provider): void {
    const record = async (type: string, ctx: KoaContextWithOIDC, clientId: string, details?: () => Promise<Record<string, unknown>>) => {
      let extra: Record<string, unknown> | undefined;
      try {
        extra = await details?.();
      } catch {
        extra = undefined; // the event matters more than its details
      }
      await this.deps.events.record({ type, clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') || null, ...(extra ? { details: extra } : {}) });
    };
    provider.on('registration_create.success', (ctx, client) => {
      const iat = ctx.oidc.entities.InitialAccessToken;
      void record('client.registered', ctx, client.clientId, async () => ({
        initialAccessToken: iat?.jti ? initialAccessTokenId(iat.jti) : null,
        tenants: (await this.deps.clients.find(client.clientId))?.tenants ?? null,
      }));
    });
    provider.on('registration_update.success', (ctx, client) => void record('client.registration_updated', ctx, client.clientId));
    provider.on('registration_delete.success', (ctx, client) => void record('client.registration_deleted', ctx, client.clientId));
  }
}
