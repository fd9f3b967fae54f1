/**
 * Passkeys on the real stores: the repository's round trip on PostgreSQL and PGlite (jsonb
 * transports, bigint counters, the atomic counter rule, flags, the owner's checks); list, rename
 * and remove through the credentials service with their events; an admin reset of second factors
 * that removes every passkey and counts them; the admin API routes (JSON, 404 for a passkey of
 * someone else or none, 400 for a bad name) on a real Sesam on PostgreSQL + Redis; and the CLI
 * commands (`node bin/sesam.js`, so `npm run build` first, as for cli.test.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createEmbeddedDatabase, createPostgresDatabase, type TestDatabase } from '../helpers/stores.js';
import { adminToken, startTestServer, type TestServer } from '../helpers/server.js';
import { operatorEnv, runSesam } from '../helpers/cli.js';
import { PasskeysRepository, type NewPasskey } from '../../src/repositories/passkeys-repository.js';
import { EventsRepository } from '../../src/repositories/events-repository.js';
import { FactorsRepository } from '../../src/repositories/factors-repository.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';
import { EventLog } from '../../src/domain/events.js';
import { Credentials } from '../../src/domain/credentials.js';
import { Directory } from '../../src/domain/directory.js';
import { PasswordHasher } from '../../src/domain/passwords.js';
import { TotpService } from '../../src/domain/totp.js';
import { RecoveryCodes } from '../../src/domain/recovery-codes.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { Passkeys } from '../../src/domain/passkeys.js';
import { Cipher } from '../../src/secrets/cipher.js';
import type { User } from '../../src/model/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const registration = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/webauthn/registration.json'), 'utf8'));
const authentication = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/webauthn/authentication.json'), 'utf8'));
const FAST = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** A stored passkey: the recorded one (`recorded`), or made-up key material. */
function newPasskey(userId: string, overrides: Partial<NewPasskey> = {}): NewPasskey {
  return {
    id: crypto.randomUUID(),
    userId,
    credentialId: crypto.randomBytes(32).toString('base64url'),
    publicKey: crypto.randomBytes(77).toString('base64url'),
    counter: 0,
    transports: ['hybrid', 'internal'],
    aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
    deviceType: 'multiDevice',
    backedUp: true,
    name: 'Passkey (Google Password Manager)',
    ...overrides,
  };
}
const recorded = (userId: string): NewPasskey => ({
  ...newPasskey(userId),
  credentialId: registration.credential.id,
  publicKey: registration.credential.publicKey,
  counter: registration.credential.counter,
  transports: registration.credential.transports,
  aaguid: registration.credential.aaguid,
  deviceType: registration.credential.deviceType,
  backedUp: registration.credential.backedUp,
  name: 'Passkey (Chromium virtual authenticator)',
});

describe.each([
  ['PostgreSQL', createPostgresDatabase],
  ['PGlite', createEmbeddedDatabase],
])('passkeys repository (%s)', (_name, create) => {
  let t: TestDatabase;
  let repo: PasskeysRepository;
  let ann: string;
  let bob: string;

  beforeAll(async () => {
    t = await create();
    repo = new PasskeysRepository(t.db);
    [ann, bob] = [crypto.randomUUID(), crypto.randomUUID()];
    await t.db('users').insert([
      { id: ann, login: 'ann' },
      { id: bob, login: 'bob' },
    ]);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('stores, finds and lists passkeys, newest first, with their transports and counters', async () => {
    const first = await repo.insert(newPasskey(ann, { counter: 2 ** 40, transports: ['usb', 'nfc'], deviceType: 'singleDevice', backedUp: false, aaguid: null }));
    await new Promise((r) => setTimeout(r, 5));
    const second = await repo.insert(newPasskey(ann));
    expect(first).toMatchObject({ userId: ann, counter: 2 ** 40, transports: ['usb', 'nfc'], deviceType: 'singleDevice', backedUp: false, aaguid: null, lastUsedAt: null, flaggedAt: null });
    expect(first.createdAt).toBeInstanceOf(Date);
    expect(await repo.findByCredentialId(second.credentialId)).toEqual(second);
    expect(await repo.find(ann, first.id)).toEqual(first);
    expect(await repo.find(bob, first.id)).toBeUndefined();
    expect(await repo.find(ann, 'not-a-uuid')).toBeUndefined();
    expect(await repo.exists(first.credentialId)).toBe(true);
    expect(await repo.exists('nope')).toBe(false);
    expect((await repo.listByUser(ann)).map((p) => p.id)).toEqual([second.id, first.id]);
    expect(await repo.listByUser(bob)).toEqual([]);
    expect(await repo.countUsable(ann)).toBe(2);
    // A credential id is unique across users.
    await expect(repo.insert(newPasskey(bob, { credentialId: first.credentialId }))).rejects.toMatchObject({ code: '23505' });
  });

  it('records a use only when the counter goes up (or stays 0 on both sides), atomically', async () => {
    const p = await repo.insert(newPasskey(bob, { counter: 0 }));
    expect(await repo.recordUse(p.id, { newCounter: 0, backedUp: false })).toBe(true);
    expect(await repo.recordUse(p.id, { newCounter: 0, backedUp: true })).toBe(true);
    expect(await repo.recordUse(p.id, { newCounter: 7, backedUp: true })).toBe(true);
    expect(await repo.recordUse(p.id, { newCounter: 7, backedUp: true })).toBe(false);
    expect(await repo.recordUse(p.id, { newCounter: 0, backedUp: true })).toBe(false);
    // Parallel uses with the same counter: one wins.
    const results = await Promise.all(Array.from({ length: 5 }, () => repo.recordUse(p.id, { newCounter: 8, backedUp: true })));
    expect(results.filter(Boolean)).toHaveLength(1);
    const row = (await repo.findByCredentialId(p.credentialId))!;
    expect(row).toMatchObject({ counter: 8, backedUp: true });
    expect(row.lastUsedAt).toBeInstanceOf(Date);

    expect(await repo.flag(p.id)).toBe(true);
    expect(await repo.flag(p.id)).toBe(false);
    expect(await repo.recordUse(p.id, { newCounter: 9, backedUp: true })).toBe(false);
    expect(await repo.countUsable(bob)).toBe(0);
  });

  it('renames and deletes only the owner’s passkey', async () => {
    const p = await repo.insert(newPasskey(bob));
    expect(await repo.rename(ann, p.id, 'Stolen')).toBeUndefined();
    expect(await repo.rename(bob, UNKNOWN, 'x')).toBeUndefined();
    expect(await repo.rename(bob, p.id, 'Phone')).toMatchObject({ id: p.id, name: 'Phone' });
    expect(await repo.delete(ann, p.id)).toBe(false);
    expect(await repo.delete(bob, 'not-a-uuid')).toBe(false);
    expect(await repo.delete(bob, p.id)).toBe(true);
    expect(await repo.delete(bob, p.id)).toBe(false);
    await repo.insert(newPasskey(bob));
    expect(await repo.deleteAll(bob)).toBe(2); // the flagged one of the test above too
    expect(await repo.deleteAll(bob)).toBe(0);
  });

  it('goes with its user', async () => {
    const carol = crypto.randomUUID();
    await t.db('users').insert({ id: carol, login: 'carol' });
    const p = await repo.insert(newPasskey(carol));
    await t.db('users').where({ id: carol }).delete();
    expect(await repo.findByCredentialId(p.credentialId)).toBeUndefined();
  });
});

describe('passkeys through the credentials service (PostgreSQL)', () => {
  let t: TestDatabase;
  let repo: PasskeysRepository;
  let events: EventsRepository;
  let credentials: Credentials;
  let directory: Directory;
  let devices: TrustedDevices;
  const ended: string[] = [];
  const meta = { ip: '192.0.2.44', userAgent: 'jest' };
  const actor = { clientId: 'sesam-admin', ip: '198.51.100.1' };

  beforeAll(async () => {
    t = await createPostgresDatabase();
    repo = new PasskeysRepository(t.db);
    events = new EventsRepository(t.db);
    const log = new EventLog(events, pino({ level: 'silent' }));
    const hasher = new PasswordHasher(FAST);
    const factors = new FactorsRepository(t.db);
    devices = new TrustedDevices(new DevicesRepository(t.db));
    credentials = new Credentials({
      db: t.db,
      hasher,
      events: log,
      totp: new TotpService(factors, new Cipher(crypto.randomBytes(32))),
      recoveryCodes: new RecoveryCodes(factors, crypto.randomBytes(32)),
      sessions: {
        endAll: async (accountId) => {
          ended.push(accountId);
          return { sessions: 0, grants: 0 };
        },
      },
      passkeys: new Passkeys(repo, log, { rpId: registration.rpId, rpName: 'Sesam', origins: [registration.origin] }),
    });
    directory = new Directory(t.db, { hasher, events: log, validateClient: async () => undefined, credentials });
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function user(login: string): Promise<User> {
    return directory.createUser({ login, password: 'a fine password 1', mustChangePassword: false, tenants: [] } as never);
  }

  it('lists, renames and removes, each with its event, never another user’s', async () => {
    const eva = await user('eva');
    const finn = await user('finn');
    const one = await repo.insert(newPasskey(eva.id, { name: 'Passkey (Chrome on Linux)' }));
    const two = await repo.insert(newPasskey(eva.id, { aaguid: null, deviceType: 'singleDevice', backedUp: false }));
    await repo.flag(two.id);

    const listed = await credentials.passkeysOf(eva.id);
    expect(listed).toHaveLength(2);
    expect(listed.find((p) => p.id === one.id)).toEqual({
      id: one.id,
      name: 'Passkey (Chrome on Linux)',
      aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4',
      authenticator: 'Google Password Manager',
      deviceType: 'multiDevice',
      backedUp: true,
      synced: true,
      transports: ['hybrid', 'internal'],
      createdAt: one.createdAt,
      lastUsedAt: null,
      flagged: false,
    });
    expect(listed.find((p) => p.id === two.id)).toMatchObject({ authenticator: null, synced: false, flagged: true });
    expect(JSON.stringify(listed)).not.toContain(one.publicKey);
    expect(JSON.stringify(listed)).not.toContain(one.credentialId);
    expect((await credentials.status(eva.id)).passkeys).toBe(1);

    expect(await credentials.renamePasskey(eva.id, one.id, '  Work   laptop ', { meta })).toMatchObject({ id: one.id, name: 'Work laptop' });
    expect(await credentials.renamePasskey(finn.id, one.id, 'Mine now', { actor })).toBeUndefined();
    expect(await credentials.renamePasskey(eva.id, UNKNOWN, 'x', { meta })).toBeUndefined();
    await expect(credentials.renamePasskey(eva.id, one.id, '   ', { meta })).rejects.toThrow(RangeError);
    await expect(credentials.renamePasskey(eva.id, one.id, 'x'.repeat(101), { meta })).rejects.toThrow(RangeError);
    expect((await repo.find(eva.id, one.id))!.name).toBe('Work laptop');
    const renamed = await events.list({ userId: eva.id, type: 'passkey.renamed', limit: 10 });
    expect(renamed).toHaveLength(1);
    expect(renamed[0]).toMatchObject({ ip: meta.ip, userAgent: 'jest', method: 'passkey', details: { passkeyId: one.id, name: 'Work laptop', previous: 'Passkey (Chrome on Linux)', by: 'user' } });

    expect(await credentials.removePasskey(finn.id, one.id, { actor })).toBe(false);
    expect(await credentials.removePasskey(eva.id, one.id, { actor })).toBe(true);
    expect(await credentials.removePasskey(eva.id, one.id, { actor })).toBe(false);
    const removed = await events.list({ userId: eva.id, type: 'passkey.removed', limit: 10 });
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({ clientId: actor.clientId, ip: actor.ip, details: { passkeyId: one.id, name: 'Work laptop', by: 'admin' } });
    expect((await credentials.passkeysOf(eva.id)).map((p) => p.id)).toEqual([two.id]);
    expect((await events.list({ userId: finn.id, limit: 10 })).filter((e) => e.type.startsWith('passkey.'))).toEqual([]);
  });

  it('an admin reset of second factors removes every passkey, flagged ones too, and counts them', async () => {
    const gus = await user('gus');
    await repo.insert(newPasskey(gus.id));
    await repo.insert(recorded(gus.id));
    const flagged = await repo.insert(newPasskey(gus.id));
    await repo.flag(flagged.id);
    const device = await devices.trust(gus.id, { days: 30 });
    expect((await credentials.status(gus.id)).passkeys).toBe(2);

    await credentials.resetSecondFactors(gus.id, actor);
    expect(await credentials.passkeysOf(gus.id)).toEqual([]);
    expect(await credentials.status(gus.id)).toEqual({ sms: false, totp: false, recoveryCodesRemaining: 0, trustedDevices: 0, passkeys: 0 });
    expect(await devices.isTrusted(gus.id, device.token)).toBe(false);
    expect(ended).toContain(gus.id);
    const [reset] = await events.list({ userId: gus.id, type: 'admin.second_factors_reset', limit: 10 });
    expect(reset).toMatchObject({ clientId: actor.clientId, details: { passkeys: 3, trustedDevices: 1, totp: false, recoveryCodes: 0 } });
    // The recorded passkey no longer signs anybody in.
    const [use] = authentication.ceremonies;
    const passkeys = new Passkeys(repo, new EventLog(events, pino({ level: 'silent' })), { rpId: registration.rpId, rpName: 'Sesam', origins: [registration.origin] });
    expect(await passkeys.authenticate(use.response, use.challenge, meta)).toEqual({ ok: false, reason: 'unknown' });
  });
});

describe('passkeys in the admin API and the CLI (PostgreSQL + Redis)', () => {
  let server: TestServer;
  let token: string;
  let repo: PasskeysRepository;
  let userId: string;
  let phone: string;
  let laptop: string;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', redis: true });
    token = await adminToken(server);
    repo = new PasskeysRepository(server.sesam.db);
    const created = await api('POST', '/users', { login: 'hanne', email: 'hanne@example.be', password: 'initial-password-1' });
    expect(created.status).toBe(201);
    userId = created.body.id;
    laptop = (await repo.insert(recorded(userId))).id;
    await new Promise((r) => setTimeout(r, 5));
    phone = (await repo.insert(newPasskey(userId, { name: 'Passkey (Chrome on Android)' }))).id;
    const other = await api('POST', '/users', { login: 'ivo', password: 'initial-password-1' });
    await repo.insert(newPasskey(other.body.id));
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function api(method: string, apiPath: string, body?: unknown, options: { token?: string | null; raw?: string } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    const bearer = options.token === undefined ? token : options.token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}/admin/v1${apiPath}`, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  describe('admin API', () => {
    it("lists a user's passkeys, newest first, by uuid, login or e-mail; never their keys", async () => {
      for (const id of [userId, 'hanne', 'HANNE@example.be']) {
        const res = await api('GET', `/users/${encodeURIComponent(id)}/passkeys`);
        expect(res.status).toBe(200);
        expect(res.body.map((p: any) => p.id)).toEqual([phone, laptop]);
      }
      const [, recordedView] = (await api('GET', '/users/hanne/passkeys')).body;
      expect(recordedView).toEqual({
        id: laptop,
        name: 'Passkey (Chromium virtual authenticator)',
        aaguid: '01020304-0506-0708-0102-030405060708',
        authenticator: 'Chromium virtual authenticator',
        deviceType: 'singleDevice',
        backedUp: false,
        synced: false,
        transports: ['internal'],
        createdAt: expect.any(String),
        lastUsedAt: null,
        flagged: false,
      });
      expect(JSON.stringify((await api('GET', '/users/hanne/passkeys')).body)).not.toContain(registration.credential.publicKey);
      expect((await api('GET', '/users/hanne/second-factors')).body.passkeys).toBe(2);
      const unknown = await api('GET', '/users/nobody/passkeys');
      expect(unknown).toMatchObject({ status: 404, body: { error: 'not_found' } });
    });

    it('renames a passkey (trimmed), refusing an empty or long name with 400 and a passkey of someone else with 404', async () => {
      const res = await api('PATCH', `/users/hanne/passkeys/${phone}`, { name: '  Phone  ' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: phone, name: 'Phone' });
      for (const body of [{ name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, {}, { name: 42 }, { name: 'ok', extra: true }]) {
        const bad = await api('PATCH', `/users/hanne/passkeys/${phone}`, body);
        expect(bad.status).toBe(400);
        expect(bad.body.error).toBe('invalid_request');
        expect(bad.body.error_description).toMatch(/^(name|input):/);
      }
      expect((await api('PATCH', `/users/hanne/passkeys/${phone}`, undefined, { raw: '{"name": ' })).status).toBe(400);
      for (const id of [UNKNOWN, 'not-a-uuid']) {
        const missing = await api('PATCH', `/users/hanne/passkeys/${id}`, { name: 'x' });
        expect(missing).toMatchObject({ status: 404, body: { error: 'not_found' } });
      }
      expect((await api('PATCH', `/users/ivo/passkeys/${phone}`, { name: 'Mine' })).status).toBe(404);
      expect((await api('PATCH', `/users/nobody/passkeys/${phone}`, { name: 'Mine' })).status).toBe(404);
      const events = await api('GET', '/users/hanne/events?type=passkey.renamed');
      expect(events.body).toHaveLength(1);
      expect(events.body[0]).toMatchObject({ clientId: server.sesam.adminCredentials.clientId, details: { passkeyId: phone, name: 'Phone', by: 'admin' } });
    });

    it('removes a passkey once; 404 for none, someone else’s or an unknown user', async () => {
      const other = await api('POST', '/users', { login: 'jo', password: 'initial-password-1' });
      const jos = (await repo.insert(newPasskey(other.body.id))).id;
      expect((await api('DELETE', `/users/hanne/passkeys/${jos}`)).status).toBe(404);
      const res = await fetch(`${server.url}/admin/v1/users/jo/passkeys/${jos}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      const again = await api('DELETE', `/users/jo/passkeys/${jos}`);
      expect(again).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect((await api('DELETE', '/users/jo/passkeys/not-a-uuid')).status).toBe(404);
      expect((await api('DELETE', `/users/nobody/passkeys/${jos}`)).status).toBe(404);
      const events = await api('GET', '/users/jo/events?type=passkey.removed');
      expect(events.body).toHaveLength(1);
    });

    it('requires the admin token', async () => {
      for (const [method, p] of [
        ['GET', '/users/hanne/passkeys'],
        ['PATCH', `/users/hanne/passkeys/${phone}`],
        ['DELETE', `/users/hanne/passkeys/${phone}`],
      ]) {
        expect((await api(method, p, method === 'PATCH' ? { name: 'x' } : undefined, { token: null })).status).toBe(401);
      }
    });
  });

  describe('CLI', () => {
    const sesam = (args: string[]) => runSesam(args, operatorEnv(server));
    const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

    it('lists passkeys as a table and as JSON', async () => {
      const table = await sesam(['users', 'passkeys', 'hanne']);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      const rows = lines(table.stdout);
      expect(rows[0]).toMatch(/^ID\s+NAME\s+AUTHENTICATOR\s+SYNCED\s+CREATED\s+LAST_USED\s+STATE$/);
      expect(rows).toHaveLength(3);
      expect(rows[2]).toMatch(new RegExp(`^${laptop}\\s+Passkey \\(Chromium virtual authenticator\\)\\s+Chromium virtual authenticator\\s+no\\s.*\\sactive$`));
      const json = JSON.parse((await sesam(['users', 'passkeys', userId, '--json'])).stdout) as any[];
      expect(json.map((p) => p.id)).toEqual([phone, laptop]);
    });

    it('renames and deletes a passkey, with --json too', async () => {
      const renamed = await sesam(['users', 'rename-passkey', 'hanne', laptop, 'Office laptop']);
      expect(renamed).toMatchObject({ code: 0, stderr: '' });
      expect(renamed.stdout.trim()).toBe(`renamed passkey ${laptop} of hanne to "Office laptop"`);
      const json = await sesam(['users', 'rename-passkey', 'hanne', laptop, 'Laptop', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ id: laptop, name: 'Laptop' });
      const empty = await sesam(['users', 'rename-passkey', 'hanne', laptop, ' ']);
      expect(empty.code).toBe(1);
      expect(lines(empty.stderr)).toEqual([expect.stringMatching(/^sesam: name: .*\(HTTP 400\)$/)]);

      const deleted = await sesam(['users', 'delete-passkey', 'hanne', laptop]);
      expect(deleted).toMatchObject({ code: 0, stderr: '' });
      expect(deleted.stdout.trim()).toBe(`deleted passkey ${laptop} of hanne`);
      const again = await sesam(['users', 'delete-passkey', 'hanne', laptop, '--json']);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/\(HTTP 404\)$/m);
      const last = await sesam(['users', 'delete-passkey', 'hanne', phone, '--json']);
      expect(JSON.parse(last.stdout)).toEqual({ deleted: 'passkey', user: 'hanne', id: phone });
      expect(lines((await sesam(['users', 'passkeys', 'hanne'])).stdout)).toEqual(['(none)']);
    });

    it('the commands are in the help, and check their arguments', async () => {
      const help = await sesam(['help']);
      expect(help.stdout).toContain('  users passkeys <id|login|email>');
      expect(help.stdout).toContain('  users rename-passkey <id|login|email> <passkey_id> <name>');
      expect(help.stdout).toContain('  users delete-passkey <id|login|email> <passkey_id>');
      for (const args of [['users', 'passkeys'], ['users', 'rename-passkey', 'hanne', laptop], ['users', 'delete-passkey', 'hanne']]) {
        const res = await sesam(args);
        expect(res.code).toBe(2);
        expect(lines(res.stderr)).toHaveLength(1);
      }
    });
  });
});
