/**
 * `sesam`: the operator CLI, a client of the admin API (except `migrate`, which runs the
 * migrations on the configured database). It gets an access token by client_credentials with
 * the admin client's credentials, calls /admin/v1, and prints short lines and tables, or the
 * API's JSON with --json. Errors: one line on stderr, exit code 1 (2 for usage errors).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  policy: { type: 'string' },
  tenant: { type: 'string', multiple: true },
  email: { type: 'string' },
  password: { type: 'string' },
  phone: { type: 'string' },
  secret: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  'grant-type': { type: 'string', multiple: true },
  'auth-method': { type: 'string' },
  'first-party': { type: 'boolean' },
  'application-type': { type: 'string' },
  notice: { type: 'string' },
  scope: { type: 'string' },
  user: { type: 'string' },
  type: { type: 'string' },
  limit: { type: 'string' },
  offset: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** Wrong command line: exit code 2. */
class UsageError extends Error {}
/** Anything else that went wrong, said in one line: exit code 1. */
class CliError extends Error {}

interface Run {
  args: string[];
  opts: Values;
  api: Api;
  out: (line?: string) => void;
  json: boolean;
}

interface Command {
  usage: string;
  summary: string;
  args: string[];
  options?: OptionName[];
  /** No admin API call (migrate, help). */
  local?: boolean;
  run(r: Run): Promise<void>;
}

// ---------------------------------------------------------------- the admin API client

interface Api {
  base: string;
  call(method: string, path: string, body?: unknown): Promise<any>;
}

function apiClient(env: NodeJS.ProcessEnv): Api {
  const base = baseUrl(env);
  let token: Promise<string> | undefined;

  async function send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(30000) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? 'no answer within 30 s' : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new CliError(`cannot reach Sesam at ${base} (${why}); set SESAM_URL`);
    }
  }

  async function readJson(res: Response, what: string): Promise<any> {
    const text = await res.text();
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new CliError(`unexpected answer from ${what} (HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'}): is SESAM_URL (${base}) a Sesam server?`);
    }
  }

  async function getToken(): Promise<string> {
    const { clientId, clientSecret } = adminCredentials(env);
    const url = `${base}/token`;
    const res = await send(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    const body = await readJson(res, url);
    if (!res.ok || typeof body?.access_token !== 'string') {
      const why = body?.error ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}` : `HTTP ${res.status}`;
      throw new CliError(`could not get an admin token for client ${clientId} from ${url} (${why})`);
    }
    return body.access_token;
  }

  return {
    base,
    async call(method, apiPath, body) {
      token ??= getToken();
      const url = `${base}/admin/v1${apiPath}`;
      const res = await send(url, {
        method,
        headers: {
          authorization: `Bearer ${await token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = await readJson(res, url);
      if (!res.ok) {
        const why = answer?.error_description ?? answer?.error ?? 'no detail';
        throw new CliError(`${why} (HTTP ${res.status})`);
      }
      return answer;
    },
  };
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
  let saved: { client_id?: unknown; client_secret?: unknown };
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'));
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

// ---------------------------------------------------------------- output

function table(out: Run['out'], headers: string[], rows: unknown[][]): void {
  if (rows.length === 0) {
    out('(none)');
    return;
  }
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  out(line(headers));
  for (const r of cells) out(line(r));
}

function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (Array.isArray(v)) return v.length ? v.map(cell).join(',') : '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).replace(/\s+/g, ' ');
}

function fields(out: Run['out'], obj: Record<string, unknown>, keys: string[]): void {
  const width = Math.max(...keys.map((k) => k.length)) + 1;
  for (const k of keys) out(`${`${k}:`.padEnd(width)} ${cell(obj[k])}`);
}

const yesNo = (v: unknown) => (v ? 'yes' : 'no');

const when = (iso: unknown) => (typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : iso);

function userState(u: any): string {
  const states: string[] = [];
  if (u.disabled) states.push('disabled');
  if (u.locked) states.push('locked');
  else if (u.lockedUntil && new Date(u.lockedUntil) > new Date()) states.push(`locked until ${when(u.lockedUntil)}`);
  if (u.mustChangePassword) states.push('must change password');
  if (!u.hasPassword) states.push('no password');
  return states.length ? states.join(', ') : 'active';
}

const memberships = (u: any) => (u.memberships ?? []).map((m: any) => (m.role === 'admin' ? `${m.tenantId}:admin` : m.tenantId));

function printEvents(out: Run['out'], events: any[], withUser: boolean): void {
  table(
    out,
    ['AT', 'TYPE', ...(withUser ? ['USER'] : []), 'TENANT', 'CLIENT', 'IP', 'DETAILS'],
    events.map((e) => [when(e.at), e.type, ...(withUser ? [e.userId] : []), e.tenantId, e.clientId, e.ip, e.details ?? e.method]),
  );
}

// ---------------------------------------------------------------- arguments

const enc = encodeURIComponent;

function tenantArgs(values: string[] | undefined): (string | { id: string; role: string })[] {
  return (values ?? []).map((v) => {
    const [id, role, ...rest] = v.split(':');
    if (!id || rest.length || (role !== undefined && role !== 'admin' && role !== 'member')) throw new UsageError(`--tenant ${v}: expected TENANT or TENANT:admin`);
    return role ? { id, role } : id;
  });
}

function jsonArg(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}

/** `--password -` reads the password from the first line of standard input (keeps it out of `ps`). */
function passwordArg(value: string | undefined): string | undefined {
  if (value !== '-') return value;
  const line = fs.readFileSync(0, 'utf8').split(/\r?\n/)[0];
  if (!line) throw new UsageError('--password -: nothing on standard input');
  return line;
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

const single = (name: string, values: string[] | undefined): string | undefined => {
  if (values && values.length > 1) throw new UsageError(`--${name} may be given once here`);
  return values?.[0];
};

// ---------------------------------------------------------------- commands

const commands: Record<string, Command> = {
  'tenants list': {
    usage: 'tenants list',
    summary: 'list tenants',
    args: [],
    async run({ api, out, json }) {
      const tenants = await api.call('GET', '/tenants');
      if (json) return out(JSON.stringify(tenants, null, 2));
      table(out, ['ID', 'NAME', 'MFA', 'LOCKOUT'], tenants.map((t: any) => [t.id, t.name, t.policy.mfa, `${t.policy.lockout.threshold} ${t.policy.lockout.mode}`]));
    },
  },
  'tenants get': {
    usage: 'tenants get <id>',
    summary: 'show a tenant and its policy',
    args: ['id'],
    async run({ api, out, json, args }) {
      const t = await api.call('GET', `/tenants/${enc(args[0])}`);
      if (json) return out(JSON.stringify(t, null, 2));
      fields(out, t, ['id', 'name']);
      out('policy:');
      for (const [k, v] of Object.entries(t.policy)) out(`  ${k}: ${cell(v)}`);
    },
  },
  'tenants create': {
    usage: 'tenants create <id> --name NAME [--policy JSON]',
    summary: 'create a tenant',
    args: ['id'],
    options: ['name', 'policy'],
    async run({ api, out, json, args, opts }) {
      if (!opts.name) throw new UsageError('tenants create: --name is required');
      const policy = opts.policy === undefined ? undefined : jsonArg('--policy', opts.policy);
      const t = await api.call('POST', '/tenants', { id: args[0], name: opts.name, ...(policy === undefined ? {} : { policy }) });
      if (json) return out(JSON.stringify(t, null, 2));
      out(`created tenant ${t.id} (${t.name})`);
    },
  },
  'tenants set-policy': {
    usage: "tenants set-policy <id> JSON   e.g. '{\"mfa\":\"required\",\"lockout\":{\"threshold\":5}}'",
    summary: "change some keys of a tenant's policy",
    args: ['id', 'JSON'],
    async run({ api, out, json, args }) {
      const patch = jsonArg('policy', args[1]);
      if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new UsageError('policy: must be a JSON object');
      const t = await api.call('PATCH', `/tenants/${enc(args[0])}/policy`, patch);
      if (json) return out(JSON.stringify(t, null, 2));
      out(`updated the policy of tenant ${t.id}: ${JSON.stringify(t.policy)}`);
    },
  },
  'tenants delete': {
    usage: 'tenants delete <id>',
    summary: 'delete a tenant (its memberships go with it)',
    args: ['id'],
    async run({ api, out, json, args }) {
      await api.call('DELETE', `/tenants/${enc(args[0])}`);
      out(json ? JSON.stringify({ deleted: 'tenant', id: args[0] }) : `deleted tenant ${args[0]}`);
    },
  },

  'users list': {
    usage: 'users list [--tenant T] [--limit N] [--offset N]',
    summary: 'list users',
    args: [],
    options: ['tenant', 'limit', 'offset'],
    async run({ api, out, json, opts }) {
      const users = await api.call('GET', `/users${query({ tenant: single('tenant', opts.tenant), limit: opts.limit, offset: opts.offset })}`);
      if (json) return out(JSON.stringify(users, null, 2));
      table(out, ['ID', 'LOGIN', 'EMAIL', 'TENANTS', 'STATE'], users.map((u: any) => [u.id, u.login, u.email, memberships(u), userState(u)]));
    },
  },
  'users get': {
    usage: 'users get <id|login|email>',
    summary: 'show a user',
    args: ['user'],
    async run({ api, out, json, args }) {
      const u = await api.call('GET', `/users/${enc(args[0])}`);
      if (json) return out(JSON.stringify(u, null, 2));
      fields(out, { ...u, tenants: memberships(u), state: userState(u), createdAt: when(u.createdAt), passwordChangedAt: when(u.passwordChangedAt) }, [
        'id',
        'login',
        'email',
        'name',
        'phone',
        'locale',
        'tenants',
        'state',
        'failedAttempts',
        'passwordChangedAt',
        'createdAt',
      ]);
    },
  },
  'users create': {
    usage: 'users create <login> [--email E] [--password P|-] [--phone P] [--name N] [--tenant T[:admin]]...',
    summary: 'create a user; a password is initial: it must be changed at the first sign-in',
    args: ['login'],
    options: ['email', 'password', 'phone', 'name', 'tenant'],
    async run({ api, out, json, args, opts }) {
      const body = {
        login: args[0],
        ...(opts.email ? { email: opts.email } : {}),
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.phone ? { phone: opts.phone } : {}),
        ...(opts.password ? { password: passwordArg(opts.password) } : {}),
        tenants: tenantArgs(opts.tenant),
      };
      const u = await api.call('POST', '/users', body);
      if (json) return out(JSON.stringify(u, null, 2));
      out(`created user ${u.login} (${u.id})`);
    },
  },
  'users unlock': {
    usage: 'users unlock <id|login|email>',
    summary: 'unlock a locked user',
    args: ['user'],
    async run({ api, out, json, args }) {
      const u = await api.call('POST', `/users/${enc(args[0])}/unlock`);
      if (json) return out(JSON.stringify(u, null, 2));
      out(`unlocked user ${u.login}`);
    },
  },
  'users reset-password': {
    usage: 'users reset-password <id|login|email> --password P|-',
    summary: 'set an initial password (to be changed at the next sign-in) and unlock',
    args: ['user'],
    options: ['password'],
    async run({ api, out, json, args, opts }) {
      if (!opts.password) throw new UsageError('users reset-password: --password is required');
      const u = await api.call('POST', `/users/${enc(args[0])}/reset-password`, { password: passwordArg(opts.password) });
      if (json) return out(JSON.stringify(u, null, 2));
      out(`set an initial password for ${u.login}: they must change it at the next sign-in`);
    },
  },
  'users delete': {
    usage: 'users delete <id|login|email>',
    summary: 'delete a user',
    args: ['user'],
    async run({ api, out, json, args }) {
      await api.call('DELETE', `/users/${enc(args[0])}`);
      out(json ? JSON.stringify({ deleted: 'user', id: args[0] }) : `deleted user ${args[0]}`);
    },
  },
  'users events': {
    usage: 'users events <id|login|email> [--type X] [--limit N]',
    summary: "a user's events, newest first",
    args: ['user'],
    options: ['type', 'limit'],
    async run({ api, out, json, args, opts }) {
      const events = await api.call('GET', `/users/${enc(args[0])}/events${query({ type: opts.type, limit: opts.limit })}`);
      if (json) return out(JSON.stringify(events, null, 2));
      printEvents(out, events, false);
    },
  },
  'users second-factors': {
    usage: 'users second-factors <id|login|email>',
    summary: "show a user's second factors (SMS, authenticator app, recovery codes, passkeys, trusted devices)",
    args: ['user'],
    async run({ api, out, json, args }) {
      const s = await api.call('GET', `/users/${enc(args[0])}/second-factors`);
      if (json) return out(JSON.stringify(s, null, 2));
      fields(out, { sms: yesNo(s.sms), totp: yesNo(s.totp), recoveryCodes: `${s.recoveryCodesRemaining} left`, passkeys: s.passkeys, trustedDevices: s.trustedDevices }, [
        'sms',
        'totp',
        'recoveryCodes',
        'passkeys',
        'trustedDevices',
      ]);
    },
  },
  'users reset-2fa': {
    usage: 'users reset-2fa <id|login|email>',
    summary: "switch a user's second factors off (lost phone): app, recovery codes, passkeys, phone proof, trusted devices",
    args: ['user'],
    async run({ api, out, json, args }) {
      await api.call('DELETE', `/users/${enc(args[0])}/second-factors`);
      out(json ? JSON.stringify({ reset: 'second-factors', user: args[0] }) : `reset the second factors of ${args[0]}: they sign in with their password and enrol again`);
    },
  },
  'users devices': {
    usage: 'users devices <id|login|email>',
    summary: "a user's trusted devices (browsers that skip the second factor), newest first",
    args: ['user'],
    async run({ api, out, json, args }) {
      const devices = await api.call('GET', `/users/${enc(args[0])}/devices`);
      if (json) return out(JSON.stringify(devices, null, 2));
      table(
        out,
        ['ID', 'CREATED', 'LAST_USED', 'EXPIRES', 'IP', 'USER_AGENT'],
        devices.map((d: any) => [d.id, when(d.createdAt), when(d.lastUsedAt), when(d.expiresAt), d.ip, d.userAgent]),
      );
    },
  },
  'users revoke-device': {
    usage: 'users revoke-device <id|login|email> <device_id>',
    summary: 'revoke a trusted device: it must pass the second factor again',
    args: ['user', 'device_id'],
    async run({ api, out, json, args }) {
      await api.call('DELETE', `/users/${enc(args[0])}/devices/${enc(args[1])}`);
      out(json ? JSON.stringify({ revoked: 'device', user: args[0], id: args[1] }) : `revoked device ${args[1]} of ${args[0]}`);
    },
  },
  'users passkeys': {
    usage: 'users passkeys <id|login|email>',
    summary: "a user's passkeys, newest first (FLAGGED: a cloned key was detected, it no longer signs in)",
    args: ['user'],
    async run({ api, out, json, args }) {
      const passkeys = await api.call('GET', `/users/${enc(args[0])}/passkeys`);
      if (json) return out(JSON.stringify(passkeys, null, 2));
      table(
        out,
        ['ID', 'NAME', 'AUTHENTICATOR', 'SYNCED', 'CREATED', 'LAST_USED', 'STATE'],
        passkeys.map((p: any) => [p.id, p.name, p.authenticator ?? p.aaguid, yesNo(p.synced), when(p.createdAt), when(p.lastUsedAt), p.flagged ? 'FLAGGED' : 'active']),
      );
    },
  },
  'users rename-passkey': {
    usage: 'users rename-passkey <id|login|email> <passkey_id> <name>',
    summary: 'rename a passkey (1-100 characters)',
    args: ['user', 'passkey_id', 'name'],
    async run({ api, out, json, args }) {
      const p = await api.call('PATCH', `/users/${enc(args[0])}/passkeys/${enc(args[1])}`, { name: args[2] });
      if (json) return out(JSON.stringify(p, null, 2));
      out(`renamed passkey ${p.id} of ${args[0]} to "${p.name}"`);
    },
  },
  'users delete-passkey': {
    usage: 'users delete-passkey <id|login|email> <passkey_id>',
    summary: 'remove a passkey: it no longer signs in',
    args: ['user', 'passkey_id'],
    async run({ api, out, json, args }) {
      await api.call('DELETE', `/users/${enc(args[0])}/passkeys/${enc(args[1])}`);
      out(json ? JSON.stringify({ deleted: 'passkey', user: args[0], id: args[1] }) : `deleted passkey ${args[1]} of ${args[0]}`);
    },
  },
  'users recovery-codes': {
    usage: 'users recovery-codes <id|login|email>',
    summary: 'issue new recovery codes (the earlier ones stop working); shown once',
    args: ['user'],
    async run({ api, out, json, args }) {
      const r = await api.call('POST', `/users/${enc(args[0])}/recovery-codes`);
      if (json) return out(JSON.stringify(r, null, 2));
      out(`new recovery codes for ${args[0]} (shown this once; the earlier ones no longer work):`);
      for (const code of r.codes) out(`  ${code}`);
    },
  },

  'clients list': {
    usage: 'clients list',
    summary: 'list client apps',
    args: [],
    async run({ api, out, json }) {
      const clients = await api.call('GET', '/clients');
      if (json) return out(JSON.stringify(clients, null, 2));
      table(
        out,
        ['CLIENT_ID', 'NAME', 'AUTH', 'GRANTS', 'TENANTS', 'FIRST_PARTY'],
        clients.map((c: any) => [c.client_id, c.client_name, c.token_endpoint_auth_method, c.grant_types, c.tenants ?? 'all', c.first_party ? 'yes' : 'no']),
      );
    },
  },
  'clients get': {
    usage: 'clients get <client_id>',
    summary: 'show a client app (never its secret)',
    args: ['client_id'],
    async run({ api, out, json, args }) {
      const c = await api.call('GET', `/clients/${enc(args[0])}`);
      if (json) return out(JSON.stringify(c, null, 2));
      fields(out, { ...c, tenants: c.tenants ?? 'all' }, Object.keys({ ...c, tenants: null }));
    },
  },
  'clients create': {
    usage:
      'clients create <client_id> --redirect-uri U... [--post-logout-redirect-uri U]... [--grant-type G]... [--tenant T]... [--secret S] [--auth-method M] [--first-party] [--name N] [--scope S] [--application-type web|native] [--notice JSON]',
    summary: 'register a client app; a generated secret is shown once',
    args: ['client_id'],
    options: ['redirect-uri', 'post-logout-redirect-uri', 'grant-type', 'tenant', 'secret', 'auth-method', 'first-party', 'name', 'scope', 'application-type', 'notice'],
    async run({ api, out, json, args, opts }) {
      const body = {
        client_id: args[0],
        redirect_uris: opts['redirect-uri'] ?? [],
        ...(opts['post-logout-redirect-uri'] ? { post_logout_redirect_uris: opts['post-logout-redirect-uri'] } : {}),
        ...(opts['grant-type'] ? { grant_types: opts['grant-type'] } : {}),
        ...(opts.tenant ? { tenants: opts.tenant } : {}),
        ...(opts.secret ? { client_secret: opts.secret } : {}),
        ...(opts['auth-method'] ? { token_endpoint_auth_method: opts['auth-method'] } : {}),
        ...(opts['first-party'] ? { first_party: true } : {}),
        ...(opts.name ? { client_name: opts.name } : {}),
        ...(opts.scope ? { scope: opts.scope } : {}),
        ...(opts['application-type'] ? { application_type: opts['application-type'] } : {}),
        ...(opts.notice ? { notice: jsonArg('--notice', opts.notice) } : {}),
      };
      const c = await api.call('POST', '/clients', body);
      if (json) return out(JSON.stringify(c, null, 2));
      out(`created client ${c.client_id} (${c.token_endpoint_auth_method === 'none' ? 'public, PKCE' : c.token_endpoint_auth_method})`);
      if (c.client_secret) out(`client_secret: ${c.client_secret}   (shown this once: keep it now)`);
    },
  },
  'clients set-notice': {
    usage: 'clients set-notice <client_id> JSON|none   e.g. \'{"fr":"Attention aux arnaques !","en":"Beware of scams!"}\'',
    summary: 'set the notice shown beside the sign-in to an app (per language), or remove it with none',
    args: ['client_id', 'JSON'],
    async run({ api, out, json, args }) {
      const c =
        args[1] === 'none'
          ? await api.call('DELETE', `/clients/${enc(args[0])}/notice`)
          : await api.call('PUT', `/clients/${enc(args[0])}/notice`, jsonArg('notice', args[1]));
      if (json) return out(JSON.stringify(c, null, 2));
      out(c.notice ? `set the notice of client ${c.client_id}` : `removed the notice of client ${c.client_id}`);
    },
  },
  'clients delete': {
    usage: 'clients delete <client_id>',
    summary: 'delete a client app',
    args: ['client_id'],
    async run({ api, out, json, args }) {
      await api.call('DELETE', `/clients/${enc(args[0])}`);
      out(json ? JSON.stringify({ deleted: 'client', id: args[0] }) : `deleted client ${args[0]}`);
    },
  },

  'keys list': {
    usage: 'keys list',
    summary: 'list signing keys',
    args: [],
    async run({ api, out, json }) {
      const keys = await api.call('GET', '/keys');
      if (json) return out(JSON.stringify(keys, null, 2));
      table(
        out,
        ['KID', 'ALG', 'STATE', 'CREATED', 'UNPUBLISHED_AT'],
        keys.map((k: any) => [k.kid, k.alg, k.active ? 'active' : k.published ? 'retired (published)' : 'expired', when(k.createdAt), when(k.expiresAt)]),
      );
    },
  },
  'keys rotate': {
    usage: 'keys rotate',
    summary: 'new signing keys; the old ones stay published until their tokens expire',
    args: [],
    async run({ api, out, json }) {
      const r = await api.call('POST', '/keys/rotate');
      if (json) return out(JSON.stringify(r, null, 2));
      out(`rotated the signing keys; now signing with ${r.kids.join(', ')}`);
    },
  },

  events: {
    usage: 'events [--user U] [--tenant T] [--type X] [--limit N]',
    summary: 'the event log, newest first',
    args: [],
    options: ['user', 'tenant', 'type', 'limit'],
    async run({ api, out, json, opts }) {
      const events = await api.call('GET', `/events${query({ user: opts.user, tenant: single('tenant', opts.tenant), type: opts.type, limit: opts.limit })}`);
      if (json) return out(JSON.stringify(events, null, 2));
      printEvents(out, events, true);
    },
  },

  migrate: {
    usage: 'migrate',
    summary: 'run the database migrations on DATABASE_URL (or the embedded database in SESAM_DATA_DIR); needs the server\'s master key (SESAM_ENCRYPTION_KEY or SESAM_DATA_DIR/master.key)',
    args: [],
    local: true,
    async run({ out, json }) {
      const { loadSettings, SettingsError } = await import('../../config/settings.js');
      const { openDatabase } = await import('../storage/database.js');
      const { migrateLatest } = await import('../storage/migrate.js');
      const { loadMasterKey } = await import('../secrets/master-key.js');
      let settings;
      try {
        settings = loadSettings(process.env);
      } catch (e) {
        if (e instanceof SettingsError) throw new CliError(e.message);
        throw e;
      }
      // The server's key, found the same way (SESAM_ENCRYPTION_KEY, else the data folder's
      // master.key): some migrations seal or key stored secrets with it.
      let masterKey: Buffer;
      try {
        masterKey = loadMasterKey(settings.encryptionKey, settings.dataDir);
      } catch (e) {
        throw new CliError(`cannot load the master key: ${(e as Error).message}`);
      }
      const db = openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
      try {
        const applied = await migrateLatest(db, { masterKey });
        if (json) out(JSON.stringify({ applied }));
        else out(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'the database is up to date');
      } catch (e) {
        throw new CliError(`migrations failed: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        await db.destroy().catch(() => undefined);
      }
    },
  },

  help: {
    usage: 'help [command]',
    summary: 'this help',
    args: [],
    local: true,
    async run({ out }) {
      out(helpText());
    },
  },
};

const GROUPS = ['tenants', 'users', 'clients', 'keys'];

function helpText(): string {
  const lines = [
    'usage: sesam <command> [options] [--json]',
    '',
    'commands:',
    ...Object.values(commands).map((c) => `  ${c.usage}\n      ${c.summary}`),
    '',
    '--json prints the admin API answer as JSON.',
    'environment: SESAM_URL (default ISSUER, else http://localhost:$PORT, else http://localhost:3000),',
    '  SESAM_ADMIN_CLIENT_ID and SESAM_ADMIN_CLIENT_SECRET, else ${SESAM_DATA_DIR:-./.sesam}/admin-client.json.',
    'exit codes: 0 done, 1 failed, 2 wrong command line.',
  ];
  return lines.join('\n');
}

function resolve(positionals: string[]): { key: string; command: Command; args: string[] } {
  const [first, second, ...rest] = positionals;
  if (!first) throw new UsageError('no command given (see sesam help)');
  if (GROUPS.includes(first)) {
    const actions = Object.keys(commands).filter((k) => k.startsWith(`${first} `)).map((k) => k.slice(first.length + 1));
    if (!second) throw new UsageError(`${first}: which one? ${actions.join(', ')}`);
    const key = `${first} ${second}`;
    if (!commands[key]) throw new UsageError(`${first} ${second}: unknown command (${first}: ${actions.join(', ')})`);
    return { key, command: commands[key], args: rest };
  }
  if (!commands[first]) throw new UsageError(`unknown command "${first}" (see sesam help)`);
  return { key: first, command: commands[first], args: positionals.slice(1) };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = (line = '') => void process.stdout.write(`${line}\n`);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (e) {
      const message = (e as Error).message.split('\n')[0];
      const unknown = /^Unknown option '([^']+)'/.exec(message);
      throw new UsageError(unknown ? `unknown option ${unknown[1]} (see sesam help)` : message);
    }
    const { values: opts, positionals } = parsed;
    if (positionals.length === 0 && opts.help) {
      out(helpText());
      return 0;
    }
    const { key, command, args } = resolve(positionals);
    if (opts.help) {
      out(`usage: sesam ${command.usage}\n  ${command.summary}`);
      return 0;
    }
    if (key === 'help' && args.length) {
      const { command: about } = resolve(args);
      out(`usage: sesam ${about.usage}\n  ${about.summary}`);
      return 0;
    }
    const allowed = new Set<string>(['json', 'help', ...(command.options ?? [])]);
    for (const name of Object.keys(opts)) if (!allowed.has(name)) throw new UsageError(`${key}: --${name} does not apply here (usage: sesam ${command.usage})`);
    if (args.length !== command.args.length) {
      throw new UsageError(`${key}: expected ${command.args.length ? command.args.map((a) => `<${a}>`).join(' ') : 'no arguments'} (usage: sesam ${command.usage})`);
    }
    const api: Api = command.local
      ? { base: '', call: () => Promise.reject(new Error('no API for this command')) }
      : apiClient(env);
    await command.run({ args, opts, api, out, json: !!opts.json });
    return 0;
  } catch (e) {
    const message = (e as Error).message?.split('\n')[0] || String(e);
    process.stderr.write(`sesam: ${message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
