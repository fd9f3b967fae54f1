/**
 * Builds a Sesam instance from settings: storage, secrets, the OIDC engine, the login journey,
 * the admin API and health endpoints, in one Koa app. `main.ts` runs it; tests and the
 * benchmark build it in-process. Each part is assembled in src/boot/; this file only composes
 * them, in order, and owns what spans them: releasing the stores when a start fails, the
 * sweeper of expired rows, key rotation and the graceful stop.
 */
import type Koa from 'koa';
import type { RedisClient } from './storage/redis.js';
import type { Settings } from '../config/settings.js';
import { createLogger, type Logger } from './logger.js';
import type { Database } from './storage/database.js';
import type { KeyValueStore } from './storage/kv.js';
import { rotateSigningKeys } from './oidc/signing-keys.js';
import { sweepExpired } from './oidc/adapters/index.js';
import { TTL } from './oidc/configuration.js';
import type { ProviderHost } from './oidc/provider-host.js';
import type { EventsRepository } from './repositories/events-repository.js';
import type { Directory, Actor } from './domain/directory.js';
import type { Credentials } from './domain/credentials.js';
import { actorMeta } from './domain/credentials.js';
import { sweepEvents } from './domain/events.js';
import { adminRouter } from './admin/router.js';
import { abandonStores, closeStores, openStores } from './boot/stores.js';
import { buildDomain, openRepositories } from './boot/domain.js';
import { startEngine } from './boot/engine.js';
import { bootstrapAdminClient, applyImportFile } from './boot/bootstrap.js';
import { journeyRouter, journeyServices } from './boot/journey.js';
import { accountPortalRouter, bootstrapPortalClient } from './boot/portal.js';
import { bootstrapCliClient } from './boot/cli-client.js';
import { loadGrantContext } from './oidc/accounts.js';
import { sessionProof } from './oidc/session-proof.js';
import { createHttpServer } from './boot/http.js';

export { StartupError } from './boot/bootstrap.js';
export { isSesamPath } from './boot/http.js';

export interface Sesam {
  settings: Settings;
  logger: Logger;
  app: Koa;
  db: Database;
  redis?: RedisClient;
  kv: KeyValueStore;
  host: ProviderHost;
  directory: Directory;
  /** The writer of credentials (tenant administration and tests build on it). */
  credentials: Credentials;
  events: EventsRepository;
  adminCredentials: { clientId: string; clientSecret: string };
  rotateKeys(actor?: Actor): Promise<string[]>;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createSesam(settings: Settings, logger: Logger = createLogger(settings.logLevel)): Promise<Sesam> {
  const stores = await openStores(settings, logger);
  const { db, redis, kv, cipher } = stores;
  const repos = openRepositories(settings, stores, logger);
  const host = await startEngine(settings, stores, repos, logger);
  const provider = () => host.current;
  const domain = buildDomain(settings, stores, repos, provider, logger);
  const { directory, credentials } = domain;

  // A start that fails from here on releases what it opened (tests build servers in-process).
  const abandon = async (error: unknown): Promise<never> => {
    host.stop();
    await abandonStores(stores);
    throw error;
  };
  const adminCredentials = await bootstrapAdminClient(settings, directory, logger).catch(abandon);
  await bootstrapPortalClient(settings, directory, logger).catch(abandon);
  await bootstrapCliClient(directory, logger).catch(abandon);
  if (settings.importFile) await applyImportFile(settings.importFile, directory, logger).catch(abandon);

  // What another instance changed is forgotten here at once (with Redis; else within the caches' TTL).
  await stores.invalidation
    .subscribe((message) => {
      if (message.startsWith('client:')) repos.clientCache.forget(message.slice('client:'.length));
      else if (message.startsWith('tenant:')) repos.tenantCache.forget(message.slice('tenant:'.length));
      else if (message === 'providers') domain.upstreamProviders.forgetCached();
      else if (message === 'keys') host.reload().catch((err) => logger.error({ err }, 'could not reload keys'));
    })
    .catch(abandon);

  const rotateKeys = async (actor: Actor = {}) => {
    const kids = await rotateSigningKeys(db, cipher, TTL.IdToken + 300);
    await host.reload(true);
    stores.invalidation.publish('keys');
    await repos.events.record({ type: 'admin.keys_rotated', ...actorMeta(actor), targetType: 'key', targetId: kids.join(' '), details: { kids } });
    return kids;
  };
  const services = journeyServices(settings, stores, repos, domain, provider, logger);
  const localOrigin = () => web.localUrl();
  const web = createHttpServer(settings, stores, host, [
    journeyRouter(services),
    accountPortalRouter(settings, stores, repos, domain, services, localOrigin),
    adminRouter({
      directory, events: repos.eventsRepo, provider, rotateKeys, logger, issuer: settings.issuer, db, credentials,
      tenantAdministration: domain.tenantAdministration,
      grantTenant: async (grantId) => (await loadGrantContext(kv, grantId))?.tenantId ?? null,
      sessionProof: sessionProof(provider, credentials),
      registration: repos.registration,
      upstreamProviders: domain.upstreamProviders,
      federatedIdentities: domain.federatedIdentities,
    }),
  ], logger);

  // Expired rows of the SQL stores are swept now and then (Redis expires its own), and events past their retention.
  const sweeper = setInterval(() => {
    void sweepExpired(db).catch((err) => logger.warn({ err }, 'sweep failed'));
    void sweepEvents(repos.eventsRepo, settings.retention).catch((err) => logger.warn({ err }, 'event sweep failed'));
    if (stores.sqlKv) void stores.sqlKv.sweep().catch((err) => logger.warn({ err }, 'sweep failed'));
  }, 10 * 60 * 1000);
  sweeper.unref();

  return {
    settings, logger, app: web.app, db, redis, kv, host, directory, credentials, events: repos.eventsRepo, adminCredentials, rotateKeys,
    listen: web.listen,
    /** Stops taking requests, lets those under way finish, then closes the stores. */
    async close() {
      host.stop();
      clearInterval(sweeper);
      await web.close();
      await repos.passwordRecovery.idle(); // mails being sent finish before their stores close
      await closeStores(stores);
    },
  };
}
