/**
 * Every setting Sesam reads, with its default and its validation, in one place.
 * `loadSettings(process.env)` either returns a typed, frozen Settings object or throws a
 * SettingsError whose message is one line naming the setting and what is wrong with it.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parse as parseDomain } from 'tldts';
import { parseRedisUrl, RedisUrlError } from '../src/storage/redis-url.js';

export class SettingsError extends Error {
  constructor(public readonly setting: string, problem: string) {
    super(`Invalid setting ${setting}: ${problem}`);
    this.name = 'SettingsError';
  }
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL (${protocols.join(' or ')})`);
const secret = z.string().min(32, 'must be at least 32 characters');
const keyList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((l) => l.length > 0 && l.every((k) => k.length >= 32), 'must be a comma-separated list of keys of at least 32 characters');

/** The environment variables, their defaults and their rules. */
const schema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ISSUER: url(['http:', 'https:']).optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  /** One Redis (`redis://`, `rediss://`), a Cluster (`redis+cluster://h:p,h:p`) or a Sentinel set (`redis+sentinel://h:p,h:p/master`). */
  REDIS_URL: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseRedisUrl(v);
      } catch (e) {
        if (!(e instanceof RedisUrlError)) throw e;
        ctx.addIssue({ code: 'custom', message: e.message });
      }
    })
    .optional(),
  /** Prefix of every Redis key, so several deployments (or test runs) can share one Redis. */
  REDIS_KEY_PREFIX: z.string().regex(/^[\w:.-]{0,64}$/, 'must be up to 64 letters, digits, colons, dots, dashes or underscores').default('sesam:'),
  SESAM_DATA_DIR: z.string().min(1).default('./.sesam'),
  SESAM_IMPORT: z.string().min(1).optional(),
  /** Worker processes sharing the port (node:cluster): a positive integer, or `auto` (one per available CPU). */
  SESAM_WORKERS: z.string().regex(/^(?:auto|[1-9]\d{0,2})$/, 'must be a positive integer (at most 999) or auto').default('1'),
  SMS_OUTBOX: z.string().min(1).optional(),
  MAIL_OUTBOX: z.string().min(1).optional(),
  /** AES-256-GCM master key for secrets at rest (signing keys, TOTP secrets): 32 bytes, base64 or hex. */
  SESAM_ENCRYPTION_KEY: z
    .string()
    .refine((v) => decodeKey(v) !== undefined, 'must be 32 bytes, given as 64 hex characters or base64')
    .optional(),
  /** Cookie signing keys, newest first; generated and kept in the database when unset. */
  SESAM_COOKIE_KEYS: keyList.optional(),
  SESAM_ADMIN_CLIENT_ID: z.string().regex(/^[\w.-]{3,64}$/, 'must be 3-64 letters, digits, dots, dashes or underscores').default('sesam-admin'),
  SESAM_ADMIN_CLIENT_SECRET: secret.optional(),
  SESSION_REMEMBER_DAYS: int(1, 400).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: bool.default(false),
  /** Bearer token GET /metrics asks for; unset, /metrics answers only to loopback addresses. */
  METRICS_TOKEN: secret.optional(),
  ARGON2_MEMORY_KIB: int(19456, 4194304).default(19456),
  ARGON2_TIME_COST: int(2, 100).default(2),
  ARGON2_PARALLELISM: int(1, 16).default(1),
  /** Hashes computed at once; unset: all cores but one. */
  ARGON2_CONCURRENCY: int(1, 256).optional(),
  DEFAULT_LOCALE: z.enum(['fr', 'nl', 'de', 'en']).default('fr'),
  CLIENT_CACHE_SECONDS: int(0, 3600).default(5),
  DATABASE_POOL_MAX: int(1, 500).default(10),
  /**
   * Dynamic client registration (RFC 7591/7592): `off`, or open to holders of an initial access
   * token an operator minted through the admin API. Never open to anyone.
   */
  DYNAMIC_REGISTRATION: z.enum(['off', 'initial-access-token']).default('off'),
  /**
   * Where SMS go: the SMS_OUTBOX file, the log, or an HTTP gateway. Default: outbox if set, else
   * console, except with an https ISSUER: the console writes codes to the log, so it must be chosen.
   */
  SMS_TRANSPORT: z.enum(['outbox', 'console', 'http']).optional(),
  SMS_HTTP_URL: url(['http:', 'https:']).optional(),
  /** Sent as the Authorization header to the gateway, e.g. `Bearer …` or `Basic …`. */
  SMS_HTTP_AUTHORIZATION: z.string().min(1).optional(),
  /** JSON body template; `{{to}}` and `{{text}}` are replaced (JSON-escaped). */
  SMS_HTTP_BODY: z
    .string()
    .refine((v) => v.includes('{{to}}') && v.includes('{{text}}'), 'must contain {{to}} and {{text}}')
    .default('{"to":"{{to}}","text":"{{text}}"}'),
  SMS_SENDER: z.string().min(1).max(11).default('Sesam'),
  /** How long an SMS code is valid: at most 10 minutes (NIST SP 800-63B). */
  SMS_CODE_TTL_SECONDS: int(60, 600).default(300),
  SMS_RESEND_SECONDS: int(10, 600).default(30),
  /** The WebAuthn relying party: a domain name, the ISSUER's host or a registrable suffix of it. */
  WEBAUTHN_RP_ID: z
    .string()
    .transform((v) => v.toLowerCase())
    .refine((v) => isDomainName(v), 'must be a domain name (not an IP address, no scheme or port), e.g. sesam.example.be or example.be')
    .optional(),
  /** The name authenticators show next to the passkey. */
  WEBAUTHN_RP_NAME: z.string().trim().min(1).max(64).default('Sesam'),
  /** Origins (scheme://host[:port]) whose pages may run passkey ceremonies. */
  WEBAUTHN_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .refine((l) => l.length > 0 && l.every((o) => toOrigin(o) !== undefined), 'must be a comma-separated list of http(s) origins (scheme://host[:port], no path)')
    .transform((l) => [...new Set(l.map((o) => toOrigin(o)!))])
    .optional(),
  /** How long "skip" on the passkey offer is remembered on a device. */
  PASSKEY_OFFER_SKIP_DAYS: int(1, 400).default(30),
  /** Days the audit trail (admin actions) is kept. */
  AUDIT_RETENTION_DAYS: int(30, 3650).default(400),
  /** Days the other events (sign-ins, lockouts, the user's own changes) are kept. */
  EVENT_RETENTION_DAYS: int(7, 3650).default(180),
  /**
   * Where mail goes: an SMTP server, the MAIL_OUTBOX file, or the log. Default: smtp if SMTP_URL
   * is set, else outbox if MAIL_OUTBOX is, else console, except with an https ISSUER: the console
   * writes password-reset links to the log, so it must be chosen.
   */
  MAIL_TRANSPORT: z.enum(['smtp', 'outbox', 'console']).optional(),
  /** `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465` (TLS from the start). */
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  /** The sender of every mail: `no-reply@example.be` or `Sesam <no-reply@example.be>`. */
  MAIL_FROM: z
    .string()
    .trim()
    .max(320)
    .regex(/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'must be an e-mail address, optionally with a name: Name <address@example.be>')
    .optional(),
});

/** `value` as an origin (`scheme://host[:port]`, http or https, nothing after), else undefined. */
function toOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return undefined;
    if (!/^https?:\/\/[^/?#]+\/?$/i.test(value)) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** A DNS name: dot-separated labels of letters, digits and hyphens; never an IP address. */
function isDomainName(value: string): boolean {
  if (value.length > 253 || !/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/.test(value)) return false;
  return !parseDomain(value).isIp;
}

/**
 * Whether `rpId` may serve pages of `host` (WebAuthn §5.1.3, HTML "is a registrable domain
 * suffix of or is equal to"): equal, or a parent domain that is not itself a public suffix (the
 * Public Suffix List, ICANN and private parts, through tldts): `example.be` serves
 * `sesam.example.be`; `be` or `github.io` serve nothing but themselves.
 */
export function isRpIdFor(rpId: string, host: string): boolean {
  if (host === rpId) return true;
  if (!host.endsWith(`.${rpId}`)) return false;
  const parsed = parseDomain(rpId, { allowPrivateDomains: true });
  return !(parsed.publicSuffix === rpId && (parsed.isIcann || parsed.isPrivate));
}

export function decodeKey(value: string): Buffer | undefined {
  const hex = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : undefined;
  const b64 = hex ?? Buffer.from(value, 'base64');
  return b64.length === 32 ? b64 : undefined;
}

export type Settings = Readonly<{
  port: number;
  host: string;
  issuer: string;
  databaseUrl?: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  dataDir: string;
  importFile?: string;
  /** Worker processes (1: Sesam runs in this process, no cluster). */
  workers: number;
  smsOutbox?: string;
  mailOutbox?: string;
  encryptionKey?: Buffer;
  cookieKeys?: string[];
  adminClientId: string;
  adminClientSecret?: string;
  sessionRememberDays: number;
  logLevel: string;
  trustProxy: boolean;
  /** What GET /metrics requires as `Authorization: Bearer …`; unset: loopback callers only. */
  metricsToken?: string;
  argon2: Readonly<{ memoryCost: number; timeCost: number; parallelism: number }>;
  argon2Concurrency?: number;
  defaultLocale: 'fr' | 'nl' | 'de' | 'en';
  clientCacheSeconds: number;
  /** Connections to PostgreSQL each process keeps at most. */
  databasePoolMax: number;
  /** Dynamic client registration: off, or with an initial access token minted by an operator. */
  dynamicRegistration: 'off' | 'initial-access-token';
  sms: Readonly<{
    transport: 'outbox' | 'console' | 'http';
    httpUrl?: string;
    httpAuthorization?: string;
    httpBody: string;
    sender: string;
    codeTtlSeconds: number;
    resendSeconds: number;
  }>;
  /** Passkeys: the WebAuthn relying party and the origins its ceremonies may run on. */
  /** Mail delivery (password recovery, "your password was changed"). */
  mail: Readonly<{
    transport: 'smtp' | 'outbox' | 'console';
    smtpUrl?: string;
    from: string;
  }>;
  webauthn: Readonly<{
    rpId: string;
    rpName: string;
    origins: readonly string[];
    /** Days a device remembers "skip" on the passkey offer. */
    offerSkipDays: number;
  }>;
  /** Days events are kept: admin actions (audit) and the others. */
  retention: Readonly<{ auditDays: number; eventDays: number }>;
}>;

/** Reads and validates settings; throws SettingsError naming the first bad setting. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'environment');
    throw new SettingsError(name, `${issue.message} (got ${JSON.stringify(redact(name, input[name]))})`);
  }
  const s = parsed.data;
  const workers = s.SESAM_WORKERS === 'auto' ? os.availableParallelism() : Number(s.SESAM_WORKERS);
  if (workers > 1 && !s.DATABASE_URL) {
    throw new SettingsError('SESAM_WORKERS', `${s.SESAM_WORKERS} (${workers} workers) needs DATABASE_URL: the embedded database opens in one process only; set DATABASE_URL, or SESAM_WORKERS=1`);
  }
  if (s.SMS_TRANSPORT === 'http' && !s.SMS_HTTP_URL) throw new SettingsError('SMS_HTTP_URL', 'is required when SMS_TRANSPORT=http');
  if (s.SMS_TRANSPORT === 'outbox' && !s.SMS_OUTBOX) throw new SettingsError('SMS_OUTBOX', 'is required when SMS_TRANSPORT=outbox');
  const issuer = (s.ISSUER ?? `http://localhost:${s.PORT}`).replace(/\/$/, '');
  const smsTransport = s.SMS_TRANSPORT ?? (s.SMS_OUTBOX ? 'outbox' : 'console');
  if (smsTransport === 'console' && !s.SMS_TRANSPORT && new URL(issuer).protocol === 'https:') {
    throw new SettingsError('SMS_TRANSPORT', 'must be set when ISSUER is https: the default (console) writes SMS codes to the log; set http (with SMS_HTTP_URL), outbox, or console on purpose');
  }
  if (s.MAIL_TRANSPORT === 'smtp' && !s.SMTP_URL) throw new SettingsError('SMTP_URL', 'is required when MAIL_TRANSPORT=smtp');
  if (s.MAIL_TRANSPORT === 'outbox' && !s.MAIL_OUTBOX) throw new SettingsError('MAIL_OUTBOX', 'is required when MAIL_TRANSPORT=outbox');
  const mailTransport = s.MAIL_TRANSPORT ?? (s.SMTP_URL ? 'smtp' : s.MAIL_OUTBOX ? 'outbox' : 'console');
  if (mailTransport === 'console' && !s.MAIL_TRANSPORT && new URL(issuer).protocol === 'https:') {
    throw new SettingsError('MAIL_TRANSPORT', 'must be set when ISSUER is https: the default (console) writes mails, password-reset links included, to the log; set SMTP_URL, MAIL_OUTBOX, or console on purpose');
  }
  // An IP address cannot be an RP ID: an ISSUER on one (tests on 127.0.0.1) keeps its host as
  // the default, and passkeys then do not work there (use localhost).
  const issuerUrl = new URL(issuer);
  const rpId = s.WEBAUTHN_RP_ID ?? issuerUrl.hostname;
  const origins = s.WEBAUTHN_ORIGINS ?? [issuerUrl.origin];
  for (const origin of origins) {
    const host = new URL(origin).hostname;
    if (!isRpIdFor(rpId, host)) {
      throw new SettingsError(
        s.WEBAUTHN_RP_ID ? 'WEBAUTHN_RP_ID' : 'WEBAUTHN_ORIGINS',
        `${rpId} is not ${host} nor a registrable domain suffix of it (origin ${origin}): passkeys made for ${rpId} cannot be used there`,
      );
    }
  }
  return Object.freeze({
    port: s.PORT,
    host: s.HOST,
    issuer,
    databaseUrl: s.DATABASE_URL,
    redisUrl: s.REDIS_URL,
    redisKeyPrefix: s.REDIS_KEY_PREFIX,
    dataDir: path.resolve(s.SESAM_DATA_DIR),
    importFile: s.SESAM_IMPORT ? path.resolve(s.SESAM_IMPORT) : undefined,
    workers,
    smsOutbox: s.SMS_OUTBOX ? path.resolve(s.SMS_OUTBOX) : undefined,
    mailOutbox: s.MAIL_OUTBOX ? path.resolve(s.MAIL_OUTBOX) : undefined,
    encryptionKey: s.SESAM_ENCRYPTION_KEY ? decodeKey(s.SESAM_ENCRYPTION_KEY) : undefined,
    cookieKeys: s.SESAM_COOKIE_KEYS,
    adminClientId: s.SESAM_ADMIN_CLIENT_ID,
    adminClientSecret: s.SESAM_ADMIN_CLIENT_SECRET,
    sessionRememberDays: s.SESSION_REMEMBER_DAYS,
    logLevel: s.LOG_LEVEL,
    trustProxy: s.TRUST_PROXY,
    metricsToken: s.METRICS_TOKEN,
    argon2: Object.freeze({ memoryCost: s.ARGON2_MEMORY_KIB, timeCost: s.ARGON2_TIME_COST, parallelism: s.ARGON2_PARALLELISM }),
    // Several workers share the cores: each hashes its share of them, unless told otherwise.
    argon2Concurrency: s.ARGON2_CONCURRENCY ?? (workers > 1 ? Math.max(1, Math.floor((os.availableParallelism() - 1) / workers)) : undefined),
    defaultLocale: s.DEFAULT_LOCALE,
    clientCacheSeconds: s.CLIENT_CACHE_SECONDS,
    databasePoolMax: s.DATABASE_POOL_MAX,
    dynamicRegistration: s.DYNAMIC_REGISTRATION,
    sms: Object.freeze({
      transport: smsTransport,
      httpUrl: s.SMS_HTTP_URL,
      httpAuthorization: s.SMS_HTTP_AUTHORIZATION,
      httpBody: s.SMS_HTTP_BODY,
      sender: s.SMS_SENDER,
      codeTtlSeconds: s.SMS_CODE_TTL_SECONDS,
      resendSeconds: s.SMS_RESEND_SECONDS,
    }),
    mail: Object.freeze({ transport: mailTransport, smtpUrl: s.SMTP_URL, from: s.MAIL_FROM ?? `Sesam <no-reply@${issuerUrl.hostname}>` }),
    webauthn: Object.freeze({ rpId, rpName: s.WEBAUTHN_RP_NAME, origins: Object.freeze(origins), offerSkipDays: s.PASSKEY_OFFER_SKIP_DAYS }),
    retention: Object.freeze({ auditDays: s.AUDIT_RETENTION_DAYS, eventDays: s.EVENT_RETENTION_DAYS }),
  });
}

function redact(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /SECRET|KEY|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|SMTP_URL/.test(name) ? '<redacted>' : value;
}
