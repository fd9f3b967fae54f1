/**
 * The provider's answer to a link started in the account portal (src/upstream/link-requests.ts):
 * same callback route as a sign-in, told apart by its state. The account is the one that started
 * it in this browser (the cookie nonce); the link is made and the browser goes back to the portal,
 * which says how it went (`linked=<id>` or `link_error=<code>`). No sign-in happens here.
 */
import type { Context } from 'koa';
import { FederationError } from '../src/domain/federation.js';
import { LINK_COOKIE } from '../src/upstream/link-requests.js';
import { UpstreamError } from '../src/upstream/upstream-client.js';
import { callbackUri } from './upstream.js';
import type { Services } from './services.js';

export async function finishPortalLink(ctx: Context, services: Services, providerId: string, query: Record<string, string>): Promise<void> {
  const { federation } = services;
  const request = await federation.links.take(query.state ?? '', ctx.cookies.get(LINK_COOKIE) ?? undefined);
  ctx.cookies.set(LINK_COOKIE, null, { path: '/interaction/callback', secure: services.secureCookies, httpOnly: true, sameSite: 'lax' });
  const back = (result: string) => {
    ctx.status = 303;
    ctx.redirect(`${request?.returnTo ?? '/account/security/linked'}?${result}`);
  };
  if (!request || request.pending.providerId !== providerId) return back('link_error=state_mismatch');
  const provider = await federation.providers.find(providerId);
  if (!provider || !provider.enabled) return back('link_error=misconfigured');
  const meta = { ip: ctx.ip, userAgent: ctx.get('user-agent'), clientId: 'sesam-account' };
  try {
    const identity = await federation.client.finish(provider, request.pending, { redirectUri: callbackUri(services.issuer, providerId), query });
    await federation.accounts.link(request.userId, provider, identity, { ...meta, how: 'portal' });
  } catch (err) {
    const code = err instanceof UpstreamError ? err.code : err instanceof FederationError ? err.code : 'unreachable';
    services.logger.warn({ provider: providerId, code, reason: (err as Error).message }, 'upstream link failed');
    return back(`link_error=${code}`);
  }
  back(`linked=${encodeURIComponent(providerId)}`);
}
