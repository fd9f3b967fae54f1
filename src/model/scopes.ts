/** The scopes Sesam knows, and those a relying party may ask for unless its registration says otherwise. */
export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'phone', 'admin'] as const;
export const DEFAULT_CLIENT_SCOPE = 'openid offline_access profile email phone';
