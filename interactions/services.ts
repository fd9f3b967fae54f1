/**
 * What the journey's steps and methods may call (built once at boot, see src/boot/). They read
 * through repositories and services; every write of a credential goes through `credentials`.
 */
import type Provider from 'oidc-provider';
import type { Locale } from './i18n/index.js';
import type { JourneyStore } from './journey.js';
import type { KeyValueStore } from '../src/storage/kv.js';
import type { UsersRepository } from '../src/repositories/users-repository.js';
import type { Tenant } from '../src/model/types.js';
import type { ClientCache } from '../src/oidc/client-cache.js';
import type { PasswordAuthenticator } from '../src/domain/authentication.js';
import type { EventLog } from '../src/domain/events.js';
import type { Logger } from '../src/logger.js';
import type { Cipher } from '../src/secrets/cipher.js';
import type { TotpService } from '../src/domain/totp.js';
import type { RecoveryCodes } from '../src/domain/recovery-codes.js';
import type { TrustedDevices } from '../src/domain/trusted-devices.js';
import type { Credentials } from '../src/domain/credentials.js';
import type { CodeAttempts } from '../src/domain/code-attempts.js';
import type { Passkeys } from '../src/domain/passkeys.js';
import type { SmsTransport } from '../src/delivery/sms.js';
import type { SmsSendLimiter } from '../src/security/rate-limits.js';
import type { PasswordRecovery } from '../src/domain/password-recovery.js';
import type { UpstreamProviders } from '../src/domain/upstream-providers.js';
import type { UpstreamClient } from '../src/upstream/upstream-client.js';
import type { Federation } from '../src/domain/federation.js';
import type { LinkRequests } from '../src/upstream/link-requests.js';

export interface Services {
  provider: () => Provider;
  /** The issuer's origin: the only one a form may be posted from. */
  origin: string;
  journeys: JourneyStore;
  kv: KeyValueStore;
  users: UsersRepository;
  /** Tenants by id (cached for CLIENT_CACHE_SECONDS). */
  tenants: { find(id: string): Promise<Tenant | undefined> };
  clients: ClientCache;
  passwords: PasswordAuthenticator;
  credentials: Credentials;
  codeAttempts: CodeAttempts;
  passkeys: Passkeys;
  /** How long "skip" on the passkey offer is remembered on a device. */
  passkeyOfferSkipDays: number;
  events: EventLog;
  defaultLocale: Locale;
  grantTtlSeconds: number;
  logger: Logger;
  /** Told how long each request of the journey took, by step name (never the interaction) and HTTP method; the metrics. */
  observeStep?: (step: string, method: string, seconds: number) => void;
  cipher: Cipher;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  trustedDevices: TrustedDevices;
  sms: { transport: SmsTransport; limiter: SmsSendLimiter; codeTtlSeconds: number; resendSeconds: number; codeKey: Buffer };
  /** Cookies only over HTTPS when the issuer is HTTPS. */
  secureCookies: boolean;
  /** Password recovery by e-mail: requests, the e-mailed links, the handles of `recover` journeys. */
  passwordRecovery: PasswordRecovery;
  /** The issuer (ISSUER): upstream providers answer at `<issuer>/interaction/callback/<id>`. */
  issuer: string;
  /** Upstream providers (issue 12): which to offer, the upstream leg, and whose account it is. */
  federation: {
    providers: Pick<UpstreamProviders, 'shownFor' | 'find' | 'list'>;
    client: UpstreamClient;
    accounts: Federation;
    /** Links started in the account portal, answered at the same callback. */
    links: LinkRequests;
  };
}
