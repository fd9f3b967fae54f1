/**
 * Registers (or brings up to date) the CLI's own client, `sesam-cli`: how a tenant admin signs in
 * from a terminal (`sesam login`) with their own account, never a client secret. First party (no
 * consent page), public with PKCE, native with a loopback redirect on any port (RFC 8252), and no
 * refresh token: an admin token lasts its hour, then `sesam login` again.
 */
import type { Directory } from '../domain/directory.js';
import type { Logger } from '../logger.js';
import { CLI_CLIENT_ID, CLI_REDIRECT_URI, TENANT_ADMIN_SCOPE } from '../model/scopes.js';

export const cliClientMetadata = {
  client_id: CLI_CLIENT_ID,
  client_name: 'Sesam CLI',
  application_type: 'native' as const,
  redirect_uris: [CLI_REDIRECT_URI],
  grant_types: ['authorization_code' as const],
  token_endpoint_auth_method: 'none' as const,
  scope: `openid profile ${TENANT_ADMIN_SCOPE}`,
};

export async function bootstrapCliClient(directory: Directory, logger: Logger): Promise<void> {
  const existing = await directory.clients.find(CLI_CLIENT_ID);
  const m = existing?.metadata;
  const same =
    existing?.firstParty &&
    existing.tenants === null &&
    m?.application_type === 'native' &&
    m.scope === cliClientMetadata.scope &&
    JSON.stringify(m.redirect_uris) === JSON.stringify(cliClientMetadata.redirect_uris) &&
    JSON.stringify(m.grant_types) === JSON.stringify(cliClientMetadata.grant_types);
  if (same) return;
  await directory.putClient({ ...cliClientMetadata, first_party: true, tenants: null });
  logger.info({ clientId: CLI_CLIENT_ID }, 'registered the CLI client');
}
