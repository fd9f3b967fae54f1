/**
 * Password verification and lockout on real PostgreSQL: the threshold exactly, a parallel
 * burst that cannot get past it, the strictest policy of several tenants, temporary lockout,
 * the same answer for unknown, locked and wrong, unlock, events.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createPostgresDatabase, createTestRedis, type TestDatabase } from '../helpers/stores.js';
import { UsersRepository } from '../../src/repositories/users-repository.js';
import { EventsRepository } from '../../src/repositories/events-repository.js';
import { PasswordHasher } from '../../src/domain/passwords.js';
import { PasswordAuthenticator } from '../../src/domain/authentication.js';
import { EventLog } from '../../src/domain/events.js';
import { Directory } from '../../src/domain/directory.js';
import { PasswordFailureThrottle } from '../../src/security/rate-limits.js';
import { SqlKeyValueStore } from '../../src/storage/kv.js';

const FAST = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

describe('password lockout (PostgreSQL)', () => {
  let t: TestDatabase;
  let auth: PasswordAuthenticator;
  let dir: Directory;
  let events: EventsRepository;
  const meta = { ip: '192.0.2.1', userAgent: 'jest', clientId: 'app' };

  beforeAll(async () => {
    t = await createPostgresDatabase();
    const hasher = new PasswordHasher(FAST);
    events = new EventsRepository(t.db);
    const log = new EventLog(events, pino({ level: 'silent' }));
    auth = new PasswordAuthenticator(new UsersRepository(t.db), hasher, log);
    dir = new Directory(t.db, { hasher, events: log, validateClient: async () => undefined });
    await dir.putTenant({ id: 'strict', name: 'Strict', policy: { lockout: { threshold: 3, mode: 'permanent' } } as never });
    await dir.putTenant({ id: 'lenient', name: 'Lenient', policy: { lockout: { threshold: 10, mode: 'temporary', baseMinutes: 1 } } as never });
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
    for (let i = 0; i < 3; i++) await auth.verify('owner', 'attacker guess', meta);
    const trusted = { trustedDevice: async (id: string) => id === u.id };
    const elsewhere = { trustedDevice: async () => false };
    expect(await auth.verify('owner', 'the right password 1', meta, elsewhere)).toMatchObject({ ok: false, reason: 'locked' });
    expect(await auth.verify('owner', 'attacker guess', meta, trusted)).toMatchObject({ ok: false, reason: 'locked' });
    expect((await auth.verify('owner', 'the right password 1', meta, trusted)).ok).toBe(true);
    expect((await new UsersRepository(t.db).findById(u.id))!.locked).toBe(true);
    expect(await auth.verify('owner', 'the right password 1', meta)).toMatchObject({ ok: false, reason: 'locked' });
    expect((await events.list({ userId: u.id, type: 'login.locked_trusted_device' })).length).toBe(1);
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
      new PasswordFailureThrottle({ kv: new SqlKeyValueStore(t.db), limits: [{ max: 4, seconds: 600 }] }),
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
      const throttle = new PasswordFailureThrottle({ redis, kv: new SqlKeyValueStore(t.db), limits: [{ max: 2, seconds: 60 }] });
      expect(await throttle.blockedUntil('192.0.2.50')).toBeUndefined();
      await Promise.all([throttle.recordFailure('192.0.2.50'), throttle.recordFailure('192.0.2.50')]);
      const until = await throttle.blockedUntil('192.0.2.50');
      expect(until!.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect(await throttle.blockedUntil('192.0.2.51')).toBeUndefined();
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
