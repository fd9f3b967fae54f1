/**
 * Builds a Sesam instance from settings: storage, secrets, the OIDC engine, the login journey,
 * the admin API and health endpoints, in one Koa app. `main.ts` runs it; tests and the
 * benchmark build it in-process.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import type { Redis } from 'ioredis';
import type { Settings } from '../config/settings.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, pingDatabase, type Database } from './storage/database.js';
import { migrateLatest } from './storage/migrate.js';
import { openRedis } from './storage/redis.js';
import { RedisKeyValueStore, SqlKeyValueStore, type KeyValueStore } from './storage/kv.js';
import { Cipher } from './secrets/cipher.js';
import { loadMasterKey } from './secrets/master-key.js';
import { Keyring } from './secrets/keyring.js';
import { getOrCreateSecret, randomSecret } from './repositories/secrets-repository.js';
import { ensureSigningKeys, rotateSigningKeys } from './oidc/signing-keys.js';
import { adapterFactory, sweepExpired } from './oidc/adapters/index.js';
import { clientAdapterClass } from './oidc/client-adapter.js';
import { ClientCache } from './oidc/client-cache.js';
import { providerConfiguration, TTL } from './oidc/configuration.js';
import { interactionPolicyFor } from './oidc/policy.js';
import { findAccountFunction, loadGrantContext } from './oidc/accounts.js';
import { ProviderHost } from './oidc/provider-host.js';
import { UsersRepository } from './repositories/users-repository.js';
import { TenantsRepository } from './repositories/tenants-repository.js';
import { ClientsRepository } from './repositories/clients-repository.js';
import { EventsRepository } from './repositories/events-repository.js';
import { PasswordHasher } from './domain/passwords.js';
import { PasswordAuthenticator } from './domain/authentication.js';
import { EventLog } from './domain/events.js';
import { Directory, type Actor } from './domain/directory.js';
import { importFileSchema, describeZodError } from './domain/schemas.js';
import { securityHeaders } from './http/security-headers.js';
import { useIssuerScheme } from './http/https-issuer.js';
import { errorHandler } from './http/error-handler.js';
import { adminRouter } from './admin/router.js';
import { interactionRouter } from '../interactions/router.js';
import { JourneyStore } from '../interactions/journey.js';
import { providerPages, pageContextFor } from '../interactions/views/provider-pages.js';
import { page } from '../interactions/views/layout.js';
import { html } from '../interactions/views/html.js';
import type { Services } from '../interactions/services.js';
import { FactorsRepository } from './repositories/factors-repository.js';
import { DevicesRepository } from './repositories/devices-repository.js';
import { TotpService } from './domain/totp.js';
import { RecoveryCodes } from './domain/recovery-codes.js';
import { TrustedDevices } from './domain/trusted-devices.js';
import { createSmsTransport } from './delivery/sms.js';
import { PasswordFailureThrottle, SmsSendLimiter } from './security/rate-limits.js';
import { Credentials } from './domain/credentials.js';
import { CodeAttempts } from './domain/code-attempts.js';
import { AccountSessions } from './oidc/account-sessions.js';
import { accountIndex } from './oidc/adapters/account-index.js';

/** A problem that stops the server at start, with a message for the operator. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export interface Sesam {
  settings: Settings;
  logger: Logger;
  app: Koa;
  db: Database;
  redis?: Redis;
  kv: KeyValueStore;
  host: ProviderHost;
  directory: Directory;
  events: EventsRepository;
  adminCredentials: { clientId: string; clientSecret: string };
  rotateKeys(actor?: Actor): Promise<string[]>;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createSesam(settings: Settings, logger: Logger = createLogger(settings.logLevel)): Promise<Sesam> {
  const db = openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
  const masterKey = loadMasterKey(settings.encryptionKey, settings.dataDir);
  const applied = await migrateLatest(db, { masterKey });
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const redis = settings.redisUrl ? openRedis(settings.redisUrl, settings.redisKeyPrefix) : undefined;
  const kv: KeyValueStore = redis ? new RedisKeyValueStore(redis) : new SqlKeyValueStore(db);

  const cipher = new Cipher(masterKey);
  const keyring = new Keyring(masterKey);
  const cookieKeys = settings.cookieKeys ?? [await getOrCreateSecret(db, cipher, 'cookie-key-1', randomSecret)];
  await ensureSigningKeys(db, cipher);

  const users = new UsersRepository(db);
  const tenants = new TenantsRepository(db);
  const clients = new ClientsRepository(db, cipher);
  const eventsRepo = new EventsRepository(db);
  const events = new EventLog(eventsRepo, logger);
  const hasher = new PasswordHasher(settings.argon2, settings.argon2Concurrency);
  const clientCache = new ClientCache(clients, settings.clientCacheSeconds);
  const ClientAdapter = clientAdapterClass(clientCache);
  const pages = providerPages(settings.defaultLocale);
  const grantTtlSeconds = Math.max(settings.sessionRememberDays * 24 * 3600, TTL.RefreshToken);

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
      }),
      interactions: {
        url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
        policy: interactionPolicyFor({ grantTenant: async (grantId) => (await loadGrantContext(kv, grantId))?.tenantId }),
      },
      extraParams: ['organization'],
    }),
    onBuilt: (provider) => {
      provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oidc server error'));
      for (const event of ['grant.error', 'authorization.error', 'introspection.error', 'revocation.error', 'userinfo.error', 'end_session.error'] as const) {
        (provider as unknown as NodeJS.EventEmitter).on(event, (_ctx: unknown, err: { error?: string; error_detail?: string }) =>
          logger.debug({ event, error: err.error, detail: err.error_detail }, 'oidc error'),
        );
      }
      provider.on('grant.revoked', (ctx, grantId) => {
        logger.debug({ grantId, route: ctx?.oidc?.route }, 'grant revoked');
        void kv.delete(`grant-ctx:${grantId}`);
      });
    },
  });
  await host.reload(true);
  host.watch();

  const factors = new FactorsRepository(db);
  const totp = new TotpService(factors, cipher);
  const recoveryCodes = new RecoveryCodes(factors, keyring.key('recovery-codes'));
  const trustedDevices = new TrustedDevices(new DevicesRepository(db));
  const accountSessions = new AccountSessions({ provider: () => host.current, index: accountIndex({ db, redis }), kv, logger });
  const credentials = new Credentials({ db, hasher, events, totp, recoveryCodes, sessions: accountSessions });

  const directory = new Directory(db, {
    hasher,
    events,
    validateClient: async (metadata) => {
      await host.current.Client.validate(metadata as never);
    },
    onClientChange: (id) => clientCache.forget(id),
    cipher,
    credentials,
  });

  // A start that fails from here on releases what it opened (tests build servers in-process).
  const abandon = async (error: unknown): Promise<never> => {
    host.stop();
    await db.destroy().catch(() => undefined);
    redis?.disconnect();
    throw error;
  };
  const adminCredentials = await bootstrapAdminClient(settings, directory, logger).catch(abandon);
  if (settings.importFile) await applyImportFile(settings.importFile, directory, logger).catch(abandon);

  const services: Services = {
    provider: () => host.current,
    origin: new URL(settings.issuer).origin,
    credentials,
    codeAttempts: new CodeAttempts(users, events),
    journeys: new JourneyStore(kv, TTL.Interaction),
    kv,
    users,
    tenants,
    clients: clientCache,
    passwords: new PasswordAuthenticator(users, hasher, events, new PasswordFailureThrottle({ redis, kv, key: keyring.key('rate-limits') }), trustedDevices),
    events,
    defaultLocale: settings.defaultLocale,
    grantTtlSeconds,
    logger,
    cipher,
    totp,
    recoveryCodes,
    trustedDevices,
    sms: {
      transport: createSmsTransport(settings, logger),
      limiter: new SmsSendLimiter({ redis, db, kv, key: keyring.key('rate-limits') }),
      codeTtlSeconds: settings.sms.codeTtlSeconds,
      resendSeconds: settings.sms.resendSeconds,
      codeKey: keyring.key('sms-codes'),
    },
    secureCookies: settings.issuer.startsWith('https:'),
  };

  const rotateKeys = async (actor: Actor = {}) => {
    const kids = await rotateSigningKeys(db, cipher, TTL.IdToken + 300);
    await host.reload(true);
    await events.record({ type: 'admin.keys_rotated', clientId: actor.clientId, ip: actor.ip, details: { kids } });
    return kids;
  };

  const app = new Koa();
  app.keys = cookieKeys; // the same keys as the engine's, so interaction cookies are signed alike
  app.proxy = settings.trustProxy;
  useIssuerScheme(app, settings.issuer); // Secure cookies behind a TLS-terminating proxy too
  app.use(errorHandler(logger, settings.defaultLocale));
  app.use(securityHeaders(settings.issuer));

  let closing = false;
  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: closing ? 'stopping' : 'ok' };
  });
  health.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {};
    try {
      await pingDatabase(db);
      checks.database = 'ok';
    } catch {
      checks.database = 'unavailable';
    }
    if (redis) {
      try {
        await redis.ping();
        checks.redis = 'ok';
      } catch {
        checks.redis = 'unavailable';
      }
    }
    const ready = !closing && Object.values(checks).every((v) => v === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });
  health.get('/', (ctx) => {
    const pc = pageContextFor(ctx, settings.defaultLocale);
    ctx.type = 'html';
    ctx.body = page(pc, 'Sesam', html`<h1>Sesam</h1><p><a href="/.well-known/openid-configuration">OpenID Connect discovery</a></p>`);
  });
  app.use(health.routes());

  const interactions = interactionRouter(services);
  app.use(interactions.routes()).use(interactions.allowedMethods());
  const admin = adminRouter({ directory, events: eventsRepo, provider: () => host.current, rotateKeys, logger, issuer: settings.issuer, db, credentials });
  app.use(admin.routes()).use(admin.allowedMethods());

  // Expired rows of the SQL stores are swept now and then (Redis expires its own).
  const sweeper = setInterval(() => {
    void sweepExpired(db).catch((err) => logger.warn({ err }, 'sweep failed'));
    if (kv instanceof SqlKeyValueStore) void kv.sweep().catch((err) => logger.warn({ err }, 'sweep failed'));
  }, 10 * 60 * 1000);
  sweeper.unref();

  let server: http.Server | undefined;
  const sesam: Sesam = {
    settings,
    logger,
    app,
    db,
    redis,
    kv,
    host,
    directory,
    events: eventsRepo,
    adminCredentials,
    rotateKeys,
    async listen() {
      // Sesam's own pages and APIs go through its Koa app; every other path is the engine's,
      // served by it directly (no router matching or extra middleware on the token endpoint).
      const sesamApp = app.callback();
      server = http.createServer((req, res) => (isSesamPath(req.url ?? '/') ? sesamApp(req, res) : host.handle(req, res)));
      server.keepAliveTimeout = 65000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(settings.port, settings.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      logger.info({ port, issuer: settings.issuer }, 'sesam listening');
      return `http://127.0.0.1:${port}`;
    },
    /** Stops taking requests, lets those under way finish, then closes the stores. */
    async close() {
      closing = true;
      host.stop();
      clearInterval(sweeper);
      if (server) {
        await new Promise<void>((resolve) => {
          server!.close(() => resolve());
          server!.closeIdleConnections();
          setTimeout(() => server!.closeAllConnections(), 10000).unref();
        });
      }
      await db.destroy();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
  return sesam;
}

const SESAM_PATHS = /^\/(?:$|\?|healthz\b|readyz\b|interaction\/|admin(?:\/|$))/;

/** Paths Sesam serves itself; the rest belong to the OIDC engine. */
export function isSesamPath(url: string): boolean {
  return SESAM_PATHS.test(url);
}

/**
 * The bootstrap admin client (client_credentials, scope `admin`): its secret comes from
 * SESAM_ADMIN_CLIENT_SECRET, or is generated once and kept in the data folder
 * (admin-client.json, mode 0600) where the CLI finds it.
 */
async function bootstrapAdminClient(settings: Settings, directory: Directory, logger: Logger) {
  const file = path.join(settings.dataDir, 'admin-client.json');
  let clientSecret = settings.adminClientSecret;
  if (!clientSecret) {
    try {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (saved.client_id === settings.adminClientId) clientSecret = saved.client_secret;
    } catch {
      // first start
    }
  }
  if (!clientSecret) {
    clientSecret = randomSecret();
    fs.mkdirSync(settings.dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ issuer: settings.issuer, client_id: settings.adminClientId, client_secret: clientSecret }, null, 2), { mode: 0o600 });
    logger.info({ file }, 'generated the bootstrap admin client secret');
  }
  const existing = await directory.clients.find(settings.adminClientId);
  if (existing?.metadata.client_secret !== clientSecret) {
    await directory.putClient({
      client_id: settings.adminClientId,
      client_secret: clientSecret,
      client_name: 'Sesam administration',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      scope: 'admin',
      token_endpoint_auth_method: 'client_secret_basic',
    });
  }
  return { clientId: settings.adminClientId, clientSecret };
}

/** Applies the import file in one transaction, or stops the start with a message naming the bad entry. */
async function applyImportFile(file: string, directory: Directory, logger: Logger): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StartupError(`SESAM_IMPORT ${file}: ${(e as Error).message}`);
  }
  const parsed = importFileSchema.safeParse(raw);
  if (!parsed.success) throw new StartupError(`SESAM_IMPORT ${file}: ${describeZodError(parsed.error)}; nothing was applied`);
  try {
    const summary = await directory.applyImport(parsed.data);
    logger.info({ file, ...summary }, 'import applied');
  } catch (e) {
    if ((e as Error).name === 'DirectoryError') throw new StartupError(`SESAM_IMPORT ${file}: ${(e as Error).message}; nothing was applied`);
    throw e;
  }
}
