/**
 * The account portal driven over plain HTTP, as a browser (or an attacker) would, with its own
 * cookie jar and User-Agent: the portal's whole sign-in (it is an app of Sesam), its pages read
 * as HTML, its forms posted with the session's anti-forgery token. Faster than a browser for
 * authorisation tests that need several users on several "devices".
 */
import { JourneyClient, type Page } from './journey-client.js';
import type { RelyingParty } from './browser.js';

export const USER_AGENTS = {
  firefoxWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  chromeMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36',
  edgeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
} as const;

export class PortalHttp extends JourneyClient {
  constructor(origin: string, userAgent: string, rp?: RelyingParty) {
    super(origin, rp ?? (undefined as unknown as RelyingParty));
    this.headers = { 'user-agent': userAgent, 'accept-language': 'en' };
  }

  /** Signs in to the portal (identifier, password) and returns the page it lands on. */
  async portalSignIn(login: string, password: string): Promise<Page> {
    await this.follow(await this.fetch('/account'));
    await this.post('identifier', { identifier: login });
    return this.post('password', { password });
  }

  /** A portal page (redirects followed: a signed-out browser ends on the sign-in). */
  async page(path: string): Promise<Page> {
    return this.follow(await this.fetch(path));
  }

  /** The portal session's anti-forgery token, read from a page. */
  async portalCsrf(): Promise<string> {
    const page = await this.page('/account');
    const token = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
    if (!token) throw new Error(`no portal page: ${page.url}`);
    return token;
  }

  /** Posts a portal form (the token added unless given) and returns the answer, not followed. */
  async action(path: string, form: Record<string, string>, options: { csrf?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    const csrf = options.csrf ?? (await this.portalCsrf());
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
      body: new URLSearchParams({ csrf, ...form }),
    });
  }

  /** Whether this browser is still signed in to the portal. */
  async signedIn(): Promise<boolean> {
    const res = await this.fetch('/account');
    return res.status === 200;
  }
}

/** The one-time message of a page (`role="status"` or `role="alert"`), tags removed. */
export function flashOf(page: Page): { kind: 'success' | 'error'; text: string } | undefined {
  const m = /<div (?:class="status" )?role="(status|alert)"[^>]*>([\s\S]*?)<\/div>/.exec(page.html);
  return m ? { kind: m[1] === 'status' ? 'success' : 'error', text: m[2].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() } : undefined;
}

/** The values of the hidden inputs named `name` on a page. */
export function hiddenValues(page: Page, name: string): string[] {
  return [...page.html.matchAll(new RegExp(`<input type="hidden" name="${name}" value="([^"]+)">`, 'g'))].map((m) => m[1]);
}

/** The text of the page's <main>, tags removed. */
export function mainText(page: Page): string {
  const main = /<main[^>]*>([\s\S]*?)<\/main>/.exec(page.html)?.[1] ?? '';
  return main.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}
