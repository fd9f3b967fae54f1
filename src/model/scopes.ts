/** The scopes Sesam knows, and those a relying party may ask for unless its registration says otherwise. */
export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'phone', 'admin', 'tenant-admin'] as const;
export const DEFAULT_CLIENT_SCOPE = 'openid offline_access profile email phone';

/**
 * `admin`: the operator, by client_credentials (every tenant, clients, keys).
 * `tenant-admin`: a user signed in through a client allowed it; the admin API then lets them act
 * in the tenant chosen at that sign-in, and only while they are an admin of it.
 */
export const OPERATOR_SCOPE = 'admin';
export const TENANT_ADMIN_SCOPE = 'tenant-admin';

/** The CLI's own client (`sesam login`): first party, public, native with a loopback redirect (RFC 8252). */
export const CLI_CLIENT_ID = 'sesam-cli';
export const CLI_REDIRECT_URI = 'http://127.0.0.1/callback';
