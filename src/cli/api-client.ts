/**
 * The CLI's client of the admin API (/admin/v1): openapi-fetch, typed by the types generated
 * from the API's OpenAPI document (./generated/admin-api.ts, `npm run generate:api-types`), so a
 * call names a documented path and gets the documented answer. It sends the operator's access
 * token, got by client_credentials with the admin client's credentials from the environment; else
 * the token of a tenant admin's `sesam login` for this server; else the operator's, with the data
 * folder's admin-client.json. An error answer becomes one CliError line.
 */
import fs from 'node:fs';
import path from 'node:path';
import createClient, { type Client } from 'openapi-fetch';
import { CliError } from './errors.js';
import type { components, paths } from './generated/admin-api.js';
import { readSignIn } from './saved-sign-in.js';
import { serverUrl } from './server-url.js';

export type AdminApi = Client<paths>;
/** The admin API's schemas (User, Tenant, Client, …), as documented. */
export type Schemas = components['schemas'];

const TIMEOUT_MS = 30000;

export function adminApi(env: NodeJS.ProcessEnv): AdminApi {
  const base = serverUrl(env);
  const transport = new Transport(base);
  const api = createClient<paths>({ baseUrl: base, headers: { accept: 'application/json' }, fetch: (request) => transport.send(request) });
  let token: Promise<string> | undefined;
  api.use({
    onRequest: async ({ request }) => {
      token ??= bearerToken(env, transport, base);
      request.headers.set('authorization', `Bearer ${await token}`);
      return request;
    },
  });
  return api;
}

/** The params of a call on one resource: `/…/{id}`. */
export const byId = (id: string) => ({ params: { path: { id } } });

/** What an openapi-fetch call resolves to: the documented answer, or the documented error. */
interface Outcome<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** The JSON answer of a call, or a CliError saying why it failed: `<error_description> (HTTP <status>)`. */
export async function answer<D>(call: Promise<Outcome<D>>): Promise<D> {
  const { data, response } = await succeeded(call);
  if (data === undefined) throw new CliError(`no answer from ${response.url} (HTTP ${response.status})`);
  return data;
}

/** For a call answered with no content (204): a CliError when it failed. */
export async function completed(call: Promise<Outcome<unknown>>): Promise<void> {
  await succeeded(call);
}

async function succeeded<D>(call: Promise<Outcome<D>>): Promise<Outcome<D>> {
  const outcome = await call;
  if (outcome.error !== undefined || !outcome.response.ok) {
    const { error, error_description: description } = errorFields(outcome.error);
    throw new CliError(`${description ?? error ?? 'no detail'} (HTTP ${outcome.response.status})`);
  }
  return outcome;
}

/** `{ error, error_description }`, read from whatever came (an empty body on a proxy's error, say). */
function errorFields(body: unknown): { error?: string; error_description?: string } {
  if (!body || typeof body !== 'object') return {};
  const text = (value: unknown) => (value === undefined || value === null ? undefined : String(value));
  return { error: text('error' in body ? body.error : undefined), error_description: text('error_description' in body ? body.error_description : undefined) };
}

/** fetch with a timeout, to a Sesam server: an unreachable one, or an answer that is not JSON, is a CliError. */
class Transport {
  constructor(private readonly base: string) {}

  async send(request: Request): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(request, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? 'no answer within 30 s' : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new CliError(`cannot reach Sesam at ${this.base} (${why}); set SESAM_URL`);
    }
    // Read once here so a web page (a wrong SESAM_URL) is named as such, not a JSON parse error.
    const text = await res.clone().text();
    if (text) {
      try {
        JSON.parse(text);
      } catch {
        throw new CliError(
          `unexpected answer from ${request.url} (HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'}): is SESAM_URL (${this.base}) a Sesam server?`,
        );
      }
    }
    return res;
  }
}

/** An admin access token by client_credentials (RFC 6749 §4.4) at the token endpoint, which is not part of the admin API. */
async function adminToken(transport: Transport, base: string, { clientId, clientSecret }: AdminCredentials): Promise<string> {
  const url = `${base}/token`;
  const res = await transport.send(
    new Request(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    }),
  );
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  const token = body && typeof body === 'object' && 'access_token' in body ? body.access_token : undefined;
  if (!res.ok || typeof token !== 'string') {
    const { error, error_description: description } = errorFields(body);
    const why = error ? `${error}${description ? `: ${description}` : ''}` : `HTTP ${res.status}`;
    throw new CliError(`could not get an admin token for client ${clientId} from ${url} (${why})`);
  }
  return token;
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 wants for Basic client credentials. */
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

/** Whose token the calls carry: the operator's from the environment, a tenant admin's sign-in, the operator's from the data folder. */
async function bearerToken(env: NodeJS.ProcessEnv, transport: Transport, base: string): Promise<string> {
  if (env.SESAM_ADMIN_CLIENT_SECRET) return adminToken(transport, base, adminCredentials(env));
  const signedIn = readSignIn(env, base);
  if (signedIn) {
    if (signedIn.expiresAt <= Date.now() + 5000) throw new CliError(`the sign-in of ${signedIn.login ?? 'sesam login'} has ended: run sesam login again`);
    return signedIn.accessToken;
  }
  return adminToken(transport, base, adminCredentials(env));
}

interface AdminCredentials {
  clientId: string;
  clientSecret: string;
}

function adminCredentials(env: NodeJS.ProcessEnv): AdminCredentials {
  const clientId = env.SESAM_ADMIN_CLIENT_ID;
  if (env.SESAM_ADMIN_CLIENT_SECRET) return { clientId: clientId || 'sesam-admin', clientSecret: env.SESAM_ADMIN_CLIENT_SECRET };
  const file = path.resolve(env.SESAM_DATA_DIR || './.sesam', 'admin-client.json');
  let saved: { client_id?: unknown; client_secret?: unknown } | null;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { client_id?: unknown; client_secret?: unknown } | null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CliError(
        `no admin credentials: run sesam login (a tenant admin), or set SESAM_ADMIN_CLIENT_ID and SESAM_ADMIN_CLIENT_SECRET, or SESAM_DATA_DIR to the server's data folder (${file} does not exist)`,
      );
    }
    throw new CliError(`cannot read ${file}: ${code ?? (e as Error).message}`);
  }
  if (typeof saved?.client_id !== 'string' || typeof saved.client_secret !== 'string') throw new CliError(`${file} has no client_id and client_secret`);
  if (clientId && clientId !== saved.client_id) throw new CliError(`${file} is for client ${saved.client_id}, not ${clientId}: set SESAM_ADMIN_CLIENT_SECRET`);
  return { clientId: saved.client_id, clientSecret: saved.client_secret };
}
