/** The domain services the steps call (built once at boot, see src/app.ts). */
import type Provider from 'oidc-provider';
import type { Locale } from './i18n/index.js';
import type { JourneyStore } from './journey.js';
import type { KeyValueStore } from '../src/storage/kv.js';
import type { UsersRepository } from '../src/repositories/users-repository.js';
import type { TenantsRepository } from '../src/repositories/tenants-repository.js';
import type { ClientCache } from '../src/oidc/client-cache.js';
import type { PasswordAuthenticator } from '../src/domain/authentication.js';
import type { PasswordHasher } from '../src/domain/passwords.js';
import type { EventLog } from '../src/domain/events.js';
import type { Logger } from '../src/logger.js';
import type { Cipher } from '../src/secrets/cipher.js';
import type { TotpService } from '../src/domain/totp.js';
import type { RecoveryCodes } from '../src/domain/recovery-codes.js';
import type { TrustedDevices } from '../src/domain/trusted-devices.js';
import type { SmsTransport } from '../src/delivery/sms.js';
import type { SmsSendLimiter } from '../src/security/rate-limits.js';

export interface Services {
  provider: () => Provider;
  journeys: JourneyStore;
  kv: KeyValueStore;
  users: UsersRepository;
  tenants: TenantsRepository;
  clients: ClientCache;
  passwords: PasswordAuthenticator;
  hasher: PasswordHasher;
  events: EventLog;
  defaultLocale: Locale;
  grantTtlSeconds: number;
  logger: Logger;
  cipher: Cipher;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  trustedDevices: TrustedDevices;
  sms: { transport: SmsTransport; limiter: SmsSendLimiter; codeTtlSeconds: number; resendSeconds: number };
  /** Cookies only over HTTPS when the issuer is HTTPS. */
  secureCookies: boolean;
}
