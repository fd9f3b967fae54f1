/**
 * The account portal in a real browser: sign in at /account (the portal is an app of Sesam, so
 * this is a whole sign-in journey), and run axe-core on a page (no violations allowed).
 */
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';
import type { Sesam } from '../../src/app.js';
import { fillIdentifier, fillPassword } from './browser.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE: string = (require('axe-core') as { source: string }).source;

/** Opens `path` of the portal and signs in with a password; resolves on the portal page. */
export async function portalSignIn(page: Page, baseUrl: string, login: string, password: string, path = '/account'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await fillIdentifier(page, login);
  await fillPassword(page, password);
  await page.waitForURL((url) => url.pathname.startsWith('/account') && !url.pathname.startsWith('/account/callback'));
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * axe-core's violations on the page as it is (WCAG 2.1 A and AA). The page's CSP forbids
 * injected scripts, so the check runs in an isolated world through the DevTools protocol.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('Runtime.enable');
    const { result, exceptionDetails } = await session.send('Runtime.evaluate', {
      expression: `${AXE_SOURCE};axe.run(document,{runOnly:{type:'tag',values:['wcag2a','wcag2aa','wcag21a','wcag21aa','best-practice']}}).then(r=>JSON.stringify(r.violations.map(v=>({id:v.id,impact:v.impact,help:v.help,nodes:v.nodes.map(n=>({target:n.target,failureSummary:n.failureSummary}))}))))`,
      awaitPromise: true,
      returnByValue: true,
    });
    if (exceptionDetails) throw new Error(`axe failed: ${exceptionDetails.text} ${exceptionDetails.exception?.description ?? ''}`);
    return JSON.parse(result.value as string) as AxeViolation[];
  } finally {
    await session.detach();
  }
}

/** A readable list of violations for an assertion message. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');
}

/**
 * Makes the browser's sign-in `seconds` older, in both places that know its time: the engine's
 * session (what `max_age` is checked against) and the portal's session (what `recent` reads).
 */
export async function ageSignIn(sesam: Sesam, context: BrowserContext, seconds: number): Promise<void> {
  const cookie = (await context.cookies()).find((c) => c.name === 'sesam.portal');
  if (!cookie) throw new Error('the browser has no portal session');
  const key = `portal:session:${cookie.value}`;
  const record = await sesam.kv.get<{ authTime: number; providerSessionUid: string }>(key);
  if (!record) throw new Error('the portal session is gone');
  await sesam.kv.set(key, { ...record, authTime: record.authTime - seconds }, 3600);
  const session = await sesam.host.current.Session.findByUid(record.providerSessionUid);
  if (!session) throw new Error('the engine session is gone');
  session.loginTs = (session.loginTs ?? Math.floor(Date.now() / 1000)) - seconds;
  await session.save(3600);
}
