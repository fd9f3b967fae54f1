/** One HTTP call as a script would make it: a bearer token or Basic client credentials, a JSON or form body, the answer parsed when it is JSON. */
import type { TestServer } from './server.js';

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** `raw`: a body sent as is, with `contentType` (JSON by default): malformed or foreign bodies. */
export async function call(
  url: string,
  method: string,
  options: { token?: string; body?: unknown; form?: Record<string, string>; basic?: [string, string]; raw?: string; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.basic) headers.authorization = `Basic ${Buffer.from(options.basic.map(encodeURIComponent).join(':')).toString('base64')}`;
  if (options.raw !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = options.raw;
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // left as text: the assertions show it
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** A token by client_credentials at the server's token endpoint. */
export function clientCredentials(server: TestServer, clientId: string, secret: string, scope?: string): Promise<Answer> {
  return call(`${server.url}/token`, 'POST', { basic: [clientId, secret], form: { grant_type: 'client_credentials', ...(scope ? { scope } : {}) } });
}
