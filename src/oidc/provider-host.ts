/**
 * Holds the running engine. The engine's key set is fixed when it is built, so a key rotation
 * builds a new one from the database and swaps it in; every instance notices a rotation made
 * elsewhere by polling the key set's fingerprint.
 */
import Provider, { type Configuration } from 'oidc-provider';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Database } from '../storage/database.js';
import type { Cipher } from '../secrets/cipher.js';
import { loadSigningJwks, signingKeysVersion } from './signing-keys.js';
import { securityHeaders } from '../http/security-headers.js';
import { useIssuerScheme } from '../http/https-issuer.js';

export class ProviderHost {
  private provider?: Provider;
  private direct?: (req: IncomingMessage, res: ServerResponse) => void;
  private version = '';
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: {
      issuer: string;
      db: Database;
      cipher: Cipher;
      logger: Logger;
      trustProxy: boolean;
      /** The rest of the configuration; the host adds the keys. */
      configure: (jwks: { keys: any[] }) => Configuration;
      /** Called on every new engine (event listeners, etc.). */
      onBuilt?: (provider: Provider) => void;
    },
  ) {}

  get current(): Provider {
    if (!this.provider) throw new Error('provider not loaded');
    return this.provider;
  }

  /** Builds the engine from the stored keys when they changed (or always with `force`). */
  async reload(force = false): Promise<boolean> {
    const version = await signingKeysVersion(this.options.db);
    if (!force && version === this.version && this.provider) return false;
    const jwks = await loadSigningJwks(this.options.db, this.options.cipher);
    const provider = new Provider(this.options.issuer, this.options.configure(jwks));
    provider.proxy = this.options.trustProxy;
    useIssuerScheme(provider, this.options.issuer); // Secure cookies behind a TLS-terminating proxy too
    provider.use(securityHeaders(this.options.issuer)); // the engine's own pages (errors, logout) get the strict headers too
    this.options.onBuilt?.(provider);
    this.provider = provider;
    this.direct = provider.callback();
    this.version = version;
    this.options.logger.info({ keys: jwks.keys.map((k) => k.kid) }, 'oidc engine loaded');
    return true;
  }

  /** The engine as a plain request listener: its own routes need none of Sesam's middleware. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.direct!(req, res);
  }

  watch(intervalMs = 60000): void {
    this.timer = setInterval(() => {
      this.reload().catch((err) => this.options.logger.error({ err }, 'could not reload keys'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
