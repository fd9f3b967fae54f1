/**
 * A sign-in driven over plain HTTP, as a script (or an attacker) would: a cookie jar, the
 * authorization request of an openid-client RP, the journey's pages read as HTML and its forms
 * posted back with their hidden fields (the CSRF token among them). Faster than a browser, and
 * free to send what no browser would.
 */
import type { AuthorizationRequest, RelyingParty } from './browser.js';
import { authorizationRequest, exchangeCode } from './browser.js';

export interface Page {
  status: number;
  url: string;
  html: string;
  location?: string;
}

export class JourneyClient {
  readonly jar = new Map<string, string>();
  /** The interaction page this journey is on. */
  interaction?: string;
  request?: AuthorizationRequest;
  /** The app's callback URL once the journey ended (with the code, or an error). */
  callback?: URL;
  /** Sent with every request (e.g. X-Forwarded-For, to be another address behind a proxy). */
  headers: Record<string, string> = {};

  constructor(
    readonly origin: string,
    readonly rp: RelyingParty,
  ) {}

  cookieHeader(): string {
    return [...this.jar.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]).getTime() < Date.now());
      if (expired) this.jar.delete(name);
      else this.jar.set(name, pair.slice(i + 1));
    }
  }

  /** One request with the jar; redirects are not followed. */
  async fetch(url: string, init: RequestInit = {}): Promise<Page> {
    const res = await fetch(new URL(url, this.origin), { ...init, redirect: 'manual', headers: { ...this.headers, ...(init.headers as Record<string, string>), cookie: this.cookieHeader() } });
    this.keep(res);
    const location = res.headers.get('location') ?? undefined;
    return { status: res.status, url: String(new URL(url, this.origin)), html: await res.text(), location: location ? String(new URL(location, url.startsWith('http') ? url : this.origin + url)) : undefined };
  }

  /** Follows redirects until a page of Sesam's or the app's callback. */
  async follow(page: Page): Promise<Page> {
    let current = page;
    for (let hops = 0; current.location && hops < 10; hops++) {
      const next = new URL(current.location);
      if (next.origin !== new URL(this.origin).origin) {
        this.callback = next;
        return current;
      }
      if (/^\/interaction\/[^/]+$/.test(next.pathname)) this.interaction = next.pathname;
      current = await this.fetch(String(next));
    }
    return current;
  }

  /** Starts a new sign-in at the app. */
  async start(extra: Record<string, string> = {}): Promise<Page> {
    this.request = await authorizationRequest(this.rp, extra);
    this.callback = undefined;
    return this.follow(await this.fetch(String(this.request.url)));
  }

  /** The page of the journey as it is now. */
  async current(): Promise<Page> {
    return this.follow(await this.fetch(this.interaction!));
  }

  /** Posts to a step (the journey's CSRF token added unless `csrf` is given), following the answer. */
  async post(step: string, form: Record<string, string>, options: { csrf?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    const token = options.csrf ?? (await this.csrf());
    const page = await this.fetch(`${this.interaction}/${step}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
      body: new URLSearchParams({ csrf: token, ...form }),
    });
    return this.follow(page);
  }

  /** The journey's CSRF token, read from its current page. */
  async csrf(): Promise<string> {
    const page = await this.fetch(this.interaction!);
    return /name="csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
  }

  /** The tokens of a journey that ended at the app with a code. */
  async tokens() {
    if (!this.callback) throw new Error('the journey has not reached the app');
    return exchangeCode(this.rp, this.callback, this.request!);
  }

  /** Identifier then password; returns the page after the password. */
  async signIn(login: string, password: string, extra: Record<string, string> = {}): Promise<Page> {
    await this.start(extra);
    await this.post('identifier', { identifier: login });
    return this.post('password', { password });
  }
}

/** The text of the page's first role="alert" element, tags removed. */
export function alertOf(page: Page | string): string {
  const m = /role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(typeof page === 'string' ? page : page.html);
  return m ? m[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() : '';
}

/** The <h1> of a page. */
export function titleOf(page: Page | string): string {
  return /<h1>([\s\S]*?)<\/h1>/.exec(typeof page === 'string' ? page : page.html)?.[1].trim() ?? '';
}
