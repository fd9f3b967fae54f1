/**
 * Password recovery by e-mail (src/domain/password-recovery.ts) on real stores: PostgreSQL with
 * Redis, and PostgreSQL alone (the key-value store and the throttles then live in SQL). Mails go
 * through the real MAIL_OUTBOX transport and are read back from its file. The rules: one answer
 * for every identifier and no waiting for the mail; a single-use link valid 30 minutes whose
 * token is stored only as a keyed hash; a newer link (or a password change) voids older ones;
 * throttles per account (silent) and per source; "ask your employer" without a link; nothing
 * for disabled accounts or accounts without an e-mail address.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { loadSettings } from '../../config/settings.js';
import { createPostgresDatabase, createTestRedis, REDIS_URL, tmpDir, type TestDatabase } from '../helpers/stores.js';
import { RedisKeyValueStore, SqlKeyValueStore, type KeyValueStore } from '../../src/storage/kv.js';
import { UsersRepository } from '../../src/repositories/users-repository.js';
import { TenantsRepository } from '../../src/repositories/tenants-repository.js';
import { EventsRepository } from '../../src/repositories/events-repository.js';
import { EventLog } from '../../src/domain/events.js';
import { PasswordRecovery, RESET_LINK_MINUTES } from '../../src/domain/password-recovery.js';
import { PasswordResetLimiter } from '../../src/security/rate-limits.js';
import { createMailTransport, type MailMessage, type MailTransport } from '../../src/delivery/mail.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { parsePolicy } from '../../src/model/tenant-policy.js';

const silent = pino({ level: 'silent' });
/** Everything the services log, to show no token or handle ever reaches the log. */
const logged: string[] = [];
const logger = pino({ level: 'trace' }, { write: (line: string) => void logged.push(line) });
const issued: string[] = [];
const ISSUER = 'https://sesam.example';
const LINK = /https:\/\/sesam\.example\/interaction\/recover\/([A-Za-z0-9_-]{43})/;

interface Outbox {
  file: string;
  all(): (MailMessage & { from: string })[];
  to(address: string): (MailMessage & { from: string })[];
}

function outbox(): Outbox {
  const file = path.join(tmpDir(), 'mail.jsonl');
  const all = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  return { file, all, to: (address) => all().filter((m) => m.to === address) };
}

describe.each([
  ['PostgreSQL + Redis', true],
  ['PostgreSQL without Redis', false],
] as const)('password recovery (%s)', (_name, withRedis) => {
  let t: TestDatabase;
  let r: Awaited<ReturnType<typeof createTestRedis>> | undefined;
  let kv: KeyValueStore;
  let users: UsersRepository;
  let events: EventsRepository;
  let mails: Outbox;
  let keyring: Keyring;
  const clock = { now: Date.now() };
  let n = 0;

  /** A recovery service on these stores, its mail through `mail` (the outbox unless given). */
  function service(mail?: MailTransport, limits?: ConstructorParameters<typeof PasswordResetLimiter>[0]['limits']): PasswordRecovery {
    return new PasswordRecovery({
      users,
      kv,
      key: keyring.key('password-reset'),
      mail: mail ?? createMailTransport(loadSettings({ MAIL_OUTBOX: mails.file, ISSUER, SMS_TRANSPORT: 'console' }), silent),
      events: new EventLog(events, logger),
      throttle: new PasswordResetLimiter({ redis: r?.redis, kv, key: keyring.key('rate-limits'), limits }),
      issuer: ISSUER,
      defaultLocale: 'fr',
      logger,
      now: () => clock.now,
    });
  }
  let recovery: PasswordRecovery;

  beforeAll(async () => {
    t = await createPostgresDatabase();
    if (withRedis) r = await createTestRedis();
    kv = r ? new RedisKeyValueStore(r.redis) : new SqlKeyValueStore(t.db);
    users = new UsersRepository(t.db);
    events = new EventsRepository(t.db);
    mails = outbox();
    keyring = new Keyring(crypto.randomBytes(32));
    const tenants = new TenantsRepository(t.db);
    await tenants.upsert({ id: 'self', name: 'Self Service SRL', policy: parsePolicy({ passwordReset: 'self-service' }) });
    await tenants.upsert({ id: 'self2', name: 'Autre Self SRL', policy: parsePolicy({ passwordReset: 'self-service' }) });
    await tenants.upsert({ id: 'office', name: 'Titres-Services Bruxelles', policy: parsePolicy({ passwordReset: 'admin', contact: 'rh@titres.be, 02 547 54 93' }) });
    recovery = service();
  });
  afterAll(async () => {
    await recovery?.idle();
    await r?.cleanup();
    await t?.drop();
  });

  /** A user with an e-mail address (unless `email: null`) in `tenants`. */
  async function user(options: { tenants?: string[]; email?: string | null; disabled?: boolean; locale?: string } = {}) {
    const login = `user${++n}-${crypto.randomBytes(3).toString('hex')}`;
    const email = options.email === undefined ? `${login}@example.be` : options.email;
    const u = await users.insert({ login, email, locale: options.locale ?? null });
    for (const tenant of options.tenants ?? []) await users.setMembership(u.id, tenant, 'member');
    if (options.disabled) await users.update(u.id, { disabled: true });
    return { ...u, email };
  }
  const meta = (ip = `198.51.100.${(n % 200) + 1}`) => ({ ip, userAgent: 'jest', clientId: 'app' });

  /** Asks for a link for `u` (by login), waits for the mail, returns the token in its link. */
  async function tokenFor(u: { login: string; email: string | null }, ip?: string): Promise<string> {
    const email = u.email!;
    const before = mails.to(email).length;
    expect(await recovery.request(u.login, meta(ip))).toEqual({ ok: true });
    await recovery.idle();
    const received = mails.to(email);
    expect(received).toHaveLength(before + 1);
    const token = LINK.exec(received.at(-1)!.text)?.[1];
    expect(token).toBeDefined();
    issued.push(token!);
    return token!;
  }

  it('mails a link to a self-service user, by login or e-mail, in the language asked, with text and HTML', async () => {
    const u = await user({ tenants: ['self'] });
    const token = await tokenFor(u);
    expect(await recovery.request(u.email!.toUpperCase(), { ...meta(), locale: 'nl' })).toEqual({ ok: true });
    await recovery.idle();
    const [fr, nl] = mails.to(u.email!);
    expect(fr.subject).toBe('Choisir un nouveau mot de passe Sesam');
    expect(fr.text).toContain(`${ISSUER}/interaction/recover/${token}`);
    expect(fr.text).toContain('30 minutes');
    expect(fr.html).toContain(`href="${ISSUER}/interaction/recover/${token}"`);
    expect(nl.subject).toBe('Een nieuw Sesam-wachtwoord kiezen');
    expect(nl.text).toContain(u.login);
    const requested = await events.list({ userId: u.id, type: 'password.reset_requested' });
    expect(requested.map((e) => e.details)).toEqual([{ outcome: 'sent' }, { outcome: 'sent' }]);
  });

  it('answers an unknown identifier the same, sends nothing, and does not make the answer wait for the mail', async () => {
    const before = mails.all().length;
    expect(await recovery.request('nobody-at-all', meta())).toEqual({ ok: true });
    await recovery.idle();
    expect(mails.all()).toHaveLength(before);
    const logged = (await events.list({ type: 'password.reset_requested' })).find((e) => (e.details as { identifier?: string })?.identifier === 'nobody-at-all');
    expect(logged?.details).toMatchObject({ outcome: 'unknown' });

    // A mail server that takes 1.5 s: the answer for a real account comes before it is done.
    const slowSent: string[] = [];
    const slow: MailTransport = { send: (m) => new Promise((resolve) => setTimeout(() => resolve(void slowSent.push(m.to)), 1500)) };
    const slowRecovery = service(slow);
    const u = await user({ tenants: ['self'] });
    const started = Date.now();
    expect(await slowRecovery.request(u.login, meta())).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(slowSent).toEqual([]);
    await slowRecovery.idle();
    expect(slowSent).toEqual([u.email]);
  });

  it('consumes a link once: the GET-side peek never uses it, the POST-side redeem gives a handle once', async () => {
    const u = await user({ tenants: ['self'] });
    const token = await tokenFor(u);
    expect(await recovery.peek(token)).toBe(true);
    expect(await recovery.peek(token)).toBe(true); // a mail scanner's GETs change nothing
    const redeemed = await recovery.redeem(token, meta());
    expect(redeemed?.userId).toBe(u.id);
    expect(redeemed?.handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await recovery.peek(token)).toBe(false);
    expect(await recovery.redeem(token, meta())).toBeUndefined(); // replayed
    expect((await events.list({ userId: u.id, type: 'password.reset_link_used' })).length).toBe(1);

    // The handle: found (not consumed) at the journey's start, taken once when the password is set.
    const found = await recovery.findHandle(redeemed!.handle);
    expect(found).toMatchObject({ userId: u.id, ref: recovery.handleRef(redeemed!.handle) });
    expect(await recovery.findHandle(redeemed!.handle)).toBeDefined();
    const held = await recovery.takeHandle(found!.ref);
    expect(held?.userId).toBe(u.id);
    expect(await recovery.takeHandle(found!.ref)).toBeUndefined();
    // ... and put back when the new password was refused, for another try.
    await recovery.restoreHandle(found!.ref, held!);
    expect((await recovery.takeHandle(found!.ref))?.userId).toBe(u.id);
    // Anything not shaped like a token is not even looked up.
    for (const junk of ['', 'x', `${token}x`, '../../etc/passwd']) {
      expect(await recovery.peek(junk)).toBe(false);
      expect(await recovery.redeem(junk, meta())).toBeUndefined();
      expect(await recovery.findHandle(junk)).toBeUndefined();
    }
  });

  it('lets exactly one of parallel redemptions of one link through', async () => {
    const u = await user({ tenants: ['self'] });
    const token = await tokenFor(u);
    const results = await Promise.all(Array.from({ length: 8 }, () => recovery.redeem(token, meta())));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('stores only a keyed hash: neither the token nor the handle is anywhere in the store', async () => {
    const u = await user({ tenants: ['self'] });
    const token = await tokenFor(u);
    const dump = async () => {
      if (r) {
        const raw = new Redis(REDIS_URL);
        const keys = await raw.keys(`${r.prefix}*`);
        const values = await Promise.all(keys.map(async (k) => ((await raw.type(k)) === 'string' ? await raw.get(k) : '')));
        raw.disconnect();
        return [...keys, ...values].join('\n');
      }
      const rows = await t.db('kv_entries').select('key', 'value');
      return rows.map((row) => `${row.key} ${JSON.stringify(row.value)}`).join('\n');
    };
    let stored = await dump();
    expect(stored).toContain('pwreset:token:');
    expect(stored).not.toContain(token);
    // Not a plain hash either: only the keyed one is there.
    expect(stored).not.toContain(crypto.createHash('sha256').update(token).digest('base64url'));
    expect(stored).not.toContain(crypto.createHash('sha256').update(token).digest('hex'));
    const { handle } = (await recovery.redeem(token, meta()))!;
    issued.push(handle);
    stored = await dump();
    expect(stored).toContain('pwreset:handle:');
    expect(stored).not.toContain(handle);
    expect(stored).not.toContain(token);
    // Events hold neither.
    const all = JSON.stringify(await events.list({ userId: u.id }));
    expect(all).not.toContain(token);
    expect(all).not.toContain(handle);
  });

  it('expires a link after 30 minutes, and its handle with it', async () => {
    const u = await user({ tenants: ['self'] });
    const start = clock.now;
    try {
      const token = await tokenFor(u);
      clock.now = start + (RESET_LINK_MINUTES - 1) * 60_000;
      expect(await recovery.peek(token)).toBe(true);
      const { handle } = (await recovery.redeem(token, meta()))!;
      expect(await recovery.findHandle(handle)).toBeDefined();
      clock.now = start + RESET_LINK_MINUTES * 60_000 + 1000;
      expect(await recovery.findHandle(handle)).toBeUndefined();
      expect(await recovery.takeHandle(recovery.handleRef(handle))).toBeUndefined();

      clock.now = start;
      const late = await tokenFor(u);
      clock.now = start + RESET_LINK_MINUTES * 60_000 + 1000;
      expect(await recovery.peek(late)).toBe(false);
      expect(await recovery.redeem(late, meta())).toBeUndefined();
    } finally {
      clock.now = start;
    }
  });

  it('voids an older link when a newer one is sent, and every link when the password changes', async () => {
    const u = await user({ tenants: ['self'] });
    const older = await tokenFor(u);
    const newer = await tokenFor(u);
    expect(older).not.toBe(newer);
    expect(await recovery.peek(older)).toBe(false);
    expect(await recovery.redeem(older, meta())).toBeUndefined();
    expect(await recovery.peek(newer)).toBe(true);

    await recovery.passwordChanged((await users.findById(u.id))!);
    expect(await recovery.peek(newer)).toBe(false);
    expect(await recovery.redeem(newer, meta())).toBeUndefined();
    const changed = mails.to(u.email!).at(-1)!;
    expect(changed.subject).toBe('Votre mot de passe Sesam a été modifié');
    expect(changed.text).not.toMatch(LINK);
  });

  it('throttles mails per account silently: the answer stays the same, the mails stop', async () => {
    const u = await user({ tenants: ['self'] });
    for (let i = 0; i < 5; i++) expect(await recovery.request(u.login, meta(`203.0.113.${i + 1}`))).toEqual({ ok: true });
    await recovery.idle();
    expect(mails.to(u.email!)).toHaveLength(3);
    const outcomes = (await events.list({ userId: u.id, type: 'password.reset_requested' })).map((e) => (e.details as { outcome: string }).outcome);
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'throttled')).toHaveLength(2);
  });

  it('throttles per source with a time to come back, before looking anything up; other sources go on', async () => {
    const ip = '192.0.2.77';
    const targets = await Promise.all(Array.from({ length: 10 }, () => user({ tenants: ['self'] })));
    for (const target of targets) expect(await recovery.request(target.login, meta(ip))).toEqual({ ok: true });
    const refused = await recovery.request(targets[0].login, meta(ip));
    expect(refused).toMatchObject({ ok: false, reason: 'throttled' });
    const retryAt = (refused as { retryAt: Date }).retryAt.getTime();
    expect(retryAt).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(retryAt).toBeLessThanOrEqual(Date.now() + 61 * 60_000);
    // Refused again, the wait does not grow, and an unknown identifier is refused alike.
    const again = await recovery.request('nobody', meta(ip));
    expect(again).toMatchObject({ ok: false, reason: 'throttled' });
    expect(Math.abs((again as { retryAt: Date }).retryAt.getTime() - retryAt)).toBeLessThan(2000);
    // Another source is not affected.
    expect(await recovery.request(targets[1].login, meta('203.0.113.200'))).toEqual({ ok: true });
    await recovery.idle();
  });

  it('tells a user whose employer manages passwords whom to ask, without a link', async () => {
    const u = await user({ tenants: ['office'] });
    expect(await recovery.request(u.login, meta())).toEqual({ ok: true });
    await recovery.idle();
    const [mail] = mails.to(u.email!);
    expect(mail.subject).toBe('Votre mot de passe Sesam');
    expect(mail.text).toContain('Titres-Services Bruxelles: rh@titres.be, 02 547 54 93');
    expect(mail.text).not.toMatch(/interaction\/recover/);
    expect(mail.html).not.toMatch(/interaction\/recover/);
    // One managed tenant among self-service ones is enough: no link either.
    const mixed = await user({ tenants: ['self', 'office'] });
    expect(await recovery.request(mixed.login, meta())).toEqual({ ok: true });
    await recovery.idle();
    expect(mails.to(mixed.email!)[0].text).not.toMatch(/interaction\/recover/);
    // Every tenant self-service, or none at all: a link.
    for (const ok of [await user({ tenants: ['self', 'self2'] }), await user({ tenants: [] })]) {
      expect(await recovery.request(ok.login, meta())).toEqual({ ok: true });
      await recovery.idle();
      expect(mails.to(ok.email!)[0].text).toMatch(LINK);
    }
    const outcomes = (await events.list({ userId: u.id, type: 'password.reset_requested' })).map((e) => e.details);
    expect(outcomes).toEqual([{ outcome: 'admin' }]);
  });

  it('sends nothing to a disabled account or one without an e-mail address, with the same answer', async () => {
    const disabled = await user({ tenants: ['self'], disabled: true });
    const noEmail = await user({ tenants: ['self'], email: null });
    const before = mails.all().length;
    expect(await recovery.request(disabled.login, meta())).toEqual({ ok: true });
    expect(await recovery.request(noEmail.login, meta())).toEqual({ ok: true });
    await recovery.idle();
    expect(mails.all()).toHaveLength(before);
    expect((await events.list({ userId: disabled.id, type: 'password.reset_requested' }))[0].details).toEqual({ outcome: 'disabled' });
    expect((await events.list({ userId: noEmail.id, type: 'password.reset_requested' }))[0].details).toEqual({ outcome: 'no_email' });

    // A link issued before the account was disabled no longer works.
    const later = await user({ tenants: ['self'] });
    const token = await tokenFor(later);
    await users.update(later.id, { disabled: true });
    expect(await recovery.redeem(token, meta())).toBeUndefined();
  });

  it('keeps going when the mail cannot be handed over, and says so in the event, never with the token', async () => {
    const failing: MailTransport = { send: async () => Promise.reject(new Error('connection refused')) };
    const broken = service(failing);
    const u = await user({ tenants: ['self'] });
    expect(await broken.request(u.login, meta())).toEqual({ ok: true });
    await broken.idle();
    expect((await events.list({ userId: u.id, type: 'password.reset_requested' }))[0].details).toEqual({ outcome: 'delivery_failed' });
  });

  it('never logs a token or a handle', () => {
    expect(issued.length).toBeGreaterThanOrEqual(10);
    expect(logged.length).toBeGreaterThan(10); // events and failures were logged
    const log = logged.join('\n');
    for (const secret of issued) expect(log).not.toContain(secret);
    expect(log).not.toContain('/interaction/recover/');
  });
});
