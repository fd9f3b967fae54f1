/**
 * Password recovery by e-mail (issue 10, seed 003), without HTTP:
 * - `request`: an identifier in; the same answer and the same timing whether or not an account
 *   exists (one lookup, then the rest, mail included, after the answer). Throttled per source
 *   (the caller shows "try again later") and per account (silently).
 * - a user whose every tenant allows self-service (or who has no tenant) gets a single-use link
 *   valid 30 minutes; one whose employer manages passwords gets whom to ask, no link; a disabled
 *   account or one without an e-mail address gets nothing.
 * - the link's token (32 random bytes) is stored only as an HMAC under the master key's
 *   'password-reset' subkey; the account points at its newest token, so a newer link voids older
 *   ones, and so does a password change.
 * - `redeem` (a POST, never a GET: mail scanners follow links) consumes the token atomically and
 *   gives a one-time handle, valid for the rest of the 30 minutes, that starts the recovery
 *   journey; the journey takes the handle when the new password is set.
 * - `passwordChanged` sends "your password was changed" (the credentials service calls it).
 */
import crypto from 'node:crypto';
import type { KeyValueStore } from '../storage/kv.js';
import type { UsersRepository } from '../repositories/users-repository.js';
import { keyedHash } from '../secrets/keyring.js';
import type { MailTransport } from '../delivery/mail-types.js';
import { isMailLocale, passwordChangedMail, resetByAdminMail, resetLinkMail, type MailContent, type MailLocale, type TenantContact } from '../delivery/mail-messages.js';
import type { Logger } from '../logger.js';
import type { Membership, User } from '../model/types.js';
import type { EventLog, RequestMeta } from './events.js';

export const RESET_LINK_MINUTES = 30;
const RESET_LINK_MS = RESET_LINK_MINUTES * 60_000;

/** Per-source and per-account windows (src/security/rate-limits.ts). */
export interface RecoveryThrottle {
  source(ip: string | null | undefined): Promise<{ allowed: true } | { allowed: false; retryAt: Date }>;
  account(userId: string): Promise<{ allowed: true } | { allowed: false; retryAt: Date }>;
}

export interface PasswordRecoveryDeps {
  users: UsersRepository;
  kv: KeyValueStore;
  /** The master key's 'password-reset' subkey. */
  key: Buffer;
  mail: MailTransport;
  events: EventLog;
  throttle: RecoveryThrottle;
  /** The links point here: `${issuer}/interaction/recover/<token>`. */
  issuer: string;
  defaultLocale: MailLocale;
  logger: Logger;
  /** The clock (tests move it). */
  now?: () => number;
}

export type RecoveryRequestOutcome = { ok: true } | { ok: false; reason: 'throttled'; retryAt: Date };

/** What the request's page knows: who asks (events) and in which language (the mail's, when the account has none). */
export interface RecoveryRequestMeta extends RequestMeta {
  locale?: string;
}

/** A live recovery handle: whose, and until when. */
export interface RecoveryHandle {
  userId: string;
  expiresAt: number;
}

interface TokenRecord {
  userId: string;
  expiresAt: number;
}

/** What happened to a request, in its event (never the token). */
type Outcome = 'sent' | 'admin' | 'unknown' | 'disabled' | 'no_email' | 'throttled' | 'delivery_failed';

const tokenKey = (hash: string) => `pwreset:token:${hash}`;
const latestKey = (userId: string) => `pwreset:latest:${userId}`;
const handleKey = (ref: string) => `pwreset:handle:${ref}`;

export class PasswordRecovery {
  private readonly pending = new Set<Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly deps: PasswordRecoveryDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Someone asks for a new password for `identifier`. Only the source's throttle and the lookup
   * happen before the answer; what follows (the account's throttle, the token, the mail, the
   * event) runs after it, so the answer takes as long for an unknown identifier as for a known one.
   */
  async request(identifier: string, meta: RecoveryRequestMeta): Promise<RecoveryRequestOutcome> {
    const event = { ip: meta.ip, userAgent: meta.userAgent, clientId: meta.clientId, tenantId: meta.tenantId };
    const source = await this.deps.throttle.source(meta.ip);
    if (!source.allowed) {
      await this.deps.events.record({ type: 'password.reset_requested', ...event, details: { outcome: 'throttled', by: 'source', retryAt: source.retryAt.toISOString() } });
      return { ok: false, reason: 'throttled', retryAt: source.retryAt };
    }
    const wanted = identifier.trim().slice(0, 320);
    const user = wanted ? await this.deps.users.findByIdentifier(wanted) : undefined;
    this.track(
      this.deliver(user, meta).then((outcome) =>
        this.deps.events.record({
          type: 'password.reset_requested',
          userId: user?.id,
          ...event,
          details: user ? { outcome } : { outcome, identifier: wanted.slice(0, 200) },
        }),
      ),
    );
    return { ok: true };
  }

  /** Whether `token` names a live link (the GET page; never consumes it). */
  async peek(token: string): Promise<boolean> {
    if (!isToken(token)) return false;
    const hash = this.hash('token', token);
    const record = await this.deps.kv.get<TokenRecord>(tokenKey(hash));
    return !!record && record.expiresAt > this.now() && (await this.deps.kv.get<string>(latestKey(record.userId))) === hash;
  }

  /**
   * Consumes the link's token (once, atomically) and gives a one-time handle for the recovery
   * journey, valid until the link would have expired. Undefined when the token is unknown, used,
   * expired, voided by a newer link or a password change, or its account is disabled.
   */
  async redeem(token: string, meta: RequestMeta): Promise<{ handle: string; userId: string } | undefined> {
    if (!isToken(token)) return undefined;
    const hash = this.hash('token', token);
    const record = await this.deps.kv.take<TokenRecord>(tokenKey(hash));
    if (!record || record.expiresAt <= this.now()) return undefined;
    const latest = await this.deps.kv.get<string>(latestKey(record.userId));
    if (latest !== hash) return undefined;
    await this.deps.kv.delete(latestKey(record.userId));
    const user = await this.deps.users.findById(record.userId);
    if (!user || user.disabled) return undefined;
    const handle = crypto.randomBytes(32).toString('base64url');
    const handleRecord: RecoveryHandle = { userId: user.id, expiresAt: record.expiresAt };
    await this.deps.kv.set(handleKey(this.handleRef(handle)), handleRecord, secondsUntil(record.expiresAt, this.now()));
    await this.deps.events.record({ type: 'password.reset_link_used', userId: user.id, ...meta });
    return { handle, userId: user.id };
  }

  /** The keyed hash a journey keeps of its handle (never the handle itself). */
  handleRef(handle: string): string {
    return this.hash('handle', handle);
  }

  /** The live handle `handle` names, without consuming it (the journey's start). */
  async findHandle(handle: string): Promise<(RecoveryHandle & { ref: string }) | undefined> {
    if (!isToken(handle)) return undefined;
    const ref = this.handleRef(handle);
    const record = await this.deps.kv.get<RecoveryHandle>(handleKey(ref));
    return record && record.expiresAt > this.now() ? { ...record, ref } : undefined;
  }

  /** Consumes the handle the journey holds (atomically: one password change per link). */
  async takeHandle(ref: string): Promise<RecoveryHandle | undefined> {
    const record = await this.deps.kv.take<RecoveryHandle>(handleKey(ref));
    return record && record.expiresAt > this.now() ? record : undefined;
  }

  /** Puts a taken handle back (the new password was refused by the rules: the user tries again). */
  async restoreHandle(ref: string, record: RecoveryHandle): Promise<void> {
    if (record.expiresAt > this.now()) await this.deps.kv.set(handleKey(ref), record, secondsUntil(record.expiresAt, this.now()));
  }

  /**
   * After a user changed their own password (in a journey or the portal): links still out are
   * void, and a mail says the password changed (in the account's language, else `locale`, the
   * page's). Never throws; the mail goes after the answer.
   */
  passwordChanged(user: User, locale?: string): Promise<void> {
    const work = (async () => {
      await this.deps.kv.delete(latestKey(user.id));
      if (!user.email || user.disabled) return;
      const memberships = await this.deps.users.memberships(user.id);
      const content = passwordChangedMail(this.localeOf(user, memberships, locale), { login: user.login, at: new Date(this.now()), contacts: contactsOf(memberships) });
      await this.send(user.email, content);
    })().catch((err: unknown) => this.deps.logger.warn({ err, userId: user.id }, 'could not send the password-changed mail'));
    this.track(work);
    return work;
  }

  /** Resolves once every mail started so far was handed over or failed (tests, a graceful stop). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Everything after the answer: the account's throttle, the token, the mail. */
  private async deliver(user: User | undefined, meta: RecoveryRequestMeta): Promise<Outcome> {
    try {
      if (!user) return 'unknown';
      if (user.disabled) return 'disabled';
      if (!user.email) return 'no_email';
      if (!(await this.deps.throttle.account(user.id)).allowed) return 'throttled';
      const memberships = await this.deps.users.memberships(user.id);
      const locale = this.localeOf(user, memberships, meta.locale);
      // Self-service only when every tenant of the user allows it; a user of no tenant may.
      const managed = memberships.filter((m) => m.policy.passwordReset !== 'self-service');
      if (managed.length > 0) {
        await this.send(user.email, resetByAdminMail(locale, { login: user.login, contacts: contactsOf(managed) }));
        return 'admin';
      }
      const token = await this.issue(user.id);
      await this.send(user.email, resetLinkMail(locale, { login: user.login, link: `${this.deps.issuer}/interaction/recover/${token}`, minutes: RESET_LINK_MINUTES }));
      return 'sent';
    } catch (err) {
      // Never the token or the link: the error of a transport names neither.
      this.deps.logger.warn({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, userId: user?.id }, 'password reset mail failed');
      return 'delivery_failed';
    }
  }

  /** A new token for the account; the older one, if any, dies. Returns the token (for the link only). */
  private async issue(userId: string): Promise<string> {
    const token = crypto.randomBytes(32).toString('base64url');
    const hash = this.hash('token', token);
    const expiresAt = this.now() + RESET_LINK_MS;
    const previous = await this.deps.kv.get<string>(latestKey(userId));
    if (previous) await this.deps.kv.delete(tokenKey(previous));
    await this.deps.kv.set(tokenKey(hash), { userId, expiresAt } satisfies TokenRecord, RESET_LINK_MS / 1000);
    // The account points at its newest token: a link is good only while it is the newest (two
    // requests racing here leave one pointer, so at most one of their links works).
    await this.deps.kv.set(latestKey(userId), hash, RESET_LINK_MS / 1000);
    return token;
  }

  private async send(to: string, content: MailContent): Promise<void> {
    await this.deps.mail.send({ to, ...content });
  }

  private localeOf(user: User, memberships: Membership[], requested?: string): MailLocale {
    const tenantLocale = memberships.map((m) => m.policy.locale).find(isMailLocale);
    return [user.locale, requested, tenantLocale].find(isMailLocale) ?? this.deps.defaultLocale;
  }

  private hash(kind: 'token' | 'handle', value: string): string {
    return keyedHash(this.deps.key, `${kind}:${value}`, 'base64url');
  }

  private track(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }
}

/** A token or handle as issued: 32 bytes in base64url (anything else is not looked up). */
function isToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

function contactsOf(memberships: Membership[]): TenantContact[] {
  return memberships.map((m) => ({ tenant: m.tenantName, contact: m.policy.contact }));
}
