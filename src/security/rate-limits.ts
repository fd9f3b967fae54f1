/**
 * Limits on sending SMS codes, against SMS pumping (toll fraud: bots making us send many SMS
 * to premium or foreign-operated numbers) and against bombing one person's phone.
 *
 * Every send is counted in fixed windows per phone number, per account and per source IP;
 * a window starts with its first send and lasts its full duration. A send is allowed only when
 * every applicable window still has room.
 *
 * Stores:
 * - Redis, when configured: rate-limiter-flexible's RateLimiterRedis (an atomic Lua
 *   SET NX EX + INCRBY + PTTL). Its keys go through ioredis, so a client `keyPrefix` applies.
 * - Otherwise PostgreSQL or embedded PGlite, through our KeyValueStore.increment (a single
 *   atomic `insert … on conflict do update … returning` on kv_entries). rate-limiter-flexible's
 *   RateLimiterPostgres with `storeType: 'knex'` was tried first: it works on real PostgreSQL
 *   but not on PGlite. It acquires knex's raw connection and calls
 *   `conn.query({ name, text, values })`, the node-postgres calling convention; PGlite's
 *   `query(text, params)` gets an object instead of SQL, fails, and leaves the one shared
 *   connection broken: the next query, whoever sends it, dies with an uncaught "insufficient
 *   data left in message" and later ones hang (knex-pglite 0.14, PGlite 0.5). PGlite results
 *   also have `affectedRows`, not the `rowCount` the limiter reads. It would also create its
 *   own table at run time (outside our migrations) and run a cleanup timer per limiter. One
 *   path for both SQL backends, on a table that already exists and is already swept, is simpler.
 *
 * Neither the phone number nor the IP address is written in clear: keys hold an HMAC of them
 * under the master key's 'rate-limits' subkey (src/secrets/keyring.ts). A plain hash would not
 * do: every Belgian mobile number, or every IPv4 address, can be hashed in minutes and looked up.
 */
import net from 'node:net';
import type { RedisClient } from '../storage/redis.js';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../storage/database.js';
import type { KeyValueStore } from '../storage/kv.js';
import { keyedHash } from '../secrets/keyring.js';

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * How many SMS codes may be sent, per window. A send counts against every window that applies
 * to it (the phone's, the account's when known, the source IP's when known).
 * - phone: 5 per hour, 10 per day, to one number whoever asks (bombing, pumping one number);
 * - account: 5 per hour, 10 per day, for one account whatever the number;
 * - ip: 20 per hour, 100 per day, from one address (an IPv6 address counts as its /64, since
 *   anyone who has one address usually has the whole /64).
 */
export const SMS_SEND_LIMITS = Object.freeze({
  phone: Object.freeze([Object.freeze({ max: 5, seconds: HOUR }), Object.freeze({ max: 10, seconds: DAY })]),
  account: Object.freeze([Object.freeze({ max: 5, seconds: HOUR }), Object.freeze({ max: 10, seconds: DAY })]),
  ip: Object.freeze([Object.freeze({ max: 20, seconds: HOUR }), Object.freeze({ max: 100, seconds: DAY })]),
});

export type SmsLimitKind = keyof typeof SMS_SEND_LIMITS;

export type SmsSendDecision = { allowed: true } | { allowed: false; retryAt: Date; limit: SmsLimitKind };

const KEY_PREFIX = 'sms-limit:';

/** One window's counter in some store. `id` is already hashed. */
interface WindowCounter {
  /** Sends counted in the current window (0 when there is none). */
  peek(id: string): Promise<number>;
  /** Counts one send; returns the new count. Atomic under concurrency. */
  hit(id: string): Promise<number>;
  /** When the current window ends (epoch ms), if known. */
  resetAt(id: string): Promise<number | undefined>;
  /**
   * Takes one point, atomically, even when the window is already full: the new count and when
   * the window ends (epoch ms). Concurrent takers each see a different count.
   */
  take(id: string): Promise<{ count: number; resetAt: number }>;
  /** Gives one point back (a try that turned out not to count). */
  giveBack(id: string): Promise<void>;
}

class RedisWindowCounter implements WindowCounter {
  private readonly limiter: RateLimiterRedis;

  constructor(redis: RedisClient, keyPrefix: string, max: number, seconds: number) {
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix, points: max, duration: seconds });
  }

  async peek(id: string): Promise<number> {
    return (await this.limiter.get(id))?.consumedPoints ?? 0;
  }

  async hit(id: string): Promise<number> {
    return (await this.take(id)).count;
  }

  async resetAt(id: string): Promise<number | undefined> {
    const res = await this.limiter.get(id);
    return res && res.msBeforeNext > 0 ? Date.now() + res.msBeforeNext : undefined;
  }

  async take(id: string): Promise<{ count: number; resetAt: number }> {
    let res: RateLimiterRes;
    try {
      res = await this.limiter.consume(id);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res = err; // over the limit: the library rejects with the RateLimiterRes, counted all the same
    }
    return { count: res.consumedPoints, resetAt: Date.now() + res.msBeforeNext };
  }

  async giveBack(id: string): Promise<void> {
    await this.limiter.reward(id);
  }
}

/**
 * The same counting on KeyValueStore (PostgreSQL/PGlite, see the module comment): the count is
 * one atomic increment whose expiry starts with the first send; the window's end is recorded
 * beside it by the send that opened the window, and read only to tell a refused user when to
 * come back.
 */
class KvWindowCounter implements WindowCounter {
  constructor(private readonly kv: KeyValueStore, private readonly keyPrefix: string, private readonly seconds: number) {}

  async peek(id: string): Promise<number> {
    return Number((await this.kv.get<number>(this.key(id))) ?? 0);
  }

  async hit(id: string): Promise<number> {
    const { count, resetAt } = await this.take(id);
    if (count === 1) await this.kv.set(`${this.key(id)}:reset`, resetAt, this.seconds);
    return count;
  }

  async resetAt(id: string): Promise<number | undefined> {
    const at = await this.kv.get<number>(`${this.key(id)}:reset`);
    return typeof at === 'number' ? at : undefined;
  }

  async take(id: string): Promise<{ count: number; resetAt: number }> {
    const { value, expiresAt } = await this.kv.add(this.key(id), 1, this.seconds);
    return { count: value, resetAt: expiresAt.getTime() };
  }

  async giveBack(id: string): Promise<void> {
    await this.kv.add(this.key(id), -1, this.seconds);
  }

  private key(id: string): string {
    return `${this.keyPrefix}:${id}`;
  }
}

interface Window {
  kind: SmsLimitKind;
  max: number;
  seconds: number;
  counter: WindowCounter;
}

/** Counts SMS sends and refuses those over SMS_SEND_LIMITS. One instance per process. */
export class SmsSendLimiter {
  private readonly windows: Record<SmsLimitKind, Window[]>;
  private readonly key: Buffer;

  /**
   * `redis`: counters in Redis (rate-limiter-flexible) when given; otherwise `kv` (which must be
   * the SQL store then). `db` is not used directly: the SQL counters go through `kv`. `key`: the
   * master key's 'rate-limits' subkey, which keys the hashes of numbers and addresses.
   */
  constructor(options: { redis?: RedisClient; db: Database; kv: KeyValueStore; key: Buffer }) {
    this.key = options.key;
    const make = (kind: SmsLimitKind): Window[] =>
      SMS_SEND_LIMITS[kind].map(({ max, seconds }) => {
        const keyPrefix = `${KEY_PREFIX}${kind}:${windowLabel(seconds)}`;
        const counter = options.redis
          ? new RedisWindowCounter(options.redis, keyPrefix, max, seconds)
          : new KvWindowCounter(options.kv, keyPrefix, seconds);
        return { kind, max, seconds, counter };
      });
    this.windows = { phone: make('phone'), account: make('account'), ip: make('ip') };
  }

  /**
   * Asks to send one SMS to `phone` (E.164) for `userId` from `ip`. When allowed, the send is
   * counted in every applicable window. When refused, `retryAt` is when every window that is
   * full has ended (so a new try then really can pass, unless other sends fill a window
   * meanwhile) and `limit` names the window that ends last.
   *
   * A send refused because a window was already full is not counted anywhere: a user who keeps
   * pressing "resend" does not use up the quota of their office's shared IP. Sends racing for
   * the last slot count window after window (atomically, in a fixed order) and stop at the first
   * window that overflows: only those that got a slot in every window pass, so concurrency can
   * refuse a little more, never allow more. Throws when the store fails: then do not send.
   */
  async consume(keys: { phone: string; userId?: string; ip?: string }): Promise<SmsSendDecision> {
    const applicable: { window: Window; id: string }[] = [];
    const add = (kind: SmsLimitKind, value: string | undefined) => {
      if (value === undefined || value === '') return;
      const id = hashId(this.key, kind, value);
      for (const window of this.windows[kind]) applicable.push({ window, id });
    };
    add('phone', keys.phone.replace(/[\s.\-/()]/g, ''));
    add('account', keys.userId);
    add('ip', keys.ip === undefined ? undefined : ipBucket(keys.ip));

    const counts = await Promise.all(applicable.map(({ window, id }) => window.counter.peek(id)));
    if (applicable.every(({ window }, i) => counts[i] < window.max)) {
      let overflow = -1;
      for (let i = 0; i < applicable.length && overflow < 0; i++) {
        counts[i] = await applicable[i].window.counter.hit(applicable[i].id);
        if (counts[i] > applicable[i].window.max) overflow = i;
      }
      if (overflow < 0) return { allowed: true };
      // Windows after the one that overflowed were not counted: see whether they are full now.
      const rest = applicable.slice(overflow + 1);
      const restCounts = await Promise.all(rest.map(({ window, id }) => window.counter.peek(id)));
      restCounts.forEach((c, j) => (counts[overflow + 1 + j] = c));
    }

    const full = applicable.filter(({ window }, i) => counts[i] >= window.max);
    const now = Date.now();
    const resets = await Promise.all(full.map(({ window, id }) => window.counter.resetAt(id)));
    let latest = { at: 0, kind: full[0].window.kind };
    full.forEach(({ window }, i) => {
      const recorded = resets[i];
      // Unknown (the window's opener has not recorded its end yet): a full window from now is
      // never too early.
      const at = recorded !== undefined && recorded > now ? recorded : now + window.seconds * 1000;
      if (at > latest.at) latest = { at, kind: window.kind };
    });
    return { allowed: false, retryAt: new Date(latest.at), limit: latest.kind };
  }
}

function windowLabel(seconds: number): string {
  if (seconds % DAY === 0) return `${seconds / DAY}d`;
  if (seconds % HOUR === 0) return `${seconds / HOUR}h`;
  return `${seconds}s`;
}

function hashId(key: Buffer, kind: SmsLimitKind, value: string): string {
  return keyedHash(key, `sms-limit:${kind}:${value}`, 'base64url');
}

/**
 * The unit an address is counted as: an IPv4 address itself (also when written IPv4-mapped,
 * `::ffff:192.0.2.1`), an IPv6 address's /64.
 */
export function ipBucket(ip: string): string {
  const address = ip.trim().replace(/%.*$/, '').toLowerCase();
  if (net.isIPv4(address)) return address;
  if (!net.isIPv6(address)) return address;
  const groups = expandIPv6(address);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The 8 16-bit groups of a valid IPv6 address (`::` and a dotted IPv4 tail expanded). */
function expandIPv6(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/**
 * Wrong passwords (and unknown identifiers) per source, counted before any account is touched:
 * a source that guesses too much is slowed down as a whole, so it cannot lock people out one
 * account after another, nor spray one password over many accounts (NOTES.md, OWASP ASVS 6).
 * An office behind one address shares these windows, hence the generous numbers.
 */
export const PASSWORD_FAILURE_LIMITS: readonly { max: number; seconds: number }[] = Object.freeze([
  Object.freeze({ max: 30, seconds: 15 * 60 }),
  Object.freeze({ max: 200, seconds: DAY }),
]);

/** A source's try, reserved before the password is checked. */
export type SourceReservation =
  /** Go on; `refund` when the password was right (a success does not use up the budget). */
  | { granted: true; refund(): Promise<void> }
  /** The source is over a limit: no check, come back at `retryAt`. */
  | { granted: false; retryAt: Date };

const NOTHING_RESERVED: SourceReservation = Object.freeze({ granted: true as const, refund: async () => undefined });

/**
 * Reserve first, check after: a try takes one point in every window before the hash is
 * checked, atomically, so a parallel burst from one source gets at most `max` checks per window
 * (checking then counting let every request of a burst pass the check). A try over a limit gives
 * its points back and is refused; a try whose password was right gives its points back after.
 * A point given back just as its window ended lands in the next one (for both stores): at most
 * one extra try, now and then.
 */
export class PasswordFailureThrottle {
  private readonly windows: { max: number; seconds: number; counter: WindowCounter }[];
  private readonly key: Buffer;

  /** `key`: the master key's 'rate-limits' subkey. `limits` default to PASSWORD_FAILURE_LIMITS. */
  constructor(options: { redis?: RedisClient; kv: KeyValueStore; key: Buffer; limits?: readonly { max: number; seconds: number }[] }) {
    this.key = options.key;
    this.windows = (options.limits ?? PASSWORD_FAILURE_LIMITS).map(({ max, seconds }) => {
      const keyPrefix = `pwd-fail:ip:${windowLabel(seconds)}`;
      const counter = options.redis ? new RedisWindowCounter(options.redis, keyPrefix, max, seconds) : new KvWindowCounter(options.kv, keyPrefix, seconds);
      return { max, seconds, counter };
    });
  }

  /** Reserves one try for the source `ip` (no address: nothing to count, always granted). */
  async reserve(ip: string | null | undefined): Promise<SourceReservation> {
    if (!ip) return NOTHING_RESERVED;
    const id = sourceId(this.key, ip);
    const taken = await Promise.all(this.windows.map((w) => w.counter.take(id)));
    let given = false;
    const giveBack = async () => {
      if (given) return;
      given = true;
      await Promise.all(this.windows.map((w) => w.counter.giveBack(id)));
    };
    const over = this.windows.map((w, i) => ({ w, t: taken[i] })).filter(({ w, t }) => t.count > w.max);
    if (over.length === 0) return { granted: true, refund: giveBack };
    await giveBack();
    return { granted: false, retryAt: new Date(Math.max(...over.map(({ t }) => t.resetAt))) };
  }
}

function sourceId(key: Buffer, ip: string): string {
  return keyedHash(key, `pwd-fail:${ipBucket(ip)}`, 'base64url');
}

/**
 * Password-reset requests (issue 10): per source, a clear "try again later"; per account, silently
 * (the page's answer stays the same, only the mails stop), so nobody can flood a mailbox and the
 * answer never tells whether an account exists.
 * - ip: 10 per hour, 50 per day from one address (an office shares one);
 * - account: 3 mails per hour, 10 per day to one account.
 */
export const PASSWORD_RESET_LIMITS = Object.freeze({
  ip: Object.freeze([Object.freeze({ max: 10, seconds: HOUR }), Object.freeze({ max: 50, seconds: DAY })]),
  account: Object.freeze([Object.freeze({ max: 3, seconds: HOUR }), Object.freeze({ max: 10, seconds: DAY })]),
});

export type LimitDecision = { allowed: true } | { allowed: false; retryAt: Date };

/**
 * Counts password-reset requests per source and per account in fixed windows
 * (PASSWORD_RESET_LIMITS). A request takes one point in every window of its kind at once; one over
 * a limit gives its points back and is refused, so pressing again while refused never pushes the
 * end of the wait further. Addresses and account ids are keyed hashes, as for SMS.
 */
export class PasswordResetLimiter {
  private readonly windows: Record<'ip' | 'account', { max: number; counter: WindowCounter }[]>;
  private readonly key: Buffer;

  /** `key`: the master key's 'rate-limits' subkey. */
  constructor(options: { redis?: RedisClient; kv: KeyValueStore; key: Buffer; limits?: typeof PASSWORD_RESET_LIMITS }) {
    this.key = options.key;
    const limits = options.limits ?? PASSWORD_RESET_LIMITS;
    const make = (kind: 'ip' | 'account') =>
      limits[kind].map(({ max, seconds }) => {
        const keyPrefix = `pwd-reset:${kind}:${windowLabel(seconds)}`;
        return { max, counter: options.redis ? new RedisWindowCounter(options.redis, keyPrefix, max, seconds) : new KvWindowCounter(options.kv, keyPrefix, seconds) };
      });
    this.windows = { ip: make('ip'), account: make('account') };
  }

  /** One request from `ip` (no address: nothing to count, allowed). */
  source(ip: string | null | undefined): Promise<LimitDecision> {
    return ip ? this.take('ip', ipBucket(ip)) : Promise.resolve({ allowed: true });
  }

  /** One mail to the account `userId`. */
  account(userId: string): Promise<LimitDecision> {
    return this.take('account', userId);
  }

  private async take(kind: 'ip' | 'account', value: string): Promise<LimitDecision> {
    const id = keyedHash(this.key, `pwd-reset:${kind}:${value}`, 'base64url');
    const windows = this.windows[kind];
    const taken = await Promise.all(windows.map((w) => w.counter.take(id)));
    const over = windows.map((w, i) => ({ w, t: taken[i] })).filter(({ w, t }) => t.count > w.max);
    if (over.length === 0) return { allowed: true };
    await Promise.all(windows.map((w) => w.counter.giveBack(id)));
    return { allowed: false, retryAt: new Date(Math.max(...over.map(({ t }) => t.resetAt))) };
  }
}
