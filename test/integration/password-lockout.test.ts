/**
 * Password verification and lockout on real PostgreSQL: the threshold exactly, a parallel
 * burst that cannot get past it, the strictest policy of several tenants, temporary lockout,
 * the same answer for unknown, locked and wrong, unlock, events. The source throttle on every
 * store (PostgreSQL, Redis, PGlite): a parallel burst from one source gets no more argon2
 * checks than the limit, and successful sign-ins do not use up the budget.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createEmbeddedDatabase, createPostgresDatabase, createTestRedis, type TestDatabase } from '../helpers/stores.js';
import { UsersRepository } from '../../src/repositories/users-repository.js';
import { EventsRepository } from '../../src/repositories/events-repository.js';
import { PasswordHasher } from '../../src/domain/passwords.js';
import { PasswordAuthenticator } from '../../src/domain/authentication.js';
import { EventLog } from '../../src/domain/events.js';
import { Directory } from '../../src/domain/directory.js';
import { PasswordFailureThrottle } from '../../src/security/rate-limits.js';
import { SqlKeyValueStore } from '../../src/storage/kv.js';
import { Credentials } from '../../src/domain/credentials.js';
import { TotpService } from '../../src/domain/totp.js';
import { RecoveryCodes } from '../../src/domain/recovery-codes.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { FactorsRepository } from '../../src/repositories/factors-repository.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';
import { PasskeysRepository } from '../../src/repositories/passkeys-repository.js';
import { Passkeys } from '../../src/domain/passkeys.js';
import { Cipher } from '../../src/secrets/cipher.js';
import type { Redis } from 'ioredis';

/** The rate-limits subkey of some master key (any key will do for counting). */
const RATE_KEY = crypto.randomBytes(32);

const FAST = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

describe('password lockout (PostgreSQL)', () => {
  let t: TestDatabase;
  let auth: PasswordAuthenticator;
  let dir: Directory;
  let events: EventsRepository;
  let devices: TrustedDevices;
  const meta = { ip: '192.0.2.1', userAgent: 'jest', clientId: 'app' };

  beforeAll(async () => {
    t = await createPostgresDatabase();
    const hasher = new PasswordHasher(FAST);
    events = new EventsRepository(t.db);
    const log = new EventLog(events, pino({ level: 'silent' }));
    devices = new TrustedDevices(new DevicesRepository(t.db));
    auth = new PasswordAuthenticator(new UsersRepository(t.db), hasher, log, undefined, devices);
    const factors = new FactorsRepository(t.db);
    // Session ending is tested with the engine (account-sessions, e2e); here only the lock matters.
    const sessions = { endAll: async () => ({ sessions: 0, grants: 0 }) };
    const credentials = new Credentials({
      db: t.db,
      hasher,
      events: log,
      totp: new TotpService(factors, new Cipher(crypto.randomBytes(32))),
      recoveryCodes: new RecoveryCodes(factors, crypto.randomBytes(32)),
      sessions,
      passkeys: new Passkeys(new PasskeysRepository(t.db), log, { rpId: 'localhost', rpName: 'Sesam', origins: ['http://localhost:3000'] }),
    });
    dir = new Directory(t.db, { hasher, events: log, validateClient: async () => undefined, credentials });
    await dir.putTenant({ id: 'strict', name: 'Strict', policy: { lockout: { threshold: 3, mode: 'permanent' } } as never });
    await dir.putTenant({ id: 'lenient', name: 'Lenient', policy: { lockout: { threshold: 10, mode: 'temporary', baseMinutes: 1 } } as never });
    await dir.putTenant({ id: 'seed000', name: 'Seed 000', policy: { lockout: { threshold: 3, mode: 'permanent', trustedDevices: 'strict' } } as never });
  });
  afterAll(async () => {
    await t.drop();
  });

  async function user(login: string, tenants: string[]) {
    return dir.createUser({ login, password: 'the right password 1', mustChangePassword: false, tenants: tenants.map((id) => ({ id, role: 'member' as const })) });
  }

  it('locks at exactly the threshold, then refuses even the right password, until an admin unlocks', async () => {
    const u = await user('anna', ['strict']);
    expect((await auth.verify('anna', 'wrong 1', meta)).ok).toBe(false);
    expect((await auth.verify('anna', 'wrong 2', meta)).ok).toBe(false);
    expect((await auth.verify('anna', 'the right password 1', meta)).ok).toBe(true); // resets the count
    expect((await auth.verify('anna', 'wrong 1', meta)).ok).toBe(false);
    expect((await auth.verify('anna', 'wrong 2', meta)).ok).toBe(false);
    const third = await auth.verify('anna', 'wrong 3', meta);
    expect(third).toMatchObject({ ok: false, reason: 'wrong', lockedNow: true });
    expect(await auth.verify('anna', 'the right password 1', meta)).toMatchObject({ ok: false, reason: 'locked' });
    const types = (await events.list({ userId: u.id })).map((e) => e.type);
    expect(types).toContain('account.locked');
    expect(types).toContain('login.locked');
    await dir.unlock(u.id);
    expect((await auth.verify('anna', 'the right password 1', meta)).ok).toBe(true);
    expect((await events.list({ userId: u.id, type: 'account.unlocked' })).length).toBe(1);
  });

  it('lets the owner in from a device they trusted, while the lock stays for everyone else', async () => {
    const u = await user('owner', ['strict']);
    const device = await devices.trust(u.id, { days: 30 });
    for (let i = 0; i < 3; i++) await auth.verify('owner', 'attacker guess', meta);
    const trusted = { trustedDevice: async (id: string) => (id === u.id ? { id: device.id } : undefined) };
    const elsewhere = { trustedDevice: async () => undefined };
    expect(await auth.verify('owner', 'the right password 1', meta, elsewhere)).toMatchObject({ ok: false, reason: 'locked' });
    expect(await auth.verify('owner', 'attacker guess', meta, trusted)).toMatchObject({ ok: false, reason: 'locked' });
    expect((await auth.verify('owner', 'the right password 1', meta, trusted)).ok).toBe(true);
    expect((await new UsersRepository(t.db).findById(u.id))!.locked).toBe(true);
    expect(await auth.verify('owner', 'the right password 1', meta)).toMatchObject({ ok: false, reason: 'locked' });
    expect((await events.list({ userId: u.id, type: 'login.locked_trusted_device' })).length).toBe(1);
  });

  it('attack: a thief holding the trusted phone gets no more than the threshold of guesses past a lock', async () => {
    const u = await user('phone-thief', ['strict']);
    const device = await devices.trust(u.id, { days: 30 });
    const onPhone = { trustedDevice: async (id: string) => (id === u.id ? { id: device.id } : undefined) };
    for (let i = 0; i < 3; i++) await auth.verify('phone-thief', 'guess from elsewhere', meta);
    // The device's own budget: the tenant's threshold (3), counted apart from the account's.
    for (let i = 0; i < 3; i++) expect(await auth.verify('phone-thief', `guess on the phone ${i}`, meta, onPhone)).toMatchObject({ ok: false, reason: 'locked' });
    // Spent: even the right password no longer gets past the lock on that device.
    expect(await auth.verify('phone-thief', 'the right password 1', meta, onPhone)).toMatchObject({ ok: false, reason: 'locked' });
    // A parallel burst on the device does not get more tries either.
    const burst = await Promise.all(Array.from({ length: 6 }, () => auth.verify('phone-thief', 'the right password 1', meta, onPhone)));
    expect(burst.every((r) => !r.ok)).toBe(true);
    // An admin unlock gives the device its budget back.
    await dir.unlock(u.id);
    for (let i = 0; i < 3; i++) await auth.verify('phone-thief', 'guess from elsewhere', meta);
    expect((await auth.verify('phone-thief', 'the right password 1', meta, onPhone)).ok).toBe(true);
  });

  it('attack: on a tenant that chose strict lockout (seed 000), the trusted device is locked out too', async () => {
    const u = await user('strict-owner', ['seed000']);
    const device = await devices.trust(u.id, { days: 30 });
    const onPhone = { trustedDevice: async (id: string) => (id === u.id ? { id: device.id } : undefined) };
    for (let i = 0; i < 3; i++) await auth.verify('strict-owner', 'attacker guess', meta);
    expect(await auth.verify('strict-owner', 'the right password 1', meta, onPhone)).toMatchObject({ ok: false, reason: 'locked' });
    expect((await events.list({ userId: u.id, type: 'login.locked_trusted_device' })).length).toBe(0);
  });

  it('a parallel burst of wrong passwords gets no more than the threshold of checks', async () => {
    const u = await user('burst', ['strict']);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => auth.verify('burst', `wrong ${i}`, meta)));
    const checked = results.filter((r) => !r.ok && r.reason === 'wrong').length;
    expect(checked).toBe(3);
    expect(results.filter((r) => !r.ok && r.reason === 'locked').length).toBe(9);
    const row = await new UsersRepository(t.db).findById(u.id);
    expect(row!.locked).toBe(true);
    expect(row!.failedAttempts).toBe(3);
    // The right password inside a burst after the lock does not get in either.
    expect((await auth.verify('burst', 'the right password 1', meta)).ok).toBe(false);
  });

  it('a user of several tenants is held to the strictest policy', async () => {
    await user('multi', ['lenient', 'strict']);
    for (let i = 0; i < 3; i++) await auth.verify('multi', 'nope', meta);
    expect(await auth.verify('multi', 'the right password 1', meta)).toMatchObject({ ok: false, reason: 'locked' });
  });

  it('temporary mode locks for a while, growing, and lets the user in after', async () => {
    const u = await user('temp', ['lenient']);
    for (let i = 0; i < 10; i++) await auth.verify('temp', 'nope', meta);
    const users = new UsersRepository(t.db);
    const first = (await users.findById(u.id))!;
    expect(first.locked).toBe(false);
    expect(first.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(await auth.verify('temp', 'the right password 1', meta)).toMatchObject({ ok: false, reason: 'locked' });
    // Let the lock run out, fail another full series: the next lock lasts twice as long.
    await t.db('users').where({ id: u.id }).update({ locked_until: new Date(Date.now() - 1000) });
    for (let i = 0; i < 10; i++) await auth.verify('temp', 'nope', meta);
    const second = (await users.findById(u.id))!;
    expect(second.lockedUntil!.getTime() - Date.now()).toBeGreaterThan(110_000);
    await t.db('users').where({ id: u.id }).update({ locked_until: new Date(Date.now() - 1000) });
    expect((await auth.verify('temp', 'the right password 1', meta)).ok).toBe(true);
  });

  it('slows down a source that guesses too much, before any account is touched', async () => {
    const throttled = new PasswordAuthenticator(
      new UsersRepository(t.db),
      new PasswordHasher(FAST),
      new EventLog(events, pino({ level: 'silent' })),
      new PasswordFailureThrottle({ kv: new SqlKeyValueStore(t.db), key: RATE_KEY, limits: [{ max: 4, seconds: 600 }] }),
    );
    const victim = await user('victim', ['lenient']);
    const from = { ...meta, ip: '198.51.100.7' };
    // a spray: one password over many (here unknown) accounts, then the victim
    for (let i = 0; i < 4; i++) expect((await throttled.verify(`nobody-${i}`, 'Summer2026!', from)).ok).toBe(false);
    const blocked = await throttled.verify('victim', 'the right password 1', from);
    expect(blocked).toMatchObject({ ok: false, reason: 'throttled' });
    expect((blocked as { retryAt: Date }).retryAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
    // the victim's own counter never moved, and another source gets in
    expect((await new UsersRepository(t.db).findById(victim.id))!.failedAttempts).toBe(0);
    expect((await throttled.verify('victim', 'the right password 1', { ...meta, ip: '203.0.113.9' })).ok).toBe(true);
    // an IPv6 source counts as its /64
    const v6 = { ...meta, ip: '2001:db8:1:2::10' };
    for (let i = 0; i < 4; i++) await throttled.verify(`nobody-${i}`, 'x', { ...v6, ip: `2001:db8:1:2::${i + 20}` });
    expect(await throttled.verify('victim', 'the right password 1', v6)).toMatchObject({ reason: 'throttled' });
    expect((await events.list({ type: 'login.throttled' })).length).toBeGreaterThanOrEqual(2);
  });

  it('counts the source in Redis too', async () => {
    const { redis, cleanup } = await createTestRedis();
    try {
      const throttle = new PasswordFailureThrottle({ redis, kv: new SqlKeyValueStore(t.db), key: RATE_KEY, limits: [{ max: 2, seconds: 60 }] });
      const [a, b] = await Promise.all([throttle.reserve('192.0.2.50'), throttle.reserve('192.0.2.50')]);
      expect([a.granted, b.granted]).toEqual([true, true]);
      const third = await throttle.reserve('192.0.2.50');
      expect(third.granted).toBe(false);
      expect((third as { retryAt: Date }).retryAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect((await throttle.reserve('192.0.2.51')).granted).toBe(true);
      expect(await redis.keys('*')).not.toContainEqual(expect.stringContaining('192.0.2.50'));
    } finally {
      await cleanup();
    }
  });

  it('answers an unknown identifier like a wrong password, spending one argon2 verification', async () => {
    await user('known', ['strict']);
    const time = async (f: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      await f();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const unknown = await auth.verify('nobody-here', 'x', meta);
    expect(unknown).toMatchObject({ ok: false });
    // Both paths hash: neither can be as fast as a lookup alone (argon2id with m=19 MiB takes milliseconds).
    const tUnknown = await time(() => auth.verify('nobody-here', 'x', meta));
    const tWrong = await time(() => auth.verify('known', 'x', meta));
    expect(tUnknown).toBeGreaterThan(5);
    expect(tWrong).toBeGreaterThan(5);
    expect((await events.list({ type: 'login.unknown_identifier' })).length).toBeGreaterThan(0);
  });
});

/** A hasher that counts the argon2 checks it makes (verifyNothing goes through verify too). */
class CountingHasher extends PasswordHasher {
  checks = 0;
  override async verify(hash: string, password: string) {
    this.checks++;
    return super.verify(hash, password);
  }
}

describe.each([
  ['PostgreSQL', 'sql', createPostgresDatabase],
  ['Redis', 'redis', createPostgresDatabase],
  ['PGlite', 'sql', createEmbeddedDatabase],
] as const)('source throttle under a parallel burst (%s)', (_name, store, create) => {
  let t: TestDatabase;
  let redis: { redis: Redis; cleanup(): Promise<void> } | undefined;
  let dir: Directory;
  let events: EventsRepository;
  let hasher: CountingHasher;
  let n = 0;

  beforeAll(async () => {
    t = await create();
    if (store === 'redis') redis = await createTestRedis();
    hasher = new CountingHasher(FAST);
    events = new EventsRepository(t.db);
    dir = new Directory(t.db, { hasher, events: new EventLog(events, pino({ level: 'silent' })), validateClient: async () => undefined });
    await dir.putTenant({ id: 'roomy', name: 'Roomy', policy: { lockout: { threshold: 50, mode: 'temporary', baseMinutes: 1 } } as never });
  });
  afterAll(async () => {
    await redis?.cleanup();
    await t?.drop();
  });

  /** An authenticator whose source throttle allows `max` failures per 10 minutes, on this store. */
  function authenticator(max: number) {
    const throttle = new PasswordFailureThrottle({ redis: redis?.redis, kv: new SqlKeyValueStore(t.db), key: RATE_KEY, limits: [{ max, seconds: 600 }, { max: 1000, seconds: 86400 }] });
    return new PasswordAuthenticator(new UsersRepository(t.db), hasher, new EventLog(events, pino({ level: 'silent' })), throttle);
  }
  const source = () => ({ ip: `198.51.100.${++n}`, userAgent: 'jest', clientId: 'app' });
  const checkedEvents = async (ip: string) =>
    (await events.list({ limit: 1000 })).filter((e) => e.ip === ip && ['login.wrong_password', 'login.unknown_identifier'].includes(e.type)).length;

  it('gives a burst of 20 wrong passwords from one source at most `max` argon2 checks; the rest are throttled', async () => {
    const auth = authenticator(4);
    const victim = await dir.createUser({ login: `victim-${store}-${n}`, password: 'the right password 1', mustChangePassword: false, tenants: [{ id: 'roomy', role: 'member' }] });
    const meta = source();
    const before = hasher.checks;
    const guesses = Array.from({ length: 20 }, (_, i) => (i % 2 ? victim.login : `nobody-${i}`));
    const results = await Promise.all(guesses.map((login, i) => auth.verify(login, `guess ${i}`, meta)));

    expect(hasher.checks - before).toBe(4);
    expect(await checkedEvents(meta.ip)).toBe(4);
    const throttled = results.filter((r) => !r.ok && r.reason === 'throttled');
    expect(throttled).toHaveLength(16);
    for (const r of throttled) expect((r as { retryAt: Date }).retryAt.getTime()).toBeGreaterThan(Date.now() + 500_000);
    // Refused tries gave their points back: the source is still at its limit, not beyond it.
    expect(await auth.verify(victim.login, 'the right password 1', meta)).toMatchObject({ ok: false, reason: 'throttled' });
    expect(hasher.checks - before).toBe(4);
  });

  it('does not count successful sign-ins against the source', async () => {
    const auth = authenticator(3);
    const user = await dir.createUser({ login: `regular-${store}-${n}`, password: 'the right password 1', mustChangePassword: false, tenants: [{ id: 'roomy', role: 'member' }] });
    const meta = source();
    // An office behind one address: many sign-ins, in a row and at once (while in flight, a
    // sign-in holds its point: at most `max` at the very same moment).
    for (let i = 0; i < 6; i++) expect((await auth.verify(user.login, 'the right password 1', meta)).ok).toBe(true);
    const burst = await Promise.all(Array.from({ length: 3 }, () => auth.verify(user.login, 'the right password 1', meta)));
    expect(burst.every((r) => r.ok)).toBe(true);
    // The whole budget of failures is still there.
    const before = hasher.checks;
    for (let i = 0; i < 3; i++) expect(await auth.verify(user.login, `typo ${i}`, meta)).toMatchObject({ ok: false, reason: 'wrong' });
    expect(hasher.checks - before).toBe(3);
    expect(await auth.verify(user.login, 'the right password 1', meta)).toMatchObject({ ok: false, reason: 'throttled' });
  });
});
