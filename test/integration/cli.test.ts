/**
 * The `sesam` CLI as operators run it: `node bin/sesam.js …` in a child process against a
 * running Sesam (PostgreSQL), authenticated with the admin client's credentials (from the
 * environment, or from the data folder's admin-client.json). Needs `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { operatorEnv, runSesam } from '../helpers/cli.js';
import { FactorsRepository } from '../../src/repositories/factors-repository.js';
import { DevicesRepository } from '../../src/repositories/devices-repository.js';
import { RecoveryCodes } from '../../src/domain/recovery-codes.js';
import { TrustedDevices } from '../../src/domain/trusted-devices.js';
import { loadMasterKey } from '../../src/secrets/master-key.js';
import { deriveKey } from '../../src/secrets/keyring.js';
import { createPostgresDatabase, migrateTo003, tmpDir } from '../helpers/stores.js';
import { Cipher } from '../../src/secrets/cipher.js';


describe('sesam CLI', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres' });
    env = operatorEnv(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const sesam = (args: string[], environment: Record<string, string> = env) => runSesam(args, environment);
  const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

  it('creates a tenant with a policy and shows it', async () => {
    const created = await sesam(['tenants', 'create', 'acme', '--name', 'Acme Titres-Services', '--policy', '{"lockout":{"threshold":5,"mode":"temporary"}}']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout.trim()).toBe('created tenant acme (Acme Titres-Services)');
    const shown = await sesam(['tenants', 'get', 'acme', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: 'acme', name: 'Acme Titres-Services', policy: { lockout: { threshold: 5, mode: 'temporary' } } });
    const patched = await sesam(['tenants', 'set-policy', 'acme', '{"mfa":"optional"}', '--json']);
    expect(patched.code).toBe(0);
    expect(JSON.parse(patched.stdout).policy).toMatchObject({ mfa: 'optional', lockout: { threshold: 5 } });
  });

  it('creates a user in the tenant and lists users as JSON and as a table', async () => {
    const created = await sesam(['users', 'create', 'marie', '--email', 'marie@example.be', '--password', 'initial-password-1', '--tenant', 'acme:admin']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created user marie \([0-9a-f-]{36}\)$/m);

    const listed = await sesam(['users', 'list', '--tenant', 'acme', '--json']);
    expect(listed.code).toBe(0);
    const users = JSON.parse(listed.stdout) as any[];
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ login: 'marie', email: 'marie@example.be', mustChangePassword: true, memberships: [{ tenantId: 'acme', role: 'admin' }] });
    expect(users[0]).not.toHaveProperty('passwordHash');

    const table = await sesam(['users', 'list']);
    expect(table.code).toBe(0);
    const rows = lines(table.stdout);
    expect(rows[0]).toMatch(/^ID\s+LOGIN\s+EMAIL\s+TENANTS\s+STATE$/);
    expect(rows.some((r) => /\bmarie\b.*marie@example\.be.*acme:admin.*must change password/.test(r))).toBe(true);
  });

  it('unlocks a locked user', async () => {
    await server.sesam.db('users').where({ login: 'marie' }).update({ locked: true, failed_attempts: 3 });
    expect((await sesam(['users', 'get', 'marie'])).stdout).toMatch(/^state:\s+locked/m);
    const res = await sesam(['users', 'unlock', 'marie']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout.trim()).toBe('unlocked user marie');
    const row = await server.sesam.db('users').where({ login: 'marie' }).first();
    expect(row.locked).toBe(false);
    expect(row.failed_attempts).toBe(0);
    const events = JSON.parse((await sesam(['users', 'events', 'marie', '--type', 'account.unlocked', '--json'])).stdout) as any[];
    expect(events).toHaveLength(1);
  });

  it('rotates the signing keys', async () => {
    const before = JSON.parse((await sesam(['keys', 'list', '--json'])).stdout) as { kid: string; active: boolean }[];
    const rotated = await sesam(['keys', 'rotate', '--json']);
    expect(rotated.code).toBe(0);
    const { kids } = JSON.parse(rotated.stdout) as { kids: string[] };
    expect(kids).toHaveLength(2);
    for (const kid of kids) expect(before.map((k) => k.kid)).not.toContain(kid);
    const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([...kids, ...before.filter((k) => k.active).map((k) => k.kid)]));
    const table = await sesam(['keys', 'list']);
    expect(lines(table.stdout).filter((l) => l.includes(' active '))).toHaveLength(2);
  });

  it('registers a client, showing a generated secret once', async () => {
    const res = await sesam(['clients', 'create', 'portal', '--redirect-uri', 'https://portal.example/cb', '--auth-method', 'client_secret_basic', '--tenant', 'acme', '--first-party']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^client_secret: \S{32,}/m);
    const shown = JSON.parse((await sesam(['clients', 'get', 'portal', '--json'])).stdout);
    expect(shown).toMatchObject({ client_id: 'portal', tenants: ['acme'], first_party: true, redirect_uris: ['https://portal.example/cb'] });
    expect(shown).not.toHaveProperty('client_secret');
  });

  describe('second factors of a user who lost their phone', () => {
    let userId: string;
    let recovery: RecoveryCodes;
    let devices: TrustedDevices;
    let device: { id: string; token: string };

    beforeAll(async () => {
      const created = await sesam(['users', 'create', 'piet', '--phone', '0472 99 88 77', '--tenant', 'acme', '--json']);
      expect(created.code).toBe(0);
      userId = JSON.parse(created.stdout).id;
      const db = server.sesam.db;
      const factors = new FactorsRepository(db);
      // The server's key, so the codes it issues are the ones this checks.
      const masterKey = loadMasterKey(server.sesam.settings.encryptionKey, server.sesam.settings.dataDir);
      recovery = new RecoveryCodes(factors, deriveKey(masterKey, 'recovery-codes'));
      devices = new TrustedDevices(new DevicesRepository(db));
      // Only confirmed_at counts for "enrolled": a placeholder secret is enough here.
      await factors.upsertTotp(userId, 'sealed-placeholder', { confirmedAt: new Date() });
      await recovery.regenerate(userId);
      await server.sesam.directory.users.update(userId, { phoneVerifiedAt: new Date(), preferredFactor: 'sms' });
      device = await devices.trust(userId, { userAgent: 'Chrome on Android', ip: '203.0.113.9', days: 30 });
    });

    it('shows the second factors as fields and as JSON', async () => {
      const res = await sesam(['users', 'second-factors', 'piet']);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(lines(res.stdout)).toEqual([
        expect.stringMatching(/^sms:\s+yes$/),
        expect.stringMatching(/^totp:\s+yes$/),
        expect.stringMatching(/^recoveryCodes:\s+10 left$/),
        expect.stringMatching(/^passkeys:\s+0$/),
        expect.stringMatching(/^trustedDevices:\s+1$/),
      ]);
      const json = await sesam(['users', 'second-factors', userId, '--json']);
      expect(JSON.parse(json.stdout)).toEqual({ sms: true, totp: true, recoveryCodesRemaining: 10, trustedDevices: 1, passkeys: 0 });
    });

    it('lists trusted devices without their token, and revokes one', async () => {
      const table = await sesam(['users', 'devices', 'piet']);
      expect(table.code).toBe(0);
      const rows = lines(table.stdout);
      expect(rows[0]).toMatch(/^ID\s+CREATED\s+LAST_USED\s+EXPIRES\s+IP\s+USER_AGENT$/);
      expect(rows[1]).toMatch(new RegExp(`^${device.id}\\s.*203\\.0\\.113\\.9\\s+Chrome on Android$`));
      const listed = JSON.parse((await sesam(['users', 'devices', 'piet', '--json'])).stdout) as any[];
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: device.id, userAgent: 'Chrome on Android' });
      expect(listed[0]).not.toHaveProperty('tokenHash');
      expect(JSON.stringify(listed)).not.toContain(device.token);

      const unknown = await sesam(['users', 'revoke-device', 'piet', '00000000-0000-4000-8000-000000000000']);
      expect(unknown.code).toBe(1);
      expect(lines(unknown.stderr)).toHaveLength(1);
      expect(unknown.stderr).toMatch(/^sesam: .*00000000-0000-4000-8000-000000000000.*\(HTTP 404\)$/m);

      const revoked = await sesam(['users', 'revoke-device', 'piet', device.id]);
      expect(revoked).toMatchObject({ code: 0, stderr: '' });
      expect(revoked.stdout.trim()).toBe(`revoked device ${device.id} of piet`);
      expect(await devices.isTrusted(userId, device.token)).toBe(false);
      expect(lines((await sesam(['users', 'devices', 'piet'])).stdout)).toEqual(['(none)']);
    });

    it('issues new recovery codes, shown once', async () => {
      const res = await sesam(['users', 'recovery-codes', 'piet']);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      const [heading, ...codes] = lines(res.stdout);
      expect(heading).toMatch(/shown this once/);
      expect(codes).toHaveLength(10);
      for (const code of codes) expect(code.trim()).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
      expect(await recovery.use(userId, codes[0].trim())).toBe(true);

      const json = JSON.parse((await sesam(['users', 'recovery-codes', 'piet', '--json'])).stdout) as { codes: string[] };
      expect(json.codes).toHaveLength(10);
      expect(await recovery.use(userId, codes[1].trim())).toBe(false); // replaced by the second batch
      expect(await recovery.use(userId, json.codes[1])).toBe(true);
    });

    it('reset-2fa switches them all off and keeps the phone number', async () => {
      await devices.trust(userId, { days: 30 });
      const res = await sesam(['users', 'reset-2fa', 'piet']);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout).toMatch(/^reset the second factors of piet/);
      const status = JSON.parse((await sesam(['users', 'second-factors', 'piet', '--json'])).stdout);
      expect(status).toEqual({ sms: false, totp: false, recoveryCodesRemaining: 0, trustedDevices: 0, passkeys: 0 });
      expect((await server.sesam.directory.users.findById(userId))!.phone).toBe('+32472998877');
      const events = JSON.parse((await sesam(['users', 'events', 'piet', '--type', 'admin.second_factors_reset', '--json'])).stdout) as any[];
      expect(events).toHaveLength(1);

      const json = await sesam(['users', 'reset-2fa', 'piet', '--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ reset: 'second-factors', user: 'piet' });
      const unknown = await sesam(['users', 'reset-2fa', 'nobody']);
      expect(unknown.code).toBe(1);
      expect(lines(unknown.stderr)).toEqual(['sesam: user nobody does not exist (HTTP 404)']);
    });

    it('the new commands are in the help, and check their arguments', async () => {
      const help = await sesam(['help']);
      for (const command of ['users second-factors', 'users reset-2fa', 'users devices', 'users revoke-device', 'users recovery-codes']) {
        expect(help.stdout).toContain(`  ${command} <id|login|email>`);
      }
      for (const args of [['users', 'revoke-device', 'piet'], ['users', 'reset-2fa'], ['users', 'second-factors', 'piet', 'extra']]) {
        const res = await sesam(args);
        expect(res.code).toBe(2);
        expect(lines(res.stderr)).toHaveLength(1);
      }
    });
  });

  it('finds the admin credentials in the data folder when the environment has none', async () => {
    const res = await sesam(['tenants', 'list'], { PATH: env.PATH, SESAM_URL: server.url, SESAM_DATA_DIR: server.dataDir });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(lines(res.stdout)[0]).toMatch(/^ID\s+NAME/);
    expect(res.stdout).toContain('Acme Titres-Services');
  });

  it('a usage error exits 2 with one line on stderr', async () => {
    for (const args of [['users', 'frobnicate'], ['tenants', 'create', 'x'], ['users', 'list', '--bogus'], ['keys', 'list', 'extra']]) {
      const res = await sesam(args);
      expect(res.code).toBe(2);
      expect(lines(res.stderr)).toHaveLength(1);
      expect(res.stderr).toMatch(/^sesam: /);
      expect(res.stdout).toBe('');
    }
  });

  it('an unknown user, bad credentials or an unreachable server exit 1 with one clear line, no stack trace', async () => {
    const unknown = await sesam(['users', 'get', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(lines(unknown.stderr)).toEqual(['sesam: user nobody does not exist (HTTP 404)']);
    expect(unknown.stdout).toBe('');

    const badSecret = await sesam(['tenants', 'list'], { ...env, SESAM_ADMIN_CLIENT_SECRET: 'wrong-secret-0123456789abcdef0123456789' });
    expect(badSecret.code).toBe(1);
    expect(lines(badSecret.stderr)).toHaveLength(1);
    expect(badSecret.stderr).toMatch(/could not get an admin token.*invalid_client/);

    const down = await sesam(['tenants', 'list'], { ...env, SESAM_URL: 'http://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(lines(down.stderr)).toHaveLength(1);
    expect(down.stderr).toMatch(/cannot reach Sesam at http:\/\/127\.0\.0\.1:1/);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });

  it('migrate runs the migrations on the configured database, without the API', async () => {
    const res = await sesam(['migrate'], { PATH: env.PATH, DATABASE_URL: server.databaseUrl!, SESAM_DATA_DIR: server.dataDir });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout.trim()).toBe('the database is up to date');
  });

  it("migrate seals old secrets with the server's master key, and refuses another key", async () => {
    const masterKey = crypto.randomBytes(32);
    const t = await createPostgresDatabase({ migrate: false });
    try {
      await migrateTo003(t.db, masterKey);
      await t.db('clients').insert({ client_id: 'old', metadata: JSON.stringify({ client_id: 'old', client_secret: 'an-old-secret-in-clear-0123456789abcdef' }) });
      const base = { PATH: env.PATH, DATABASE_URL: t.url! };
      // A data folder without the server's master.key: a new key there opens nothing.
      const wrong = await sesam(['migrate'], { ...base, SESAM_DATA_DIR: tmpDir() });
      expect(wrong.code).toBe(1);
      expect(lines(wrong.stderr)).toHaveLength(1);
      expect(wrong.stderr).toMatch(/migrations failed: .*master key given does not open/);
      const right = await sesam(['migrate', '--json'], { ...base, SESAM_DATA_DIR: tmpDir(), SESAM_ENCRYPTION_KEY: masterKey.toString('hex') });
      expect(right).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(right.stdout).applied).toContain('006_keyed_secrets');
      const row = await t.db('clients').where({ client_id: 'old' }).first();
      expect(JSON.stringify(row.metadata)).not.toContain('an-old-secret');
      expect(new Cipher(masterKey).decrypt(row.secret_sealed, 'client:old')).toBe('an-old-secret-in-clear-0123456789abcdef');
    } finally {
      await t.drop();
    }
  });
});
