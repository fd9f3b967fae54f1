/**
 * Admin API authentication: `Authorization: Bearer <access token>` (RFC 6750 errors), one of
 * - the operator's: issued by client_credentials with the `admin` scope, to a client that still
 *   exists and is still allowed that scope. It may call every route.
 * - a tenant admin's: issued to a user through a client allowed `tenant-admin` (the CLI's
 *   `sesam login`), with that scope. It may call only the routes of scope `tenant-admin`, in the
 *   tenant chosen at that sign-in; whether the user is an admin of it is the domain's question,
 *   asked again at every call (tenant-administration.ts).
 * A tenant admin who has a second factor must have proved it at that sign-in (RFC 9470 step-up).
 * Either must still be valid in the engine: a password change, a reset or a sign-out everywhere
 * revokes a user's grants, and their tokens with them.
 */
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { ApiError } from './errors.js';
import type { Actor } from '../domain/directory.js';
import { OPERATOR_SCOPE, TENANT_ADMIN_SCOPE } from '../model/scopes.js';
import type { SessionProof } from '../oidc/session-proof.js';
import { ACR_2FA } from '../domain/assurance.js';

export const ADMIN_SCOPE = OPERATOR_SCOPE;
export { TENANT_ADMIN_SCOPE };
/** What a route requires: the operator, or (also) an admin of the tenant it names. */
export type AdminScope = typeof OPERATOR_SCOPE | typeof TENANT_ADMIN_SCOPE;
const REALM = 'sesam-admin';

export interface AdminState {
  actor: Actor & { clientId: string };
  /** Set for a tenant admin's token: the tenant chosen at the sign-in that issued it, the only one it acts in. */
  tokenTenant?: string | null;
}

export interface AuthDeps {
  provider: () => Provider;
  /** The tenant chosen at the sign-in of a grant (its org_id), null if none was. */
  grantTenant: (grantId: string) => Promise<string | null>;
  /** The sign-in behind a tenant admin's token proved their second factor, if they have one. */
  sessionProof: SessionProof;
}

const hasScope = (scope: unknown, wanted: string) => String(scope ?? '').split(' ').includes(wanted);

function invalidToken(description: string, withErrorCode = true): ApiError {
  const challenge = withErrorCode ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`;
  return new ApiError(401, 'invalid_token', description, { 'WWW-Authenticate': challenge });
}

function insufficientScope(scope: AdminScope): ApiError {
  const wanted = scope === OPERATOR_SCOPE ? OPERATOR_SCOPE : `${OPERATOR_SCOPE} or ${TENANT_ADMIN_SCOPE}`;
  return new ApiError(403, 'insufficient_scope', `the access token lacks the ${wanted} scope`, {
    'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`,
  });
}

/** Finds a token of `model` by value; a value the engine cannot even parse is just an unknown token. */
async function find<T>(lookup: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch {
    return undefined;
  }
}

/** The bearer token must be the operator's, or (on a `tenant-admin` route) a tenant admin's. */
export function requireAdmin(deps: AuthDeps, scope: AdminScope = OPERATOR_SCOPE) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.get('authorization');
    if (!header) throw invalidToken('an access token is required: Authorization: Bearer <token> (client_credentials with scope admin, or `sesam login`)', false);
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) throw invalidToken('the Authorization header must be "Bearer <token>"');
    const engine = deps.provider();
    const value = match[1];
    const state = ctx.state as AdminState;
    const from = { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined };

    const operator = await find(() => engine.ClientCredentials.find(value));
    if (operator) {
      if (operator.isExpired || !operator.clientId) throw invalidToken('the access token is unknown or expired');
      if (operator.isSenderConstrained()) throw invalidToken('sender-constrained (DPoP or mTLS) tokens are not accepted by the admin API');
      const client = await engine.Client.find(operator.clientId);
      if (!client) throw invalidToken('the client of this access token no longer exists');
      if (!hasScope(operator.scope, OPERATOR_SCOPE) || !hasScope(client.scope, OPERATOR_SCOPE)) throw insufficientScope(scope);
      state.actor = { clientId: operator.clientId, ...from };
      return next();
    }

    const user = await find(() => engine.AccessToken.find(value));
    if (!user || user.isExpired || !user.clientId || !user.accountId || !user.grantId) throw invalidToken('the access token is unknown or expired');
    if (user.isSenderConstrained()) throw invalidToken('sender-constrained (DPoP or mTLS) tokens are not accepted by the admin API');
    const [client, grant] = await Promise.all([engine.Client.find(user.clientId), engine.Grant.find(user.grantId)]);
    if (!client) throw invalidToken('the client of this access token no longer exists');
    if (!grant || grant.accountId !== user.accountId) throw invalidToken('the sign-in of this access token has ended');
    if (scope !== TENANT_ADMIN_SCOPE || !hasScope(user.scope, TENANT_ADMIN_SCOPE) || !hasScope(client.scope, TENANT_ADMIN_SCOPE)) throw insufficientScope(scope);
    // RFC 9470: an admin with a second factor administers only from a sign-in that proved it.
    if (!(await deps.sessionProof(user.accountId, user.sessionUid))) {
      throw new ApiError(403, 'insufficient_user_authentication', 'this sign-in did not prove your second factor: sign in again with it (sesam login)', {
        'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_user_authentication", acr_values="${ACR_2FA}"`,
      });
    }
    state.actor = { clientId: user.clientId, userId: user.accountId, ...from };
    state.tokenTenant = await deps.grantTenant(user.grantId);
    return next();
  };
}
