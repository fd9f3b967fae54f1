/**
 * A small typed client of the admin API (/admin/v1): an access token by client_credentials
 * with the admin client's credentials (from the environment, else the data folder's
 * admin-client.json), then one method per route the CLI uses. The answer types are the API's
 * JSON as the CLI reads it; --json prints the answer as received.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './errors.js';

export interface TenantPolicy {
  mfa: string;
  lockout: { threshold: number; mode: string };
  [key: string]: unknown;
}
export interface Tenant {
  id: string;
  name: string;
  policy: TenantPolicy;
}
export interface Membership {
  tenantId: string;
  role: string;
}
export interface User {
  id: string;
  login: string;
  email?: string | null;
  name?: string | null;
  phone?: string | null;
  locale?: string | null;
  memberships?: Membership[];
  disabled?: boolean;
  locked?: boolean;
  lockedUntil?: string | null;
  mustChangePassword?: boolean;
  hasPassword?: boolean;
  failedAttempts?: number;
  passwordChangedAt?: string | null;
  createdAt?: string;
  [key: string]: unknown;
}
export interface SecondFactors {
  sms: boolean;
  totp: boolean;
  recoveryCodesRemaining: number;
  passkeys: number;
  trustedDevices: number;
}
export interface Device {
  id: string;
  createdAt: string;
  lastUsedAt?: string | null;
  expiresAt: string;
  ip?: string | null;
  userAgent?: string | null;
}
export interface Passkey {
  id: string;
  name: string;
  authenticator?: string | null;
  aaguid?: string | null;
  synced?: boolean;
  createdAt: string;
  lastUsedAt?: string | null;
  flagged?: boolean;
}
export interface Client {
  client_id: string;
  client_name?: string;
  client_secret?: string;
  token_endpoint_auth_method?: string;
  grant_types?: string[];
  tenants?: string[] | null;
  first_party?: boolean;
  notice?: Record<string, string> | null;
  [key: string]: unknown;
}
export interface SigningKey {
  kid: string;
  alg: string;
  active: boolean;
  published: boolean;
  createdAt: string;
  expiresAt?: string | null;
}
export interface SignInEvent {
  at: string;
  type: string;
  userId?: string | null;
  tenantId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  details?: unknown;
  method?: string | null;
}

export interface NewUser {
  login: string;
  email?: string;
  name?: string;
  phone?: string;
  password?: string;
  tenants: (string | { id: string; role: string })[];
}
export interface NewClient {
  client_id: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  grant_types?: string[];
  tenants?: string[];
  client_secret?: string;
  token_endpoint_auth_method?: string;
  first_party?: true;
  client_name?: string;
  scope?: string;
  application_type?: string;
  notice?: unknown;
}

type Query = Record<string, string | undefined>;

const enc = encodeURIComponent;

function query(params: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The fields of an error or token answer the CLI reads. */
interface ApiAnswer {
  access_token?: unknown;
  error?: unknown;
  error_description?: unknown;
}

const asAnswer = (v: unknown): ApiAnswer => (v && typeof v === 'object' ? (v as ApiAnswer) : {});

export class AdminApi {
  readonly base: string;
  private token: Promise<string> | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.base = baseUrl(env);
  }

  readonly tenants = {
    list: () => this.call<Tenant[]>('GET', '/tenants'),
    get: (id: string) => this.call<Tenant>('GET', `/tenants/${enc(id)}`),
    create: (body: { id: string; name: string; policy?: unknown }) => this.call<Tenant>('POST', '/tenants', body),
    setPolicy: (id: string, patch: object) => this.call<Tenant>('PATCH', `/tenants/${enc(id)}/policy`, patch),
    delete: (id: string) => this.call<unknown>('DELETE', `/tenants/${enc(id)}`),
  };

  readonly users = {
    list: (q: Query) => this.call<User[]>('GET', `/users${query(q)}`),
    get: (user: string) => this.call<User>('GET', `/users/${enc(user)}`),
    create: (body: NewUser) => this.call<User>('POST', '/users', body),
    unlock: (user: string) => this.call<User>('POST', `/users/${enc(user)}/unlock`),
    resetPassword: (user: string, password: string) => this.call<User>('POST', `/users/${enc(user)}/reset-password`, { password }),
    delete: (user: string) => this.call<unknown>('DELETE', `/users/${enc(user)}`),
    events: (user: string, q: Query) => this.call<SignInEvent[]>('GET', `/users/${enc(user)}/events${query(q)}`),
    secondFactors: (user: string) => this.call<SecondFactors>('GET', `/users/${enc(user)}/second-factors`),
    resetSecondFactors: (user: string) => this.call<unknown>('DELETE', `/users/${enc(user)}/second-factors`),
    devices: (user: string) => this.call<Device[]>('GET', `/users/${enc(user)}/devices`),
    revokeDevice: (user: string, id: string) => this.call<unknown>('DELETE', `/users/${enc(user)}/devices/${enc(id)}`),
    passkeys: (user: string) => this.call<Passkey[]>('GET', `/users/${enc(user)}/passkeys`),
    renamePasskey: (user: string, id: string, name: string) => this.call<Passkey>('PATCH', `/users/${enc(user)}/passkeys/${enc(id)}`, { name }),
    deletePasskey: (user: string, id: string) => this.call<unknown>('DELETE', `/users/${enc(user)}/passkeys/${enc(id)}`),
    recoveryCodes: (user: string) => this.call<{ codes: string[] }>('POST', `/users/${enc(user)}/recovery-codes`),
  };

  readonly clients = {
    list: () => this.call<Client[]>('GET', '/clients'),
    get: (id: string) => this.call<Client>('GET', `/clients/${enc(id)}`),
    create: (body: NewClient) => this.call<Client>('POST', '/clients', body),
    setNotice: (id: string, notice: unknown) => this.call<Client>('PUT', `/clients/${enc(id)}/notice`, notice),
    removeNotice: (id: string) => this.call<Client>('DELETE', `/clients/${enc(id)}/notice`),
    delete: (id: string) => this.call<unknown>('DELETE', `/clients/${enc(id)}`),
  };

  readonly keys = {
    list: () => this.call<SigningKey[]>('GET', '/keys'),
    rotate: () => this.call<{ kids: string[] }>('POST', '/keys/rotate'),
  };

  readonly events = {
    list: (q: Query) => this.call<SignInEvent[]>('GET', `/events${query(q)}`),
  };

  /** The answer is the API's JSON, taken as the route's documented shape. */
  private async call<T>(method: string, apiPath: string, body?: unknown): Promise<T> {
    this.token ??= this.getToken();
    const url = `${this.base}/admin/v1${apiPath}`;
    const res = await this.send(url, {
      method,
      headers: {
        authorization: `Bearer ${await this.token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await this.readJson(res, url);
    if (!res.ok) {
      const a = asAnswer(answer);
      const why = a.error_description ?? a.error ?? 'no detail';
      throw new CliError(`${String(why)} (HTTP ${res.status})`);
    }
    return answer as T;
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(30000) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? 'no answer within 30 s' : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new CliError(`cannot reach Sesam at ${this.base} (${why}); set SESAM_URL`);
    }
  }

  private async readJson(res: Response, what: string): Promise<unknown> {
    const text = await res.text();
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CliError(`unexpected answer from ${what} (HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'}): is SESAM_URL (${this.base}) a Sesam server?`);
    }
  }

  private async getToken(): Promise<string> {
    const { clientId, clientSecret } = adminCredentials(this.env);
    const url = `${this.base}/token`;
    const res = await this.send(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    const body = asAnswer(await this.readJson(res, url));
    if (!res.ok || typeof body.access_token !== 'string') {
      const why = body.error ? `${String(body.error)}${body.error_description ? `: ${String(body.error_description)}` : ''}` : `HTTP ${res.status}`;
      throw new CliError(`could not get an admin token for client ${clientId} from ${url} (${why})`);
    }
    return body.access_token;
  }
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 wants for Basic client credentials. */
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

function baseUrl(env: NodeJS.ProcessEnv): string {
  const raw = env.SESAM_URL || env.ISSUER || `http://localhost:${env.PORT || 3000}`;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
  } catch {
    throw new CliError(`SESAM_URL ${raw} is not an http(s) URL`);
  }
  return raw.replace(/\/+$/, '');
}

function adminCredentials(env: NodeJS.ProcessEnv): { clientId: string; clientSecret: string } {
  const clientId = env.SESAM_ADMIN_CLIENT_ID;
  if (env.SESAM_ADMIN_CLIENT_SECRET) return { clientId: clientId || 'sesam-admin', clientSecret: env.SESAM_ADMIN_CLIENT_SECRET };
  const file = path.resolve(env.SESAM_DATA_DIR || './.sesam', 'admin-client.json');
  let saved: { client_id?: unknown; client_secret?: unknown } | null;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { client_id?: unknown; client_secret?: unknown } | null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CliError(`no admin credentials: set SESAM_ADMIN_CLIENT_ID and SESAM_ADMIN_CLIENT_SECRET, or SESAM_DATA_DIR to the server's data folder (${file} does not exist)`);
    }
    throw new CliError(`cannot read ${file}: ${code ?? (e as Error).message}`);
  }
  if (typeof saved?.client_id !== 'string' || typeof saved.client_secret !== 'string') throw new CliError(`${file} has no client_id and client_secret`);
  if (clientId && clientId !== saved.client_id) throw new CliError(`${file} is for client ${saved.client_id}, not ${clientId}: set SESAM_ADMIN_CLIENT_SECRET`);
  return { clientId: saved.client_id, clientSecret: saved.client_secret };
}
