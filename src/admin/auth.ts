/**
 * Admin API authentication: `Authorization: Bearer <access token>`, where the token is one the
 * engine issued by client_credentials, still valid, with the `admin` scope, to a client that
 * still exists and is still allowed that scope (RFC 6750 errors).
 */
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { ApiError } from './errors.js';
import type { Actor } from '../domain/directory.js';

export const ADMIN_SCOPE = 'admin';
const REALM = 'sesam-admin';

export interface AdminState {
  actor: Actor & { clientId: string };
}

const hasScope = (scope: unknown, wanted: string) => String(scope ?? '').split(' ').includes(wanted);

function invalidToken(description: string, withErrorCode = true): ApiError {
  const challenge = withErrorCode ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`;
  return new ApiError(401, 'invalid_token', description, { 'WWW-Authenticate': challenge });
}

/** The access token must carry `scope` (every admin route requires `admin` today). */
export function requireAdmin(provider: () => Provider, scope: string = ADMIN_SCOPE) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.get('authorization');
    if (!header) throw invalidToken('an access token is required: Authorization: Bearer <token> (client_credentials, scope admin)', false);
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) throw invalidToken('the Authorization header must be "Bearer <token>"');
    const engine = provider();
    let token: InstanceType<Provider['ClientCredentials']> | undefined;
    try {
      token = await engine.ClientCredentials.find(match[1]);
    } catch {
      token = undefined; // a value the engine cannot even parse is just an unknown token
    }
    if (!token || token.isExpired || !token.clientId) throw invalidToken('the access token is unknown or expired');
    if (token.isSenderConstrained()) throw invalidToken('sender-constrained (DPoP or mTLS) tokens are not accepted by the admin API');
    const client = await engine.Client.find(token.clientId);
    if (!client) throw invalidToken('the client of this access token no longer exists');
    if (!hasScope(token.scope, scope) || !hasScope(client.scope, scope)) {
      throw new ApiError(403, 'insufficient_scope', `the access token lacks the ${scope} scope`, {
        'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`,
      });
    }
    (ctx.state as AdminState).actor = { clientId: token.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined };
    await next();
  };
}
