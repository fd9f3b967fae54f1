/**
 * Wires the login journey (interactions/) to the rest of Sesam: the `Services` its steps and
 * methods may call (the domain, the repositories, the journey store, the password authenticator
 * with its per-source throttle, SMS delivery with its send limiter and code key, how long a
 * grant is kept) and the interaction router that serves /interaction/… on them. This is the one
 * place, with src/app.ts, where src/ reaches into interactions/.
 */
import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../logger.js';
import type { Stores } from './stores.js';
import type { Domain, Repositories } from './domain.js';
import { TTL } from '../oidc/configuration.js';
import { PasswordAuthenticator } from '../domain/authentication.js';
import { createSmsTransport } from '../delivery/sms.js';
import { PasswordFailureThrottle, SmsSendLimiter } from '../security/rate-limits.js';
import { JourneyStore } from '../../interactions/journey.js';
import { interactionRouter } from '../../interactions/router.js';
import type { Services } from '../../interactions/services.js';
import { OidcUpstream } from '../upstream/oidc-upstream.js';
import { Federation } from '../domain/federation.js';
import { LinkRequests } from '../upstream/link-requests.js';

/** The login journey's routes, /interaction/…, on the services below. */
export function journeyRouter(services: Services): Router {
  return interactionRouter(services);
}

/** What the journey's steps (and the account portal, which reuses them) may call. */
export function journeyServices(settings: Settings, stores: Stores, repos: Repositories, domain: Domain, provider: () => Provider, logger: Logger): Services {
  const { db, redis, kv, cipher, keyring, metrics } = stores;
  const { users, hasher, events } = repos;
  return {
    provider,
    origin: new URL(settings.issuer).origin,
    credentials: domain.credentials,
    codeAttempts: domain.codeAttempts,
    passkeys: domain.passkeys,
    passkeyOfferSkipDays: settings.webauthn.offerSkipDays,
    journeys: new JourneyStore(kv, TTL.Interaction),
    kv,
    users,
    tenants: { find: (id) => repos.tenantCache.get(id) },
    clients: repos.clientCache,
    passwords: new PasswordAuthenticator(users, hasher, events, new PasswordFailureThrottle({ redis, kv, key: keyring.key('rate-limits') }), domain.trustedDevices),
    events,
    defaultLocale: settings.defaultLocale,
    // The tenant stored with a grant lasts as long as the longest grant (an app's offline access).
    grantTtlSeconds: Math.max(settings.sessionRememberDays * 24 * 3600, TTL.RefreshToken, TTL.OfflineGrant),
    logger,
    observeStep: (step, method, seconds) => metrics.steps.observe({ step, method }, seconds),
    cipher,
    totp: domain.totp,
    recoveryCodes: domain.recoveryCodes,
    trustedDevices: domain.trustedDevices,
    sms: {
      transport: metrics.countDeliveries('sms', createSmsTransport(settings, logger)),
      limiter: new SmsSendLimiter({ redis, db, kv, key: keyring.key('rate-limits') }),
      codeTtlSeconds: settings.sms.codeTtlSeconds,
      resendSeconds: settings.sms.resendSeconds,
      codeKey: keyring.key('sms-codes'),
    },
    secureCookies: settings.issuer.startsWith('https:'),
    passwordRecovery: repos.passwordRecovery,
    issuer: settings.issuer,
    federation: {
      providers: domain.upstreamProviders,
      client: new OidcUpstream(),
      accounts: new Federation({ identities: repos.federatedIdentities, users, tenants: domain.directory.tenants, events }),
      links: new LinkRequests(kv),
    },
  };
}

