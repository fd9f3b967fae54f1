/**
 * Upstream providers (issue 12) as operators configure them, through the admin API, the CLI (over
 * the API) and the import file: Google, itsme and any OpenID provider. A provider is given as
 * input (model/upstream-provider.ts) whose missing fields its preset fills in; it is checked
 * (issuer, secrets, key, tenants and clients) and stored with its secrets sealed. The buttons of
 * every identifier page (`shownFor`) come from a list cached like the tenants' policies
 * (CLIENT_CACHE_SECONDS): a change forgets it here and, through `onChange`, on every other
 * instance (storage/invalidation.ts). The upstream leg (`find`) reads the database, so a provider
 * disabled or deleted anywhere is refused at once, whatever a page still shows.
 *
 * Secrets never leave through `providerView` nor through events: an answer says whether a client
 * secret and a private key are set, and of the key only its public `kid` and `kty`.
 */
import { calculateJwkThumbprint, CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import type { Queryable } from '../storage/database.js';
import { upstreamProviderInputSchema, type ProviderPreset, type UpstreamProvider } from '../model/upstream-provider.js';
import { UpstreamProvidersRepository, type StoredUpstreamProvider } from '../repositories/upstream-providers-repository.js';
import { FederatedIdentitiesRepository } from '../repositories/federated-identities-repository.js';
import { TenantsRepository } from '../repositories/tenants-repository.js';
import { ClientsRepository } from '../repositories/clients-repository.js';
import type { Cipher } from '../secrets/cipher.js';
import type { EventLog } from './events.js';
import { actorMeta, type Actor } from './credentials.js';
import { DirectoryError } from './directory-error.js';
import { describeZodError } from './schemas.js';
import { ReadCache } from '../storage/read-cache.js';

/** itsme's production issuer. Its test environment is {@link ITSME_E2E_ISSUER}: give it as `issuer` with the itsme preset. */
export const ITSME_ISSUER = 'https://idp.prd.itsme.services/v2';
/** itsme's test ("e2e") environment, for a service code of its sandbox. */
export const ITSME_E2E_ISSUER = 'https://idp.e2e.itsme.services/v2';
/** itsme's levels of assurance, sent as `acrValues`: substantial (the default) or advanced. */
export const ITSME_ACR = { substantial: 'http://itsme.net/loa/substantial', advanced: 'http://itsme.net/loa/advanced' } as const;

type PresetDefaults = Pick<UpstreamProvider, 'tokenEndpointAuthMethod' | 'requestObject' | 'scopes' | 'subjectClaim' | 'trustedForTwoFactors' | 'icon'> & {
  issuer?: string;
  acrValues?: string;
  /** Absent: the provider's id, in every language. */
  label?: UpstreamProvider['label'];
};

const OIDC_SCOPES = ['openid', 'email', 'profile'];

/**
 * What each preset fills in; every field given in the input wins.
 * - google: a client secret (client_secret_basic); its sign-in is not trusted as two factors
 *   (a Google password alone may be behind it).
 * - itsme: `private_key_jwt` and signed request objects (RFC 9101) with the provider's private key,
 *   `acr_values` substantial, trusted as two factors (itsme proves possession of the phone and a
 *   PIN or biometrics). itsme also wants the scope `service:<SERVICE_CODE>` naming the operator's
 *   service at itsme: the operator adds it to `scopes` (e.g. `["openid", "profile", "email",
 *   "service:MYSERVICE"]`); its test environment is ITSME_E2E_ISSUER, given as `issuer`.
 * - generic: any OpenID provider: the operator names its issuer; a client secret by default.
 */
export const PRESETS: Record<ProviderPreset, PresetDefaults> = {
  google: {
    issuer: 'https://accounts.google.com',
    tokenEndpointAuthMethod: 'client_secret_basic',
    requestObject: false,
    scopes: OIDC_SCOPES,
    subjectClaim: 'sub',
    trustedForTwoFactors: false,
    icon: 'google',
    label: { fr: 'Google', nl: 'Google', de: 'Google', en: 'Google' },
  },
  itsme: {
    issuer: ITSME_ISSUER,
    tokenEndpointAuthMethod: 'private_key_jwt',
    requestObject: true,
    scopes: ['openid', 'profile', 'email'],
    acrValues: ITSME_ACR.substantial,
    subjectClaim: 'sub',
    trustedForTwoFactors: true,
    icon: 'itsme',
    label: { fr: 'itsme', nl: 'itsme', de: 'itsme', en: 'itsme' },
  },
  generic: {
    tokenEndpointAuthMethod: 'client_secret_basic',
    requestObject: false,
    scopes: OIDC_SCOPES,
    subjectClaim: 'sub',
    trustedForTwoFactors: false,
    icon: 'none',
  },
};

/** A provider without its secrets: what pages may be given. */
export type PublicUpstreamProvider = Omit<UpstreamProvider, 'clientSecret' | 'privateKeyJwk'>;

/** A provider as the admin API shows it: never a secret. */
export interface UpstreamProviderView extends PublicUpstreamProvider {
  hasClientSecret: boolean;
  hasPrivateKey: boolean;
  /** The private key's public identification only. */
  privateKey: { kid: string; kty: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

export function providerView(p: StoredUpstreamProvider): UpstreamProviderView {
  const { clientSecret, privateKeyJwk, ...rest } = p;
  return {
    ...rest,
    hasClientSecret: !!clientSecret,
    hasPrivateKey: !!privateKeyJwk,
    privateKey: privateKeyJwk ? { kid: String(privateKeyJwk.kid), kty: String(privateKeyJwk.kty) } : null,
  };
}

function withoutSecrets(p: UpstreamProvider): PublicUpstreamProvider {
  const { clientSecret: _s, privateKeyJwk: _k, ...rest } = p;
  return rest;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** The algorithms a private key may sign with, per key type; the first is the default (by curve for EC). */
const RSA_ALGS = ['RS256', 'PS256', 'RS384', 'PS384', 'RS512', 'PS512'];
const EC_ALGS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

const invalid = (message: string) => new DirectoryError('invalid', message);

export interface PutResult {
  provider: StoredUpstreamProvider;
  created: boolean;
  /** False when the provider already held exactly this (nothing was written). */
  changed: boolean;
}

export interface UpstreamProvidersDeps {
  cipher: Cipher;
  events: EventLog;
  /** How long an instance keeps the list the buttons are drawn from (0: read it every time). */
  cacheSeconds?: number;
  /** Called after a provider was written or deleted (the other instances forget their list). */
  onChange?: () => void;
}

export class UpstreamProviders {
  private readonly repo: UpstreamProvidersRepository;
  private readonly identities: FederatedIdentitiesRepository;
  private readonly tenants: TenantsRepository;
  private readonly clients: ClientsRepository;
  private readonly shownList: ReadCache<StoredUpstreamProvider[]>;

  constructor(
    db: Queryable,
    private readonly deps: UpstreamProvidersDeps,
    shownList?: ReadCache<StoredUpstreamProvider[]>,
  ) {
    this.repo = new UpstreamProvidersRepository(db, deps.cipher);
    this.shownList = shownList ?? new ReadCache(() => this.repo.list(), deps.cacheSeconds ?? 0);
    this.identities = new FederatedIdentitiesRepository(db);
    this.tenants = new TenantsRepository(db);
    // Only whether a client exists and which tenants it serves: its secret is not unsealed.
    this.clients = new ClientsRepository(db);
  }

  /** The same service bound to a transaction, its events with it (an import). */
  with(db: Queryable): UpstreamProviders {
    // The list stays the instance's: a transaction's writes forget it through onChange.
    return new UpstreamProviders(db, { ...this.deps, events: this.deps.events.with(db) }, this.shownList);
  }

  /** Forgets the cached list of providers (another instance changed one). */
  forgetCached(): void {
    this.shownList.forget();
  }

  private changed(): void {
    this.shownList.forget();
    this.deps.onChange?.();
  }

  /** Every provider, by id, secrets included (for the server's own use; the API shows `providerView`). */
  list(): Promise<StoredUpstreamProvider[]> {
    return this.repo.list();
  }

  /** One provider with its secrets, for the upstream leg of a sign-in; undefined when there is none. */
  find(id: string): Promise<StoredUpstreamProvider | undefined> {
    return this.repo.find(id);
  }

  async require(id: string): Promise<StoredUpstreamProvider> {
    const p = await this.repo.find(id);
    if (!p) throw new DirectoryError('not_found', `provider ${id} does not exist`);
    return p;
  }

  /**
   * Creates or replaces a provider from an operator's input (checked against
   * upstreamProviderInputSchema), its preset filling in what is not given. A secret not given
   * again is kept while the configuration still uses it (like a client's); a secret given that
   * it does not use is refused. `skipUnchanged` (the import): write and record nothing when the
   * provider already holds exactly this.
   */
  async put(input: unknown, actor: Actor = {}, options: { skipUnchanged?: boolean } = {}): Promise<PutResult> {
    const parsed = upstreamProviderInputSchema.safeParse(input);
    if (!parsed.success) throw invalid(describeZodError(parsed.error));
    const existing = await this.repo.find(parsed.data.id);
    const provider = await this.resolve(parsed.data, existing);
    if (existing && options.skipUnchanged && sameProvider(existing, provider)) return { provider: existing, created: false, changed: false };
    const stored = await this.repo.upsert(provider);
    this.changed();
    await this.deps.events.record({
      type: existing ? 'admin.provider_updated' : 'admin.provider_created',
      ...actorMeta(actor),
      targetType: 'provider',
      targetId: stored.id,
      // Whether secrets were given, never what they are.
      details: { provider: stored.id, preset: stored.preset, clientSecretGiven: !!parsed.data.clientSecret, privateKeyGiven: !!parsed.data.privateKeyJwk },
    });
    return { provider: stored, created: !existing, changed: true };
  }

  /** Deletes a provider and every identity linked through it (their accounts stay). */
  async delete(id: string, actor: Actor = {}): Promise<void> {
    const identities = await this.identities.countByProvider(id);
    if (!(await this.repo.delete(id))) throw new DirectoryError('not_found', `provider ${id} does not exist`);
    this.changed();
    await this.deps.events.record({ type: 'admin.provider_deleted', ...actorMeta(actor), targetType: 'provider', targetId: id, details: { provider: id, identities } });
  }

  /**
   * The enabled providers whose buttons a sign-in shows, without their secrets: a provider
   * limited to client apps shows on those only; one limited to tenants shows when the sign-in's
   * tenant is one of them. While the tenant is not yet known (before the tenant picker, without an
   * `organization` parameter), a provider limited to tenants shows when the client app serves one
   * of them (an app serving every tenant serves them all). Where a button shows is no permission:
   * what the journey does after the provider answers is its own decision.
   */
  async shownFor({ tenantId, clientId }: { tenantId?: string | null; clientId: string }): Promise<PublicUpstreamProvider[]> {
    const providers = (await this.shownList.get('all')).filter((p) => p.enabled && (p.clients === null || p.clients.includes(clientId)));
    let clientTenants: string[] | null | undefined;
    const shown: PublicUpstreamProvider[] = [];
    for (const p of providers) {
      if (p.tenants !== null) {
        if (tenantId) {
          if (!p.tenants.includes(tenantId)) continue;
        } else {
          // Read once, and only when a provider needs it; an unknown app serves no tenant.
          if (clientTenants === undefined) {
            const client = await this.clients.find(clientId);
            clientTenants = client ? client.tenants : [];
          }
          if (clientTenants !== null && !clientTenants.some((t) => p.tenants!.includes(t))) continue;
        }
      }
      shown.push(withoutSecrets(p));
    }
    return shown;
  }

  /** The input with its preset's defaults, checked; the secrets given, or kept from `existing`. */
  private async resolve(input: ReturnType<typeof upstreamProviderInputSchema.parse>, existing: UpstreamProvider | undefined): Promise<UpstreamProvider> {
    const preset = PRESETS[input.preset];
    const issuer = input.issuer ?? preset.issuer;
    if (!issuer) throw invalid(`issuer: required for a ${input.preset} provider`);
    checkIssuer(issuer);
    const tokenEndpointAuthMethod = input.tokenEndpointAuthMethod ?? preset.tokenEndpointAuthMethod;
    const requestObject = input.requestObject ?? preset.requestObject;
    const scopes = input.scopes ?? preset.scopes;
    if (!scopes.includes('openid')) throw invalid('scopes: must include openid');

    const usesSecret = tokenEndpointAuthMethod !== 'private_key_jwt';
    const usesKey = tokenEndpointAuthMethod === 'private_key_jwt' || requestObject;
    if (input.clientSecret && !usesSecret) throw invalid(`clientSecret: not used with tokenEndpointAuthMethod ${tokenEndpointAuthMethod}`);
    if (input.privateKeyJwk && !usesKey) throw invalid('privateKeyJwk: used only with tokenEndpointAuthMethod private_key_jwt or requestObject');
    const clientSecret = usesSecret ? (input.clientSecret ?? existing?.clientSecret) : undefined;
    if (usesSecret && !clientSecret) throw invalid(`clientSecret: required with tokenEndpointAuthMethod ${tokenEndpointAuthMethod}`);
    const privateKeyJwk = usesKey ? (input.privateKeyJwk ? await checkPrivateKey(input.privateKeyJwk) : existing?.privateKeyJwk) : undefined;
    if (usesKey && !privateKeyJwk) {
      throw invalid(`privateKeyJwk: required with ${tokenEndpointAuthMethod === 'private_key_jwt' ? 'tokenEndpointAuthMethod private_key_jwt' : 'requestObject'} (a private RSA or EC JWK)`);
    }

    const tenants = input.tenants ?? null;
    for (const [i, t] of (tenants ?? []).entries()) if (!(await this.tenants.find(t))) throw new DirectoryError('not_found', `tenants.${i}: tenant ${t} does not exist`);
    const clients = input.clients ?? null;
    for (const [i, c] of (clients ?? []).entries()) if (!(await this.clients.find(c))) throw new DirectoryError('not_found', `clients.${i}: client ${c} does not exist`);

    const acrValues = input.acrValues === '' ? undefined : (input.acrValues ?? preset.acrValues);
    return {
      id: input.id,
      kind: input.kind,
      preset: input.preset,
      issuer,
      clientId: input.clientId,
      ...(clientSecret ? { clientSecret } : {}),
      ...(privateKeyJwk ? { privateKeyJwk } : {}),
      tokenEndpointAuthMethod,
      requestObject,
      scopes: [...new Set(scopes)],
      ...(acrValues ? { acrValues } : {}),
      subjectClaim: input.subjectClaim ?? preset.subjectClaim,
      trustedForTwoFactors: input.trustedForTwoFactors ?? preset.trustedForTwoFactors,
      label: input.label ?? preset.label ?? { fr: input.id, nl: input.id, de: input.id, en: input.id },
      icon: input.icon ?? preset.icon,
      tenants: tenants ? [...new Set(tenants)] : null,
      clients: clients ? [...new Set(clients)] : null,
      authoritativeDomains: [...new Set(input.authoritativeDomains ?? [])],
      enabled: input.enabled ?? true,
    };
  }
}

/** https, or http on the loopback interface only (tests, a provider on the same machine); no query, fragment or credentials. */
function checkIssuer(issuer: string): void {
  const url = new URL(issuer);
  if (url.search || url.hash) throw invalid('issuer: must have no query or fragment');
  if (url.username || url.password) throw invalid('issuer: must not carry credentials');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return;
  throw invalid('issuer: must be an https URL (http only on loopback: 127.0.0.1, localhost, [::1])');
}

/**
 * A private RSA (2048 bits at least) or EC (P-256, P-384, P-521) JWK that imports: returned with
 * its `alg` (given, else RS256 or the curve's) and its `kid` (given, else its RFC 7638 thumbprint),
 * which the upstream leg puts in the headers of its client assertions and request objects.
 */
async function checkPrivateKey(jwk: Record<string, unknown>): Promise<Record<string, unknown>> {
  const kty = jwk.kty;
  if (kty !== 'RSA' && kty !== 'EC') throw invalid('privateKeyJwk: kty must be RSA or EC');
  if (typeof jwk.d !== 'string') throw invalid('privateKeyJwk: a public key; the private key (with "d") is needed');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw invalid('privateKeyJwk: use must be sig');
  const defaultAlg = kty === 'RSA' ? RSA_ALGS[0] : EC_ALGS[String(jwk.crv)];
  if (!defaultAlg) throw invalid('privateKeyJwk: crv must be P-256, P-384 or P-521');
  const alg = jwk.alg === undefined ? defaultAlg : String(jwk.alg);
  if (kty === 'RSA' ? !RSA_ALGS.includes(alg) : alg !== defaultAlg) throw invalid(`privateKeyJwk: alg ${alg} does not suit a${kty === 'RSA' ? 'n RSA key' : ` ${String(jwk.crv)} key`}`);
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(jwk as JWK, alg);
  } catch (e) {
    throw invalid(`privateKeyJwk: not a valid ${kty} private key (${(e as Error).message})`);
  }
  if (key instanceof Uint8Array || key.type !== 'private') throw invalid('privateKeyJwk: not a private key');
  const modulus = (key.algorithm as { modulusLength?: number }).modulusLength;
  if (kty === 'RSA' && (modulus ?? 0) < 2048) throw invalid('privateKeyJwk: an RSA key must have 2048 bits at least');
  // An import does not prove the private parts belong to the public ones: a signature does.
  if (!(await signsForItsPublicKey(jwk, key, alg))) throw invalid(`privateKeyJwk: its private part does not match its public part (${kty === 'RSA' ? 'n, e' : 'x, y'})`);
  const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : await calculateJwkThumbprint(jwk as JWK);
  return { ...jwk, alg, kid };
}

/** Signs a test message with the private key and verifies it with the key's public members. */
async function signsForItsPublicKey(jwk: Record<string, unknown>, key: CryptoKey, alg: string): Promise<boolean> {
  const members = jwk.kty === 'RSA' ? ['kty', 'n', 'e'] : ['kty', 'crv', 'x', 'y'];
  try {
    const publicKey = await importJWK(Object.fromEntries(members.map((m) => [m, jwk[m]])) as JWK, alg);
    const jws = await new CompactSign(new TextEncoder().encode('sesam upstream key check')).setProtectedHeader({ alg }).sign(key);
    await compactVerify(jws, publicKey);
    return true;
  } catch {
    return false;
  }
}

/** True when storing `next` would change nothing of `existing` (the database may keep JSON keys in another order). */
function sameProvider(existing: StoredUpstreamProvider, next: UpstreamProvider): boolean {
  const { createdAt: _c, updatedAt: _u, ...stored } = existing;
  return canonical(stored) === canonical(next);
}

function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => [k, sort(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}
