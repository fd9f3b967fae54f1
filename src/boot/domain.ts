/**
 * Assembles the identity domain over the stores, in two steps because the engine sits between
 * them: `openRepositories` gives the repositories, the client cache, the EventLog and the
 * PasswordHasher, which the engine needs to find accounts and clients, and the Passkeys
 * ceremonies, which like the hasher need only the settings and the database; `buildDomain` then
 * gives the services that act on an account (TOTP, recovery codes, trusted devices, passkeys, its
 * sessions, Credentials, the Directory, the code-attempt budget, upstream providers and the
 * identities linked at them), which need the engine to end
 * sessions and validate clients. They get the engine as a getter, so they reach the current one, also
 * after a key rotation swapped it.
 */
import type Provider from 'oidc-provider';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../logger.js';
import type { Stores } from './stores.js';
import { UsersRepository } from '../repositories/users-repository.js';
import { TenantsRepository } from '../repositories/tenants-repository.js';
import { ClientsRepository } from '../repositories/clients-repository.js';
import { EventsRepository } from '../repositories/events-repository.js';
import { FactorsRepository } from '../repositories/factors-repository.js';
import { DevicesRepository } from '../repositories/devices-repository.js';
import { PasskeysRepository } from '../repositories/passkeys-repository.js';
import { FederatedIdentitiesRepository } from '../repositories/federated-identities-repository.js';
import { ClientCache } from '../oidc/client-cache.js';
import { DynamicRegistration } from '../oidc/registration.js';
import { AccountSessions } from '../oidc/account-sessions.js';
import { accountIndex } from '../oidc/adapters/account-index.js';
import { EventLog } from '../domain/events.js';
import { PasswordHasher } from '../domain/passwords.js';
import { TotpService } from '../domain/totp.js';
import { RecoveryCodes } from '../domain/recovery-codes.js';
import { TrustedDevices } from '../domain/trusted-devices.js';
import { Passkeys } from '../domain/passkeys.js';
import { Credentials } from '../domain/credentials.js';
import { TenantAdministration } from '../domain/tenant-administration.js';
import { Directory } from '../domain/directory.js';
import { CodeAttempts } from '../domain/code-attempts.js';
import { PasswordRecovery } from '../domain/password-recovery.js';
import { UpstreamProviders } from '../domain/upstream-providers.js';
import { FederatedIdentities } from '../domain/federated-identities.js';
import { createMailTransport } from '../delivery/mail.js';
import { PasswordResetLimiter } from '../security/rate-limits.js';
import { ReadCache } from '../storage/read-cache.js';
import type { Tenant } from '../model/types.js';

export interface Repositories {
  users: UsersRepository;
  tenants: TenantsRepository;
  clientCache: ClientCache;
  /** Tenant policies, read on every step of every sign-in, cached like client registrations. */
  tenantCache: ReadCache<Tenant | undefined>;
  /** Forget a client's / tenant's cached record here and on every other instance. */
  clientChanged: (id: string) => void;
  tenantChanged: (id: string) => void;
  eventsRepo: EventsRepository;
  events: EventLog;
  hasher: PasswordHasher;
  /** WebAuthn ceremonies for settings.webauthn (the RP ID and origins); exposed as `Domain.passkeys`. */
  passkeys: Passkeys;
  /** Password recovery by e-mail and the "password changed" mail (settings.mail), like the hasher needing only settings and stores. */
  passwordRecovery: PasswordRecovery;
  /** Dynamic client registration (DYNAMIC_REGISTRATION): the engine's features and client writes, the admin API's initial access tokens. */
  registration: DynamicRegistration;
  /** Identities at upstream providers linked to accounts (the federated sign-in looks up and links through it). */
  federatedIdentities: FederatedIdentitiesRepository;
}

export function openRepositories(settings: Settings, { db, redis, kv, cipher, keyring, invalidation, metrics }: Stores, logger: Logger): Repositories {
  const eventsRepo = new EventsRepository(db);
  const events = new EventLog(eventsRepo, logger, (event) => metrics.countEvent(event));
  const { rpId, rpName, origins } = settings.webauthn;
  const tenants = new TenantsRepository(db);
  const users = new UsersRepository(db);
  const clients = new ClientsRepository(db, cipher);
  const clientCache = new ClientCache(clients, settings.clientCacheSeconds);
  const tenantCache = new ReadCache((id) => tenants.find(id), settings.clientCacheSeconds);
  // A change is forgotten here at once and announced to the other instances (see invalidation.ts).
  const clientChanged = (id: string) => {
    clientCache.forget(id);
    invalidation.publish(`client:${id}`);
  };
  const tenantChanged = (id: string) => {
    tenantCache.forget(id);
    invalidation.publish(`tenant:${id}`);
  };
  return {
    passwordRecovery: new PasswordRecovery({
      users,
      kv,
      key: keyring.key('password-reset'),
      mail: metrics.countDeliveries('mail', createMailTransport(settings, logger)),
      events,
      throttle: new PasswordResetLimiter({ redis, kv, key: keyring.key('rate-limits') }),
      issuer: settings.issuer,
      defaultLocale: settings.defaultLocale,
      logger,
    }),
    users,
    tenants,
    tenantCache,
    clientChanged,
    tenantChanged,
    clientCache,
    registration: new DynamicRegistration({
      enabled: settings.dynamicRegistration !== 'off',
      kv,
      clients,
      tenants,
      events,
      onClientChange: clientChanged,
    }),
    eventsRepo,
    events,
    hasher: new PasswordHasher(settings.argon2, settings.argon2Concurrency),
    passkeys: new Passkeys(new PasskeysRepository(db), events, { rpId, rpName, origins }),
    federatedIdentities: new FederatedIdentitiesRepository(db),
  };
}

export interface Domain {
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  trustedDevices: TrustedDevices;
  /** Passkey ceremonies (options, verification, sign-in bookkeeping) and reads; writes go through `credentials`. */
  passkeys: Passkeys;
  credentials: Credentials;
  directory: Directory;
  codeAttempts: CodeAttempts;
  /** The account's sessions and grants in the engine (the portal lists and ends them). */
  accountSessions: AccountSessions;
  /** What a tenant admin may do (the console and the admin API's tenant routes). */
  tenantAdministration: TenantAdministration;
  /** Upstream providers (Google, itsme, any OpenID provider): configured by operators, read fresh at every use. */
  upstreamProviders: UpstreamProviders;
  /** An operator's reads and unlinks of the identities linked to an account. */
  federatedIdentities: FederatedIdentities;
}

export function buildDomain(settings: Settings, { db, redis, kv, cipher, keyring, invalidation }: Stores, repos: Repositories, provider: () => Provider, logger: Logger): Domain {
  const { hasher, events, passkeys } = repos;
  const factors = new FactorsRepository(db);
  const totp = new TotpService(factors, cipher);
  const recoveryCodes = new RecoveryCodes(factors, keyring.key('recovery-codes'));
  const sessions = new AccountSessions({ provider, index: accountIndex({ db, redis }), kv, logger });
  const credentials = new Credentials({ db, hasher, events, totp, recoveryCodes, sessions, passkeys, notifier: repos.passwordRecovery });
  const upstreamProviders = new UpstreamProviders(db, {
    cipher,
    events,
    cacheSeconds: settings.clientCacheSeconds,
    onChange: () => invalidation.publish('providers'),
  });
  const directory = new Directory(db, {
    hasher,
    events,
    validateClient: async (metadata) => {
      await provider().Client.validate(metadata as never);
    },
    onClientChange: repos.clientChanged,
    onTenantChange: repos.tenantChanged,
    cipher,
    credentials,
    upstreamProviders,
  });
  const trustedDevices = new TrustedDevices(new DevicesRepository(db));
  const tenantAdministration = new TenantAdministration({ db, directory, credentials, events, eventsRepo: repos.eventsRepo });
  const federatedIdentities = new FederatedIdentities({ identities: repos.federatedIdentities, requireUser: (id) => directory.requireUser(id), credentials, events });
  return {
    totp,
    recoveryCodes,
    trustedDevices,
    passkeys,
    credentials,
    directory,
    codeAttempts: new CodeAttempts(repos.users, events),
    accountSessions: sessions,
    tenantAdministration,
    upstreamProviders,
    federatedIdentities,
  };
}
