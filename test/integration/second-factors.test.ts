/**
 * Second factors on real PostgreSQL and on embedded PGlite: TOTP confirm/verify with replay
 * refused (also for two parallel requests with one code), the secret sealed at rest; recovery
 * codes single use (also in parallel) and invalidated by regeneration; trusted devices bound
 * to their user, refused once expired or revoked, listed without their hash.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Secret, TOTP } from 'otpauth';
import { createEmbeddedDatabase, createPostgresDatabase, type TestDatabase } from '../helpers/stores.js';
import { UsersRepository } from '../../src/repositories/users-repository.js';
import { FactorsRepository } from '../../src/repositories/factors-repository.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';
import { TotpService } from '../../src/domain/totp.js';
import { RecoveryCodes } from '../../src/domain/recovery-codes.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { Cipher } from '../../src/secrets/cipher.js';

const STEP_MS = 30_000;

describe.each([
  ['PostgreSQL', createPostgresDatabase],
  ['PGlite', createEmbeddedDatabase],
])('second factors (%s)', (_name, create) => {
  let t: TestDatabase;
  let users: UsersRepository;
  let factors: FactorsRepository;
  let cipher: Cipher;
  let recovery: RecoveryCodes;
  let devices: TrustedDevices;
  let n = 0;

  beforeAll(async () => {
    t = await create();
    users = new UsersRepository(t.db);
    factors = new FactorsRepository(t.db);
    cipher = new Cipher(crypto.randomBytes(32));
    recovery = new RecoveryCodes(factors, crypto.randomBytes(32));
    devices = new TrustedDevices(new DevicesRepository(t.db));
  });
  afterAll(async () => {
    await t?.drop();
  });

  const newUser = async () => (await users.insert({ login: `user${++n}-${crypto.randomBytes(3).toString('hex')}` })).id;

  describe('TOTP', () => {
    /** A service on a clock the test moves, and otpauth codes for its secret. */
    function totp(startMs: number) {
      const clock = { now: startMs };
      const service = new TotpService(factors, cipher, 'Sesam', () => clock.now);
      // Codes of different steps collide once in a million: pick a secret whose codes around the
      // start all differ, so that no assertion passes or fails by chance.
      for (;;) {
        const secret = service.newSecret();
        const otp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
        const codeAt = (ms: number) => otp.generate({ timestamp: ms });
        if (new Set([-2, -1, 0, 1, 2, 3].map((o) => codeAt(startMs + o * STEP_MS))).size === 6) return { clock, service, secret, codeAt };
      }
    }
    const start = () => Math.floor(Date.now() / STEP_MS) * STEP_MS + 10_000;

    it('confirms, then verifies a new code once; the same code again is replayed', async () => {
      const userId = await newUser();
      const now = start();
      const { clock, service, secret, codeAt } = totp(now);
      expect(await service.isEnrolled(userId)).toBe(false);
      expect(await service.verify(userId, codeAt(now))).toBe('not_enrolled');
      expect(await service.confirm(userId, secret, codeAt(now))).toBe(true);
      expect(await service.isEnrolled(userId)).toBe(true);
      expect(await service.verify(userId, codeAt(now))).toBe('replayed'); // the confirming code's step is used

      clock.now = now + STEP_MS;
      const code = codeAt(clock.now);
      expect(await service.verify(userId, code)).toBe('ok');
      expect(await service.verify(userId, code)).toBe('replayed');
      expect((await factors.findTotp(userId))?.lastTimeStep).toBe(Math.floor(clock.now / STEP_MS));
    });

    it('lets exactly one of two parallel verifications of one fresh code succeed', async () => {
      for (let round = 0; round < 5; round++) {
        const userId = await newUser();
        const now = start();
        const { clock, service, secret, codeAt } = totp(now);
        expect(await service.confirm(userId, secret, codeAt(now - STEP_MS))).toBe(true);
        clock.now = now;
        const code = codeAt(now);
        const results = await Promise.all([service.verify(userId, code), service.verify(userId, code), service.verify(userId, code)]);
        expect(results.sort()).toEqual(['ok', 'replayed', 'replayed']);
      }
    });

    it('stores the secret sealed, readable only with the key and only as this user\'s', async () => {
      const userId = await newUser();
      const now = start();
      const { service, secret, codeAt } = totp(now);
      expect(await service.confirm(userId, secret, codeAt(now))).toBe(true);
      const row = await t.db('totp_factors').where({ user_id: userId }).first();
      expect(row.secret_encrypted).not.toContain(secret);
      expect(row.secret_encrypted.toUpperCase()).not.toContain(secret.slice(0, 16));
      expect(row.secret_encrypted.startsWith('v1.')).toBe(true);
      expect(cipher.decrypt(row.secret_encrypted, `totp:${userId}`)).toBe(secret);
      expect(() => cipher.decrypt(row.secret_encrypted, 'totp:someone-else')).toThrow();
      expect(() => new Cipher(crypto.randomBytes(32)).decrypt(row.secret_encrypted, `totp:${userId}`)).toThrow();
      expect(row.confirmed_at).not.toBeNull();
    });

    it('removes the factor', async () => {
      const userId = await newUser();
      const now = start();
      const { clock, service, secret, codeAt } = totp(now);
      expect(await service.confirm(userId, secret, codeAt(now))).toBe(true);
      expect(await service.remove(userId)).toBe(true);
      expect(await service.remove(userId)).toBe(false);
      clock.now = now + STEP_MS;
      expect(await service.verify(userId, codeAt(clock.now))).toBe('not_enrolled');
      expect(await service.isEnrolled(userId)).toBe(false);
    });
  });

  describe('recovery codes', () => {
    it('gives 10 distinct codes, each usable once', async () => {
      const userId = await newUser();
      const codes = await recovery.regenerate(userId);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const c of codes) expect(c).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
      expect(await recovery.remaining(userId)).toBe(10);

      // Only hashes are stored.
      const stored = (await t.db('recovery_codes').where({ user_id: userId })).map((r) => r.code_hash as string);
      expect(stored).toHaveLength(10);
      for (const c of codes) expect(stored).not.toContain(c);
      expect(stored.join(' ')).not.toMatch(new RegExp(codes[0].replace('-', '-?'), 'i'));

      expect(await recovery.use(userId, codes[0])).toBe(true);
      expect(await recovery.use(userId, codes[0])).toBe(false);
      // Case, spaces and dashes do not matter.
      expect(await recovery.use(userId, ` ${codes[1].replace('-', ' ').toUpperCase()} `)).toBe(true);
      expect(await recovery.use(userId, codes[1])).toBe(false);
      expect(await recovery.use(userId, codes[2].replace('-', ''))).toBe(true);
      expect(await recovery.remaining(userId)).toBe(7);
      for (const c of codes.slice(3)) expect(await recovery.use(userId, c)).toBe(true);
      expect(await recovery.remaining(userId)).toBe(0);
      for (const c of codes) expect(await recovery.use(userId, c)).toBe(false);
    });

    it("refuses a wrong code and another user's code", async () => {
      const a = await newUser();
      const b = await newUser();
      const codesA = await recovery.regenerate(a);
      await recovery.regenerate(b);
      expect(await recovery.use(b, codesA[0])).toBe(false);
      expect(await recovery.use(a, 'aaaaa-aaaaa')).toBe(false);
      expect(await recovery.use(a, '')).toBe(false);
      expect(await recovery.use(a, codesA[0].slice(0, 8))).toBe(false);
      expect(await recovery.remaining(a)).toBe(10);
      expect(await recovery.remaining(b)).toBe(10);
      expect(await recovery.use(a, codesA[0])).toBe(true);
    });

    it('invalidates the old codes when regenerated, also inside a transaction', async () => {
      const userId = await newUser();
      const old = await recovery.regenerate(userId);
      expect(await recovery.use(userId, old[0])).toBe(true);
      const fresh = await recovery.regenerate(userId);
      expect(await recovery.remaining(userId)).toBe(10);
      for (const c of old.slice(1)) expect(await recovery.use(userId, c)).toBe(false);
      expect(fresh.filter((c) => old.includes(c))).toEqual([]);
      expect(await recovery.use(userId, fresh[0])).toBe(true);

      const third = await t.db.transaction(async (trx) => recovery.regenerate(userId, trx));
      expect(await recovery.use(userId, fresh[1])).toBe(false);
      expect(await recovery.use(userId, third[0])).toBe(true);

      // A rolled-back transaction leaves the codes as they were.
      await expect(
        t.db.transaction(async (trx) => {
          await recovery.regenerate(userId, trx);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await recovery.use(userId, third[1])).toBe(true);
      expect(await recovery.remaining(userId)).toBe(8);

      expect(await recovery.remove(userId)).toBe(8 + 2);
      expect(await recovery.remaining(userId)).toBe(0);
      expect(await recovery.use(userId, third[2])).toBe(false);
    });

    it('lets exactly one of parallel uses of one code succeed', async () => {
      const userId = await newUser();
      const codes = await recovery.regenerate(userId);
      for (const code of codes.slice(0, 3)) {
        const results = await Promise.all(Array.from({ length: 4 }, () => recovery.use(userId, code)));
        expect(results.filter(Boolean)).toHaveLength(1);
      }
      expect(await recovery.remaining(userId)).toBe(7);
    });
  });

  describe('trusted devices', () => {
    it('trusts the device with its token, only for its user', async () => {
      const a = await newUser();
      const b = await newUser();
      const dev = await devices.trust(a, { userAgent: 'Firefox', ip: '192.0.2.7', days: 30 });
      expect(dev.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(dev.token, 'base64url')).toHaveLength(32);
      expect(dev.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 86400_000);
      expect(dev.expiresAt.getTime()).toBeLessThan(Date.now() + 31 * 86400_000);

      expect(await devices.isTrusted(a, dev.token)).toBe(true);
      expect(await devices.isTrusted(a, crypto.randomBytes(32).toString('base64url'))).toBe(false);
      expect(await devices.isTrusted(a, undefined)).toBe(false);
      expect(await devices.isTrusted(a, '')).toBe(false);
      expect(await devices.isTrusted(b, dev.token)).toBe(false);

      const row = await t.db('trusted_devices').where({ id: dev.id }).first();
      expect(row.token_hash).not.toContain(dev.token);
      expect(row.token_hash).toBe(crypto.createHash('sha256').update(dev.token).digest('hex'));
      expect(row.last_used_at).not.toBeNull();
    });

    it('refuses an expired device', async () => {
      const userId = await newUser();
      const dev = await devices.trust(userId, { days: 1 });
      expect(await devices.isTrusted(userId, dev.token)).toBe(true);
      await t.db('trusted_devices').where({ id: dev.id }).update({ expires_at: new Date(Date.now() - 1000) });
      expect(await devices.isTrusted(userId, dev.token)).toBe(false);
      expect(await devices.list(userId)).toEqual([]);
    });

    it('refuses a revoked device; revoking is by owner only', async () => {
      const a = await newUser();
      const b = await newUser();
      const one = await devices.trust(a, { days: 30 });
      const two = await devices.trust(a, { days: 30 });
      const other = await devices.trust(b, { days: 30 });

      expect(await devices.revoke(b, one.id)).toBe(false); // not b's device
      expect(await devices.isTrusted(a, one.token)).toBe(true);
      expect(await devices.revoke(a, 'not-a-uuid')).toBe(false);
      expect(await devices.revoke(a, one.id)).toBe(true);
      expect(await devices.revoke(a, one.id)).toBe(false);
      expect(await devices.isTrusted(a, one.token)).toBe(false);
      expect(await devices.isTrusted(a, two.token)).toBe(true);

      expect(await devices.revokeAll(a)).toBe(1);
      expect(await devices.isTrusted(a, two.token)).toBe(false);
      expect(await devices.revokeAll(a)).toBe(0);
      expect(await devices.isTrusted(b, other.token)).toBe(true);
    });

    it('lists the devices newest first, without their hash', async () => {
      const userId = await newUser();
      const first = await devices.trust(userId, { userAgent: 'Old browser', ip: '192.0.2.1', days: 30 });
      await t.db('trusted_devices').where({ id: first.id }).update({ created_at: new Date(Date.now() - 60_000) });
      const second = await devices.trust(userId, { userAgent: 'x'.repeat(600), ip: '2001:db8::1', days: 30 });
      await devices.isTrusted(userId, second.token);

      const list = await devices.list(userId);
      expect(list.map((d) => d.id)).toEqual([second.id, first.id]);
      expect(list[0].userAgent).toHaveLength(512);
      expect(list[0].ip).toBe('2001:db8::1');
      expect(list[0].lastUsedAt).toBeInstanceOf(Date);
      expect(list[1]).toMatchObject({ userAgent: 'Old browser', ip: '192.0.2.1', lastUsedAt: null });
      expect(list[1].createdAt).toBeInstanceOf(Date);
      expect(list[1].expiresAt.getTime()).toBe(first.expiresAt.getTime());
      for (const d of list) {
        expect(Object.keys(d).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent']);
        expect(JSON.stringify(d)).not.toMatch(/[0-9a-f]{64}/);
      }
    });
  });
});
