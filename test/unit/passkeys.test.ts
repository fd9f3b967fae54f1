/**
 * Passkeys against real ceremonies: the responses in test/fixtures/webauthn/ were recorded from
 * headless Chromium's virtual authenticator (re-record with test/fixtures/webauthn/record.ts).
 * Registration verifies and is refused for another challenge, origin or RP ID; a sign-in
 * verifies and advances the counter; a replayed assertion (a counter that did not go up) is
 * refused as `cloned` and flags the passkey, which then never signs in again; a user handle or an
 * expected user that is not the passkey's is refused. A small software authenticator (an ES256
 * key signing here) covers the counter rule where the browser cannot: passkeys that never count.
 * The store is the embedded PostgreSQL (PGlite), so the repository's atomic updates run for real.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { createEmbeddedDatabase, type TestDatabase } from '../helpers/stores.js';
import { PasskeysRepository } from '../../src/repositories/passkeys-repository.js';
import { UsersRepository } from '../../src/repositories/users-repository.js';
import { EventsRepository } from '../../src/repositories/events-repository.js';
import { FactorsRepository } from '../../src/repositories/factors-repository.js';
import { EventLog } from '../../src/domain/events.js';
import { Credentials } from '../../src/domain/credentials.js';
import { PasswordHasher } from '../../src/domain/passwords.js';
import { TotpService } from '../../src/domain/totp.js';
import { RecoveryCodes } from '../../src/domain/recovery-codes.js';
import { Cipher } from '../../src/secrets/cipher.js';
import {
  authenticatorName,
  browserLabel,
  counterAdvances,
  defaultPasskeyName,
  passkeyName,
  Passkeys,
  userHandle,
  userIdOfHandle,
  type VerifiedRegistration,
  type WebAuthnSettings,
} from '../../src/domain/passkeys.js';
import type { User } from '../../src/model/types.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/webauthn');
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

interface Ceremony<R> {
  kind?: string;
  options: Record<string, any>;
  challenge: string;
  response: R;
}
const registration: Ceremony<RegistrationResponseJSON> & {
  rpId: string;
  rpName: string;
  origin: string;
  user: { id: string; login: string; name: string | null; email: string };
  credential: { id: string; publicKey: string; counter: number; transports: string[]; aaguid: string; deviceType: 'singleDevice' | 'multiDevice'; backedUp: boolean };
} = read('registration.json');
const authentication: { rpId: string; origin: string; userId: string; credentialId: string; ceremonies: Ceremony<AuthenticationResponseJSON>[] } = read('authentication.json');
const synced: typeof registration & { ceremonies: Ceremony<AuthenticationResponseJSON>[] } = read('synced.json');

const [discoverable, identifierFirst] = authentication.ceremonies;
const meta = { ip: '192.0.2.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36' };
const SETTINGS: WebAuthnSettings = { rpId: registration.rpId, rpName: registration.rpName, origins: [registration.origin] };
const OTHER_USER = '11111111-2222-4333-8444-555555555555';

/** The counter in an assertion's authenticator data. */
const counterOf = (r: AuthenticationResponseJSON) => Buffer.from(r.response.authenticatorData, 'base64url').readUInt32BE(33);

describe('passkeys (recorded ceremonies, PGlite)', () => {
  let t: TestDatabase;
  let repo: PasskeysRepository;
  let passkeys: Passkeys;
  let credentials: Credentials;
  let events: EventsRepository;
  let marie: User;
  let jan: User;
  let other: User;

  async function insertUser(id: string, login: string, name: string | null, email: string): Promise<User> {
    await t.db('users').insert({ id, login, name, email });
    return (await new UsersRepository(t.db).findById(id))!;
  }

  beforeAll(async () => {
    t = await createEmbeddedDatabase();
    repo = new PasskeysRepository(t.db);
    events = new EventsRepository(t.db);
    const log = new EventLog(events, pino({ level: 'silent' }));
    passkeys = new Passkeys(repo, log, SETTINGS);
    const factors = new FactorsRepository(t.db);
    credentials = new Credentials({
      db: t.db,
      hasher: new PasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 }),
      events: log,
      totp: new TotpService(factors, new Cipher(crypto.randomBytes(32))),
      recoveryCodes: new RecoveryCodes(factors, crypto.randomBytes(32)),
      sessions: { endAll: async () => ({ sessions: 0, grants: 0 }) },
      passkeys,
    });
    marie = await insertUser(registration.user.id, registration.user.login, registration.user.name, registration.user.email);
    jan = await insertUser(synced.user.id, synced.user.login, synced.user.name, synced.user.email);
    other = await insertUser(OTHER_USER, 'someone-else', null, 'someone@example.be');
  });
  afterAll(async () => {
    await t?.drop();
  });
  beforeEach(async () => {
    await t.db('passkeys').delete();
  });

  /** Verifies the recorded registration and stores it for `owner` (the fixture's user unless said). */
  async function enrol(owner: User = marie): Promise<{ id: string; registration: VerifiedRegistration }> {
    const verified = await passkeys.verifyRegistration(marie, registration.response, registration.challenge);
    if (!verified.ok) throw new Error(`the fixture does not verify: ${verified.reason}`);
    const stored = await credentials.addPasskey(owner, { ...verified, userId: owner.id }, meta);
    if (!stored.ok) throw new Error('not stored');
    return { id: stored.passkey.id, registration: verified };
  }

  describe('registration', () => {
    it('makes options like the recorded ones: the user handle, user verification required, no attestation, 120 s', async () => {
      const { options, challenge } = await passkeys.registrationOptions(marie);
      expect(options.challenge).toBe(challenge);
      expect(challenge).not.toBe(registration.challenge);
      const { challenge: _recorded, ...expected } = registration.options;
      const { challenge: _fresh, ...actual } = options;
      expect(actual).toEqual(expected);
      expect(options.user.id).toBe(Buffer.from(userHandle(marie.id)).toString('base64url'));
      expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'required' });
      expect(options.excludeCredentials).toEqual([]);
      // The display name falls back to the e-mail, then the login.
      expect((await passkeys.registrationOptions(jan)).options.user).toMatchObject({ name: 'jan', displayName: 'jan@example.be' });
    });

    it('excludes the passkeys the user already has', async () => {
      await enrol();
      const { options } = await passkeys.registrationOptions(marie);
      expect(options.excludeCredentials).toEqual([{ id: registration.credential.id, type: 'public-key', transports: ['internal'] }]);
      // A list the caller already has is used as is.
      expect((await passkeys.registrationOptions(marie, [])).options.excludeCredentials).toEqual([]);
    });

    it('verifies the recorded registration: the credential Sesam stores', async () => {
      const verified = await passkeys.verifyRegistration(marie, registration.response, registration.challenge);
      expect(verified).toEqual({
        ok: true,
        userId: marie.id,
        credentialId: registration.credential.id,
        publicKey: registration.credential.publicKey,
        counter: registration.credential.counter,
        transports: ['internal'],
        aaguid: '01020304-0506-0708-0102-030405060708',
        deviceType: 'singleDevice',
        backedUp: false,
      });
    });

    it('refuses another challenge, origin or RP ID, and anything malformed', async () => {
      const wrongChallenge = (await passkeys.registrationOptions(marie)).challenge;
      expect(await passkeys.verifyRegistration(marie, registration.response, wrongChallenge)).toEqual({ ok: false, reason: 'invalid' });
      expect(await passkeys.verifyRegistration(marie, registration.response, '')).toEqual({ ok: false, reason: 'invalid' });
      const elsewhere = new Passkeys(repo, new EventLog(events, pino({ level: 'silent' })), { ...SETTINGS, origins: ['https://sesam.example.be'] });
      expect(await elsewhere.verifyRegistration(marie, registration.response, registration.challenge)).toEqual({ ok: false, reason: 'invalid' });
      const otherRp = new Passkeys(repo, new EventLog(events, pino({ level: 'silent' })), { ...SETTINGS, rpId: 'sesam.example.be' });
      expect(await otherRp.verifyRegistration(marie, registration.response, registration.challenge)).toEqual({ ok: false, reason: 'invalid' });
      for (const bad of [undefined, null, 'x', [], {}, { id: 'short' }, { ...registration.response, response: undefined }, { ...registration.response, type: 'other' }]) {
        expect(await passkeys.verifyRegistration(marie, bad as never, registration.challenge)).toEqual({ ok: false, reason: 'invalid' });
      }
    });

    it('refuses a credential already stored, for anyone', async () => {
      await enrol(other);
      expect(await passkeys.verifyRegistration(marie, registration.response, registration.challenge)).toEqual({ ok: false, reason: 'duplicate' });
    });

    it('stores it through Credentials with a default name and an event; a second time is a duplicate', async () => {
      const verified = await passkeys.verifyRegistration(marie, registration.response, registration.challenge);
      if (!verified.ok) throw new Error('no');
      const stored = await credentials.addPasskey(marie, verified, meta);
      expect(stored).toMatchObject({ ok: true, passkey: { name: 'Passkey (Chromium virtual authenticator)', deviceType: 'singleDevice', synced: false, flagged: false } });
      expect(await credentials.addPasskey(marie, verified, meta)).toEqual({ ok: false, reason: 'duplicate' });
      await expect(credentials.addPasskey(other, verified, meta)).rejects.toThrow(/another user/);
      const [event] = await events.list({ userId: marie.id, type: 'passkey.created', limit: 10 });
      expect(event).toMatchObject({ method: 'passkey', ip: meta.ip, details: { passkeyId: (stored as any).passkey.id, aaguid: registration.credential.aaguid } });
      const row = (await repo.findByCredentialId(registration.credential.id))!;
      expect(row).toMatchObject({ userId: marie.id, publicKey: registration.credential.publicKey, counter: 1, transports: ['internal'], backedUp: false });
    });
  });

  describe('authentication', () => {
    it('offers discoverable options without credentials, and the user’s usable passkeys identifier-first', async () => {
      const { id } = await enrol();
      const open = await passkeys.authenticationOptions();
      expect(open.options).toMatchObject({ rpId: 'localhost', userVerification: 'required', timeout: 120000, allowCredentials: [] });
      expect(open.challenge).toBe(open.options.challenge);
      const forMarie = await passkeys.authenticationOptions(marie.id);
      expect(forMarie.options.allowCredentials).toEqual([{ id: registration.credential.id, type: 'public-key', transports: ['internal'] }]);
      expect((await passkeys.authenticationOptions(other.id)).options.allowCredentials).toEqual([]);
      await repo.flag(id);
      expect((await passkeys.authenticationOptions(marie.id)).options.allowCredentials).toEqual([]);
    });

    it('verifies the recorded assertions in order, advancing the counter', async () => {
      const { id } = await enrol();
      expect(counterOf(discoverable.response)).toBeGreaterThan(registration.credential.counter);
      const first = await passkeys.authenticate(discoverable.response, discoverable.challenge, meta);
      expect(first).toEqual({ ok: true, userId: marie.id, passkeyId: id, synced: false });
      let row = (await repo.findByCredentialId(authentication.credentialId))!;
      expect(row.counter).toBe(counterOf(discoverable.response));
      expect(row.lastUsedAt).toBeInstanceOf(Date);

      const second = await passkeys.authenticate(identifierFirst.response, identifierFirst.challenge, meta, marie.id);
      expect(second).toEqual({ ok: true, userId: marie.id, passkeyId: id, synced: false });
      row = (await repo.findByCredentialId(authentication.credentialId))!;
      expect(row.counter).toBe(counterOf(identifierFirst.response));
      // Nothing recorded but the use: the journey records the sign-in.
      expect(await events.list({ userId: marie.id, type: 'passkey.clone_suspected', limit: 10 })).toEqual([]);
    });

    it('refuses a replayed assertion as cloned, flags the passkey, and refuses it from then on', async () => {
      const { id } = await enrol();
      expect((await passkeys.authenticate(discoverable.response, discoverable.challenge, meta)).ok).toBe(true);
      const replay = await passkeys.authenticate(discoverable.response, discoverable.challenge, meta);
      expect(replay).toEqual({ ok: false, reason: 'cloned' });
      const row = (await repo.findByCredentialId(authentication.credentialId))!;
      expect(row.flaggedAt).toBeInstanceOf(Date);
      expect(row.counter).toBe(counterOf(discoverable.response));
      const [event] = await events.list({ userId: marie.id, type: 'passkey.clone_suspected', limit: 10 });
      expect(event).toMatchObject({ method: 'passkey', ip: meta.ip, details: { passkeyId: id, storedCounter: counterOf(discoverable.response), newCounter: counterOf(discoverable.response) } });

      // Flagged: even a genuine next assertion is refused.
      expect(await passkeys.authenticate(identifierFirst.response, identifierFirst.challenge, meta)).toEqual({ ok: false, reason: 'flagged' });
      expect(await passkeys.count(marie.id)).toBe(0);
      expect(await passkeys.list(marie.id)).toEqual([expect.objectContaining({ id, flagged: true })]);
      expect(await events.list({ userId: marie.id, type: 'passkey.clone_suspected', limit: 10 })).toHaveLength(1);
    });

    it('a counter that went backwards is a clone too', async () => {
      await enrol();
      expect((await passkeys.authenticate(identifierFirst.response, identifierFirst.challenge, meta)).ok).toBe(true);
      expect(await passkeys.authenticate(discoverable.response, discoverable.challenge, meta)).toEqual({ ok: false, reason: 'cloned' });
    });

    it('never flags on an assertion that does not verify (wrong challenge, origin, RP ID, signature)', async () => {
      await enrol();
      expect((await passkeys.authenticate(identifierFirst.response, identifierFirst.challenge, meta)).ok).toBe(true);
      // The older assertion with a lower counter, but not verifying: invalid, not cloned.
      expect(await passkeys.authenticate(discoverable.response, identifierFirst.challenge, meta)).toEqual({ ok: false, reason: 'invalid' });
      const tampered = structuredClone(discoverable.response);
      const sig = Buffer.from(tampered.response.signature, 'base64url');
      sig[sig.length - 1] ^= 0xff;
      tampered.response.signature = sig.toString('base64url');
      expect(await passkeys.authenticate(tampered, discoverable.challenge, meta)).toEqual({ ok: false, reason: 'invalid' });
      const log = new EventLog(events, pino({ level: 'silent' }));
      expect(await new Passkeys(repo, log, { ...SETTINGS, origins: ['https://sesam.example.be'] }).authenticate(discoverable.response, discoverable.challenge, meta)).toEqual({ ok: false, reason: 'invalid' });
      expect(await new Passkeys(repo, log, { ...SETTINGS, rpId: 'sesam.example.be' }).authenticate(discoverable.response, discoverable.challenge, meta)).toEqual({ ok: false, reason: 'invalid' });
      expect((await repo.findByCredentialId(authentication.credentialId))!.flaggedAt).toBeNull();
      expect(await passkeys.count(marie.id)).toBe(1);
    });

    it('refuses a user handle of another user, and a passkey of another user than expected', async () => {
      // The recorded passkey stored as another user's: its user handle (marie's) does not match.
      await enrol(other);
      expect(await passkeys.authenticate(discoverable.response, discoverable.challenge, meta)).toEqual({ ok: false, reason: 'wrong_user' });
      await t.db('passkeys').delete();
      await enrol();
      expect(await passkeys.authenticate(discoverable.response, discoverable.challenge, meta, other.id)).toEqual({ ok: false, reason: 'wrong_user' });
      const forged = structuredClone(discoverable.response);
      forged.response.userHandle = Buffer.from(userHandle(other.id)).toString('base64url');
      expect(await passkeys.authenticate(forged, discoverable.challenge, meta)).toEqual({ ok: false, reason: 'wrong_user' });
      // None of it touched the passkey.
      expect((await repo.findByCredentialId(authentication.credentialId))!).toMatchObject({ counter: 1, flaggedAt: null, lastUsedAt: null });
    });

    it('refuses an unknown credential and malformed answers', async () => {
      expect(await passkeys.authenticate(discoverable.response, discoverable.challenge, meta)).toEqual({ ok: false, reason: 'unknown' });
      for (const bad of [undefined, null, 'x', {}, { id: 'a' }, { id: authentication.credentialId }]) {
        expect(await passkeys.authenticate(bad as never, discoverable.challenge, meta)).toEqual({ ok: false, reason: 'invalid' });
      }
    });

    it('a synced passkey (backup eligible) registers as multiDevice and signs in as synced', async () => {
      const verified = await passkeys.verifyRegistration(jan, synced.response, synced.challenge);
      expect(verified).toMatchObject({ ok: true, deviceType: 'multiDevice', backedUp: true, counter: synced.credential.counter });
      if (!verified.ok) throw new Error('no');
      const stored = await credentials.addPasskey(jan, verified, meta);
      expect(stored).toMatchObject({ ok: true, passkey: { synced: true, backedUp: true, authenticator: 'Chromium virtual authenticator' } });
      const [use] = synced.ceremonies;
      const result = await passkeys.authenticate(use.response, use.challenge, meta);
      expect(result).toMatchObject({ ok: true, userId: jan.id, synced: true });
    });
  });

  describe('the counter rule with a passkey that never counts (a software authenticator)', () => {
    const key = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = key.publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const credentialId = crypto.randomBytes(32).toString('base64url');

    function assert(counter: number, challenge: string, userId: string): AuthenticationResponseJSON {
      const authData = Buffer.concat([
        crypto.createHash('sha256').update(SETTINGS.rpId).digest(),
        Buffer.from([0x01 | 0x04 | 0x08 | 0x10]), // UP, UV, backup eligible, backed up
        Buffer.from([counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff]),
      ]);
      const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: SETTINGS.origins[0], crossOrigin: false }));
      const signature = crypto.sign('sha256', Buffer.concat([authData, crypto.createHash('sha256').update(clientData).digest()]), key.privateKey);
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: clientData.toString('base64url'),
          authenticatorData: authData.toString('base64url'),
          signature: signature.toString('base64url'),
          userHandle: Buffer.from(userHandle(userId)).toString('base64url'),
        },
      };
    }

    it('accepts 0 after 0 again and again; a counter that starts counting must then go up', async () => {
      await repo.insert({
        id: crypto.randomUUID(),
        userId: jan.id,
        credentialId,
        publicKey: Buffer.from(cose).toString('base64url'),
        counter: 0,
        transports: ['hybrid', 'internal'],
        aaguid: null,
        deviceType: 'multiDevice',
        backedUp: true,
        name: 'Passkey',
      });
      for (let i = 0; i < 3; i++) {
        const challenge = crypto.randomBytes(32).toString('base64url');
        expect(await passkeys.authenticate(assert(0, challenge, jan.id), challenge, meta, jan.id)).toMatchObject({ ok: true, synced: true });
      }
      const c5 = crypto.randomBytes(32).toString('base64url');
      expect((await passkeys.authenticate(assert(5, c5, jan.id), c5, meta)).ok).toBe(true);
      expect((await repo.findByCredentialId(credentialId))!.counter).toBe(5);
      const c0 = crypto.randomBytes(32).toString('base64url');
      expect(await passkeys.authenticate(assert(0, c0, jan.id), c0, meta)).toEqual({ ok: false, reason: 'cloned' });
    });
  });
});

describe('passkey helpers', () => {
  it('the counter rule', () => {
    expect(counterAdvances(0, 0)).toBe(true);
    expect(counterAdvances(0, 1)).toBe(true);
    expect(counterAdvances(4, 5)).toBe(true);
    expect(counterAdvances(5, 5)).toBe(false);
    expect(counterAdvances(5, 4)).toBe(false);
    expect(counterAdvances(5, 0)).toBe(false);
  });

  it('a user handle is the uuid’s 16 bytes, and back', () => {
    const id = '6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5';
    expect(Buffer.from(userHandle(id)).toString('hex')).toBe('6f1c2d3e4b5a4c6d8e7f90a1b2c3d4e5');
    expect(userIdOfHandle(Buffer.from(userHandle(id)).toString('base64url'))).toBe(id);
    expect(userIdOfHandle('bWFyaWU')).toBeUndefined(); // "marie": not 16 bytes
    expect(userIdOfHandle('')).toBeUndefined();
    expect(() => userHandle('marie')).toThrow(RangeError);
  });

  it('names authenticators from their AAGUID, and browsers from their User-Agent', () => {
    expect(authenticatorName('FBFC3007-154E-4ECC-8C0B-6E020557D7BD')).toBe('iCloud Keychain');
    expect(authenticatorName('ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4')).toBe('Google Password Manager');
    expect(authenticatorName('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(authenticatorName(null)).toBeNull();
    expect(browserLabel(meta.userAgent)).toBe('Chrome on Linux');
    expect(browserLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1')).toBe('Safari on iPhone');
    expect(browserLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0')).toBe('Edge on Windows');
    expect(browserLabel('Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:131.0) Gecko/20100101 Firefox/131.0')).toBe('Firefox on macOS');
    expect(browserLabel('Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36')).toBe('Samsung Internet on Android');
    expect(browserLabel('curl/8.5.0')).toBeUndefined();
    expect(defaultPasskeyName('bada5566-a7aa-401f-bd96-45619a55120d', meta.userAgent)).toBe('Passkey (1Password)');
    expect(defaultPasskeyName(null, meta.userAgent)).toBe('Passkey (Chrome on Linux)');
    expect(defaultPasskeyName(null, null)).toBe('Passkey');
  });

  it('a name is trimmed, 1 to 100 characters', () => {
    expect(passkeyName('  Work laptop  ')).toBe('Work laptop');
    expect(passkeyName('a\n\tb')).toBe('a b');
    expect(passkeyName('   ')).toBeUndefined();
    expect(passkeyName('x'.repeat(101))).toBeUndefined();
    expect(passkeyName('x'.repeat(100))).toHaveLength(100);
    expect(passkeyName(42)).toBeUndefined();
  });
});
