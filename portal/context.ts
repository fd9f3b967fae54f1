/**
 * One portal request: the signed-in account, its memberships, the page's language and what a
 * page needs to render forms. Built by `portalRoutes` (routes.ts) after its guards passed.
 */
import type { Context } from 'koa';
import type { Membership, User } from '../src/model/types.js';
import type { RequestMeta } from '../src/domain/events.js';
import type { PageContext } from '../interactions/views/layout.js';
import { html, type Safe } from '../interactions/views/html.js';
import type { PortalDeps } from './deps.js';
import type { PortalSession } from './session.js';
import { PORTAL_CLIENT_ID } from './oidc-client.js';

export interface PortalContext {
  ctx: Context;
  deps: PortalDeps;
  session: PortalSession;
  user: User;
  memberships: Membership[];
  pc: PageContext;
  /** What events and credential changes record of this request. */
  meta: RequestMeta & { ip: string; userAgent: string; clientId: string };
  /** The sign-in is recent enough for a credential change (see PortalDeps.recentSeconds). */
  recent: boolean;
}

/** The hidden anti-forgery field every portal form carries. */
export function csrfField(p: PortalContext): Safe {
  return html`<input type="hidden" name="csrf" value="${p.session.csrf}">`;
}

export function requestMetaOf(ctx: Context): PortalContext['meta'] {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent'), clientId: PORTAL_CLIENT_ID };
}
