/**
 * Production transport: a JSON POST to an SMS gateway. The body is a template in which
 * `{{to}}` and `{{text}}` are replaced by the JSON-escaped values, so it stays valid JSON.
 */
import { SmsDeliveryError, type SmsMessage, type SmsTransport } from './sms-types.js';

export interface HttpSmsTransportOptions {
  url: string;
  /** The whole Authorization header value (`Bearer …`, `Basic …`), if the gateway needs one. */
  authorization?: string;
  /** JSON with `{{to}}` and `{{text}}`, either inside a string (`"{{to}}"`) or as a whole value. */
  bodyTemplate: string;
  timeoutMs?: number;
}

export class HttpSmsTransport implements SmsTransport {
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpSmsTransportOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    // Fail at start-up, not at the first login, when the template cannot give valid JSON.
    try {
      JSON.parse(renderBody(options.bodyTemplate, { to: '+32470000000', text: 'a "quoted"\ntext \\ {{to}}' }));
    } catch {
      throw new Error('SMS_HTTP_BODY does not give valid JSON once {{to}} and {{text}} are filled in');
    }
  }

  async send(message: SmsMessage): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, */*' };
    if (this.options.authorization) headers.authorization = this.options.authorization;
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers,
        body: renderBody(this.options.bodyTemplate, message),
        // A gateway has no reason to redirect; following one would resend the code elsewhere.
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // Only a fixed sentence and an error code: never the URL (it may hold an API key), the
      // headers or the body.
      throw new SmsDeliveryError(`SMS gateway request failed (${failureReason(err)})`);
    }
    // The answer's body is not read: some gateways echo the message, hence the code.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) {
      throw new SmsDeliveryError(`SMS gateway answered HTTP ${response.status}`, response.status);
    }
  }
}

/**
 * Fills the template in one pass (a value containing `{{text}}` is never substituted again):
 * inside a JSON string (`"{{to}}"`, `"Code: {{text}}"`) a placeholder becomes the escaped
 * characters, outside one (`{"to": {{to}}}`) a whole JSON string.
 */
export function renderBody(template: string, message: SmsMessage): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const name = template.startsWith('{{to}}', i) ? 'to' : template.startsWith('{{text}}', i) ? 'text' : undefined;
    if (name) {
      const json = JSON.stringify(message[name]);
      out += inString ? json.slice(1, -1) : json;
      i += name.length + 3; // past the placeholder (the loop adds the last 1)
      continue;
    }
    const c = template[i];
    out += c;
    if (c === '\\' && inString) {
      out += template[i + 1] ?? '';
      i++;
    } else if (c === '"') {
      inString = !inString;
    }
  }
  return out;
}

function failureReason(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: unknown; name?: unknown } } | undefined;
  if (e?.name === 'TimeoutError') return 'timeout';
  if (e?.name === 'AbortError') return 'aborted';
  const code = e?.cause?.code ?? e?.cause?.name;
  return typeof code === 'string' && /^[A-Za-z_]{1,40}$/.test(code) ? code : 'network error';
}
