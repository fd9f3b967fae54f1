/**
 * Starts the OIDC engine (node-oidc-provider) inside its ProviderHost: Sesam's provider
 * configuration over the stores' adapters and the cached client records, accounts found through
 * the users repository, the engine's own pages (errors, logout) in Sesam's look, the login
 * journey as its interaction URL, the interaction policy that asks again when a grant's tenant
 * does not fit, and the event listeners: errors go to the log, a token response is counted in
 * the metrics, and a revoked grant takes its tenant context with it. The host is loaded from the
 * stored signing keys and then watches them, so a rotation made on any instance reaches every one.
 */
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../logger.js';
import type { Stores } from './stores.js';
import type { Repositories } from './domain.js';
import { adapterFactory } from '../oidc/adapters/index.js';
import { clientAdapterClass } from '../oidc/client-adapter.js';
import { providerConfiguration } from '../oidc/configuration.js';
import { interactionPolicyFor } from '../oidc/policy.js';
import { deleteGrantContext, findAccountFunction, loadGrantContext } from '../oidc/accounts.js';
import { ProviderHost } from '../oidc/provider-host.js';
import { SessionMetaStore, recordSessionMeta } from '../oidc/session-meta.js';
import { providerPages } from '../../interactions/views/provider-pages.js';

const ERROR_EVENTS = [
  'grant.error',
  'authorization.error',
  'introspection.error',
  'revocation.error',
  'userinfo.error',
  'end_session.error',
  'registration_create.error',
  'registration_read.error',
  'registration_update.error',
  'registration_delete.error',
] as const;

export async function startEngine(settings: Settings, { db, redis, kv, cipher, cookieKeys, metrics }: Stores, { users, clientCache, registration }: Repositories, logger: Logger): Promise<ProviderHost> {
  const ClientAdapter = clientAdapterClass(clientCache, registration);
  const pages = providerPages(settings.defaultLocale);

  const host = new ProviderHost({
    issuer: settings.issuer,
    db,
    cipher,
    logger,
    trustProxy: settings.trustProxy,
    configure: (jwks) => ({
      ...providerConfiguration({
        adapter: adapterFactory({ db, redis, overrides: { Client: ClientAdapter } }),
        jwks,
        cookieKeys,
        rememberDays: settings.sessionRememberDays,
        findAccount: findAccountFunction(users, kv),
        renderError: pages.renderError,
        logoutSource: pages.logoutSource,
        postLogoutSuccessSource: pages.postLogoutSuccessSource,
        registration: registration.features(),
      }),
      interactions: {
        url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
        policy: interactionPolicyFor({ grantTenant: async (grantId) => (await loadGrantContext(kv, grantId))?.tenantId }),
      },
      // `recovery`: the one-time handle of an e-mailed password-reset link (the account portal forwards it).
      extraParams: ['organization', 'recovery'],
    }),
    onBuilt: (provider) => {
      // Where each sign-in came from (browser, address), for the account portal's list of sessions.
      provider.use(recordSessionMeta(new SessionMetaStore(kv), logger));
      registration.listen(provider);
      // One per successful token response (tokens issued by grant type); the grant type is one the engine supports.
      provider.on('grant.success', (ctx) => metrics.countToken(ctx.oidc.params?.grant_type as string | undefined));
      provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oidc server error'));
      for (const event of ERROR_EVENTS) {
        (provider as unknown as NodeJS.EventEmitter).on(event, (_ctx: unknown, err: { error?: string; error_detail?: string }) =>
          logger.debug({ event, error: err.error, detail: err.error_detail }, 'oidc error'),
        );
      }
      provider.on('grant.revoked', (ctx, grantId) => {
        logger.debug({ grantId, route: ctx?.oidc?.route }, 'grant revoked');
        void deleteGrantContext(kv, grantId);
      });
    },
  });
  await host.reload(true);
  host.watch();
  return host;
}
