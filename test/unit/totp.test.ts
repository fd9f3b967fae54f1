/**
 * TotpService against an independent TOTP implementation (otpauth): its codes are accepted, one
 * step of drift either way and no more, a used step is refused, and the enrolment URI and QR
 * code say what authenticator apps need. The repository is an in-memory stand-in.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Secret, TOTP, URI } from 'otpauth';
import { TotpService } from '../../src/domain/totp.js';
import { Cipher } from '../../src/secrets/cipher.js';
import type { FactorsRepository, TotpFactorRow } from '../../src/repositories/factors-repository.js';

const STEP_MS = 30_000;
/** Some time step N; the clock is set at several points inside it. */
const N = 59_123_456;
const USER = '00000000-0000-4000-8000-000000000001';

/** The parts of FactorsRepository TotpService uses, in memory (advanceTimeStep keeps its contract). */
class MemoryFactors {
  rows = new Map<string, TotpFactorRow>();
  async upsertTotp(userId: string, secretEncrypted: string, o: { lastTimeStep?: number; confirmedAt?: Date | null } = {}) {
    const row = { userId, secretEncrypted, lastTimeStep: o.lastTimeStep ?? 0, confirmedAt: o.confirmedAt ?? null, createdAt: new Date() };
    this.rows.set(userId, row);
    return row;
  }
  async findTotp(userId: string) {
    const r = this.rows.get(userId);
    return r ? { ...r } : undefined;
  }
  async advanceTimeStep(userId: string, step: number) {
    const r = this.rows.get(userId);
    if (!r || r.lastTimeStep >= step) return false;
    r.lastTimeStep = step;
    return true;
  }
  async deleteTotp(userId: string) {
    return this.rows.delete(userId);
  }
}

function setup(nowMs: number) {
  const repo = new MemoryFactors();
  const cipher = new Cipher(crypto.randomBytes(32));
  const clock = { now: nowMs };
  const service = new TotpService(repo as unknown as FactorsRepository, cipher, 'Sesam', () => clock.now);
  // 6-digit codes of different steps collide once in a million: pick a secret whose codes from
  // two steps back to two steps ahead all differ, so "refused" cannot pass or fail by chance.
  let secret: string;
  let codeAt: (ms: number) => string;
  do {
    secret = service.newSecret();
    const otp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    codeAt = (ms: number) => otp.generate({ timestamp: ms });
  } while (new Set([-2, -1, 0, 1, 2].map((o) => codeAt(nowMs + o * STEP_MS))).size < 5);
  /** A confirmed factor whose last used step is long past. */
  const enrol = () => repo.upsertTotp(USER, cipher.encrypt(secret, `totp:${USER}`), { lastTimeStep: N - 100, confirmedAt: new Date() });
  return { repo, cipher, clock, service, secret, codeAt, enrol };
}

// Start, middle and last millisecond of step N: drift is counted in steps, not in seconds.
const moments = [
  ['at the start of a step', N * STEP_MS],
  ['in the middle of a step', N * STEP_MS + 14_500],
  ['at the end of a step', N * STEP_MS + STEP_MS - 1],
] as const;

describe('TotpService', () => {
  it('makes 20-byte base32 secrets, a new one each time', () => {
    const { service } = setup(Date.now());
    const a = service.newSecret();
    const b = service.newSecret();
    expect(a).toMatch(/^[A-Z2-7]+=*$/);
    expect(Secret.fromBase32(a).bytes.length).toBeGreaterThanOrEqual(20);
    expect(a).not.toBe(b);
  });

  describe.each(moments)('%s', (_name, now) => {
    it.each([
      ['the current step', 0],
      ['the previous step', -1],
      ['the next step', 1],
    ])('accepts a code of %s (otpauth)', async (_label, offset) => {
      const { service, codeAt, enrol } = setup(now);
      await enrol();
      expect(await service.verify(USER, codeAt(now + offset * STEP_MS))).toBe('ok');
    });

    it.each([
      ['two steps back', -2],
      ['two steps ahead', 2],
    ])('refuses a code from %s', async (_label, offset) => {
      const { service, codeAt, enrol } = setup(now);
      await enrol();
      expect(await service.verify(USER, codeAt(now + offset * STEP_MS))).toBe('invalid');
    });

    it('confirms with a code within one step, not two', async () => {
      const { service, repo, codeAt, secret, cipher } = setup(now);
      expect(await service.confirm(USER, secret, codeAt(now - 2 * STEP_MS))).toBe(false);
      expect(await service.confirm(USER, secret, codeAt(now + 2 * STEP_MS))).toBe(false);
      expect(repo.rows.has(USER)).toBe(false);
      expect(await service.confirm(USER, secret, codeAt(now + STEP_MS))).toBe(true);
      const row = repo.rows.get(USER)!;
      expect(row.lastTimeStep).toBe(N + 1);
      expect(row.confirmedAt).toBeInstanceOf(Date);
      expect(row.secretEncrypted).not.toContain(secret);
      expect(cipher.decrypt(row.secretEncrypted, `totp:${USER}`)).toBe(secret);
    });
  });

  it('refuses a used step: the same code, the confirming code, an older code after a newer one', async () => {
    const now = N * STEP_MS + 10_000;
    const { service, codeAt, secret, clock } = setup(now);
    expect(await service.confirm(USER, secret, codeAt(now))).toBe(true);
    expect(await service.verify(USER, codeAt(now))).toBe('replayed'); // confirming used step N
    expect(await service.verify(USER, codeAt(now + STEP_MS))).toBe('ok');
    expect(await service.verify(USER, codeAt(now + STEP_MS))).toBe('replayed');
    clock.now = now + STEP_MS;
    expect(await service.verify(USER, codeAt(now))).toBe('replayed'); // step N, still in the window
    expect(await service.verify(USER, codeAt(now + 2 * STEP_MS))).toBe('ok');
    // Every step of the window is used now: nothing is accepted, and nothing throws.
    expect(await service.verify(USER, codeAt(now + STEP_MS))).toBe('replayed');
  });

  it('says invalid for a wrong code or garbage, not_enrolled without a confirmed factor', async () => {
    const now = N * STEP_MS + 5_000;
    const { service, repo, codeAt, enrol, secret, cipher } = setup(now);
    expect(await service.verify(USER, codeAt(now))).toBe('not_enrolled');
    await repo.upsertTotp(USER, cipher.encrypt(secret, `totp:${USER}`)); // pending, never confirmed
    expect(await service.verify(USER, codeAt(now))).toBe('not_enrolled');
    expect(await service.isEnrolled(USER)).toBe(false);
    await enrol();
    expect(await service.isEnrolled(USER)).toBe(true);
    const window = new Set([-1, 0, 1].map((o) => codeAt(now + o * STEP_MS)));
    let wrong = '000000';
    for (let i = 0; window.has(wrong); i++) wrong = String(i).padStart(6, '0');
    expect(await service.verify(USER, wrong)).toBe('invalid');
    expect(await service.verify(USER, 'abcdef')).toBe('invalid');
    expect(await service.verify(USER, '12345')).toBe('invalid');
    expect(await service.verify(USER, '')).toBe('invalid');
    // Spaces people type are fine.
    const c = codeAt(now);
    expect(await service.verify(USER, ` ${c.slice(0, 3)} ${c.slice(3)} `)).toBe('ok');
    expect(await service.remove(USER)).toBe(true);
    expect(await service.verify(USER, codeAt(now + STEP_MS))).toBe('not_enrolled');
  });

  it('refuses to enrol a secret that is not base32 of at least 16 bytes', async () => {
    const { service } = setup(Date.now());
    await expect(service.enrollment('anna', 'JBSWY3DPEHPK3PXP')).rejects.toThrow(/secret/);
    await expect(service.confirm(USER, 'not base32!', '123456')).rejects.toThrow(/secret/);
  });

  it('gives an otpauth URI with SHA1, 6 digits, 30 s, the issuer and the label, and a PNG QR code', async () => {
    const { service, secret } = setup(Date.now());
    const { uri, qrDataUrl } = await service.enrollment('anna@example.be', secret);
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Sesam:anna@example.be');
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe('Sesam');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
    // And an independent parser reads the same.
    const parsed = URI.parse(uri);
    expect(parsed).toBeInstanceOf(TOTP);
    const totp = parsed as TOTP;
    expect([totp.issuer, totp.label, totp.algorithm, totp.digits, totp.period]).toEqual(['Sesam', 'anna@example.be', 'SHA1', 6, 30]);
    expect(totp.secret.base32).toBe(secret);

    expect(qrDataUrl.startsWith('data:image/png;base64,')).toBe(true);
    const png = Buffer.from(qrDataUrl.slice('data:image/png;base64,'.length), 'base64');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(200);
  });

  it('uses its issuer', async () => {
    const repo = new MemoryFactors();
    const service = new TotpService(repo as unknown as FactorsRepository, new Cipher(crypto.randomBytes(32)), 'Stad Gent');
    const { uri } = await service.enrollment('jan', service.newSecret());
    const totp = URI.parse(uri) as TOTP;
    expect([totp.issuer, totp.label]).toEqual(['Stad Gent', 'jan']);
  });
});
