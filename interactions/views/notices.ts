/**
 * The notices beside the sign-in (seed 004: "Attention aux arnaques !"): the tenant's, then the
 * app's, in the page's language (else English, else any given), plain text escaped, a blank line
 * making a new paragraph. One labelled `aside`, so a screen reader can find it and skip it.
 * Which tenant: the one the journey is in, else the one the request names (`organization`, if
 * the app serves it) or the app's only tenant; never one guessed from the typed identifier, which
 * would tell who has an account where.
 */
import { noticeIn, type Notice } from '../../src/model/notice.js';
import { html, type Safe } from './html.js';
import type { StepContext } from '../step.js';

/** The tenant whose notice the page shows, if any. */
function noticeTenantId(sc: StepContext): string | undefined {
  return sc.journey.tenantId ?? sc.requestTenant;
}

export async function signInNotices(sc: StepContext): Promise<Safe | string> {
  const tenantId = noticeTenantId(sc);
  const tenantNotice: Notice | null | undefined = tenantId ? (await sc.services.tenants.find(tenantId))?.policy.notice : undefined;
  const shown = [noticeIn(tenantNotice, sc.pc.locale), noticeIn(sc.client.notice, sc.pc.locale)].filter((n) => n !== undefined);
  // The same words set on both the tenant and its app are said once.
  const unique = shown.filter((n, i) => shown.findIndex((m) => m.text === n.text) === i);
  if (unique.length === 0) return '';
  return html`<aside class="sign-in-notice" aria-label="${sc.pc.t('notice.label')}">${unique.map((n) =>
    n.text.split(/\n\s*\n/).map((paragraph) => html`<p${n.lang === sc.pc.locale ? '' : html` lang="${n.lang}"`}>${paragraph.trim()}</p>`),
  )}</aside>`;
}
