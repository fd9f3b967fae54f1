/**
 * Words shared by the pages of sessions, apps and recent sign-ins: a browser and system read from
 * a User-Agent (bowser, a maintained parser), a time in the user's language on Belgian time, and
 * each app's name.
 */
import Bowser from 'bowser';
import { html, type Safe } from '../../interactions/views/html.js';
import type { PageContext } from '../../interactions/views/layout.js';
import type { ClientRecord } from '../../src/model/types.js';
import { PORTAL_CLIENT_ID } from '../oidc-client.js';

export interface DeviceName {
  /** "Chrome 131", "Safari 17.2" */
  browser?: string;
  /** "Windows", "iOS", "Linux" */
  system?: string;
}

/** The browser and system a User-Agent names; empty when it names neither (a script, nothing). */
export function deviceName(userAgent: string | null | undefined): DeviceName {
  if (!userAgent?.trim()) return {};
  const { browser, os } = Bowser.parse(userAgent);
  const major = browser.version?.split('.')[0];
  return {
    browser: browser.name ? [browser.name, major].filter(Boolean).join(' ') : undefined,
    // The system's name only: browsers freeze its version in the User-Agent (Windows 11 says
    // "Windows NT 10.0", every recent Mac "10_15_7", recent Android "10"), so a version would mislead.
    system: os.name || undefined,
  };
}

/** "Chrome 131 on Linux" in the page's language, through its `{browser} on {system}` message, or `unknown`. */
export function deviceLabel(t: PageContext['t'], keys: { both: string; unknown: string }, userAgent: string | null | undefined): string {
  const { browser, system } = deviceName(userAgent);
  if (browser && system) return t(keys.both, { browser, system });
  return browser ?? system ?? t(keys.unknown);
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** A date and time as the user reads them (their language, Belgian conventions and time zone). */
export function formatWhen(locale: string, when: Date): string {
  let format = formats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(`${locale}-BE`, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Brussels' });
    formats.set(locale, format);
  }
  return format.format(when);
}

/** A `<time>` element of `when`, machine-readable and in words. */
export function timeElement(locale: string, when: Date): Safe {
  return html`<time datetime="${when.toISOString()}">${formatWhen(locale, when)}</time>`;
}

/** Each registered app's name (its `client_name`, else its id); the portal is the account's own page. */
export function appNames(clients: ClientRecord[], t: PageContext['t']): (clientId: string | null | undefined) => string | undefined {
  const names = new Map(clients.map((c) => [c.clientId, typeof c.metadata.client_name === 'string' && c.metadata.client_name.trim() ? c.metadata.client_name : c.clientId]));
  names.set(PORTAL_CLIENT_ID, t('portal.brand'));
  return (clientId) => (clientId ? (names.get(clientId) ?? clientId) : undefined);
}
