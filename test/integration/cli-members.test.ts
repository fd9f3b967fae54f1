/**
 * The CLI's tenant commands (`sesam members …`) as the operator runs them with --tenant, and the
 * client commands of issue 11 (`clients rotate-secret`, `clients initial-token …`), against a real
 * Sesam on PostgreSQL with dynamic registration on. (The tenant admin's own use, after `sesam
 * login`, is test/e2e/cli-login.test.ts.) Needs `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { operatorEnv, runSesam } from '../helpers/cli.js';

describe('sesam members and the client commands of issue 11', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      env: { DYNAMIC_REGISTRATION: 'initial-access-token' },
      import: {
        tenants: [{ id: 'acme', name: 'Acme' }, { id: 'beta', name: 'Beta' }],
        users: [
          { login: 'anna', password: 'a sentence that is long enough', mustChangePassword: false, tenants: [{ id: 'acme', role: 'admin' }] },
          { login: 'sam', password: 'a sentence that is long enough', mustChangePassword: false, tenants: ['acme', 'beta'] },
          { login: 'bert', password: 'a sentence that is long enough', mustChangePassword: false, tenants: ['beta'] },
        ],
      },
    });
    env = operatorEnv(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const sesam = (...args: string[]) => runSesam(args, env);
  const ok = async (...args: string[]) => {
    const r = await sesam(...args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };
  const user = (login: string) => server.sesam.directory.requireUser(login);

  it('asks which tenant when neither --tenant nor a sign-in says', async () => {
    const r = await sesam('members', 'list');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('which tenant?');
  });

  it('lists, creates and shows members', async () => {
    expect(await ok('members', 'create', 'newbie', '--tenant', 'acme', '--password', 'an initial password for newbie', '--email', 'newbie@example.be'))
      .toContain('created newbie: the initial password must be changed at the first sign-in');
    expect((await user('newbie')).mustChangePassword).toBe(true);
    expect(await ok('members', 'create', 'bert', '--tenant', 'acme', '--password', 'ignored password 1234')).toContain('already had an account');
    expect((await user('bert')).mustChangePassword).toBe(false);

    const list = await ok('members', 'list', '--tenant', 'acme');
    expect(list.split('\n')[0]).toMatch(/^LOGIN\s+NAME\s+ROLE\s+STATE\s+SHARED/);
    expect(list).toMatch(/sam\s+-\s+member\s+active\s+yes/);
    const json = JSON.parse(await ok('members', 'list', '--tenant', 'acme', '--search', 'new', '--json'));
    expect(json.members.map((m: { login: string }) => m.login)).toEqual(['newbie']);
    const paged = await ok('members', 'list', '--tenant', 'acme', '--limit', '1');
    expect(paged).toContain('more: --offset 1');

    const shown = await ok('members', 'get', 'newbie', '--tenant', 'acme');
    expect(shown).toMatch(/^login:\s+newbie$/m);
    expect(shown).toMatch(/secondFactors: sms no, authenticator no, passkeys 0/);
  });

  it('unlocks, resets, disables, enables, changes phone and role, and removes', async () => {
    await server.sesam.db('users').where({ login: 'newbie' }).update({ locked: true });
    expect(await ok('members', 'unlock', 'newbie', '--tenant', 'acme')).toBe('unlocked newbie\n');
    expect((await user('newbie')).locked).toBe(false);

    expect(await ok('members', 'reset-password', 'newbie', '--tenant', 'acme', '--password', 'another initial password')).toContain('must change');
    expect(await ok('members', 'reset-2fa', 'newbie', '--tenant', 'acme')).toContain('switched off');
    expect(await ok('members', 'disable', 'newbie', '--tenant', 'acme')).toBe('disabled newbie\n');
    expect((await user('newbie')).disabled).toBe(true);
    expect(await ok('members', 'enable', 'newbie', '--tenant', 'acme')).toBe('enabled newbie\n');
    expect(await ok('members', 'set-phone', 'newbie', '0470 12 34 56', '--tenant', 'acme')).toContain('+32470123456 (not proven yet)');
    expect(await ok('members', 'set-phone', 'newbie', 'none', '--tenant', 'acme')).toContain('no phone number');
    expect(await ok('members', 'set-role', 'newbie', 'admin', '--tenant', 'acme')).toContain('now an admin');

    const badRole = await sesam('members', 'set-role', 'newbie', 'owner', '--tenant', 'acme');
    expect(badRole.code).toBe(2);
    const shared = await sesam('members', 'reset-password', 'sam', '--tenant', 'acme', '--password', 'taking over sam 1234');
    expect(shared.code).toBe(1);
    expect(shared.stderr).toMatch(/^sesam: sam also belongs to another tenant: .* \(HTTP 409\)\n$/);
    const stranger = await sesam('members', 'unlock', 'nobody', '--tenant', 'acme');
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain('HTTP 404');

    expect(await ok('members', 'remove', 'newbie', '--tenant', 'acme')).toBe('removed newbie from acme\n');
    expect((await server.sesam.directory.users.memberships((await user('newbie')).id)).map((m) => m.tenantId)).toEqual([]);
  });

  it("reads the tenant's events and audit trail", async () => {
    const events = await ok('members', 'events', '--tenant', 'acme', '--limit', '3');
    expect(events.split('\n')[0]).toMatch(/^AT\s+TYPE\s+USER/);
    expect(events).toContain('more: --before ');
    const audit = JSON.parse(await ok('members', 'audit', '--tenant', 'acme', '--json'));
    expect(audit.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['admin.membership_removed', 'admin.role_changed', 'account.unlocked']));
    const table = await ok('members', 'audit', '--tenant', 'acme');
    expect(table).toMatch(new RegExp(`admin\\.membership_removed\\s+operator ${server.sesam.adminCredentials.clientId}\\s+user `));
  });

  it('rotates a client secret: the new one is shown once, the old one stops working', async () => {
    const created = JSON.parse(await ok('clients', 'create', 'payroll', '--redirect-uri', 'https://payroll.example/cb', '--grant-type', 'client_credentials', '--json'));
    const rotated = await ok('clients', 'rotate-secret', 'payroll');
    const secret = /client_secret: (\S+)/.exec(rotated)![1];
    expect(secret).not.toBe(created.client_secret);
    const token = (s: string) =>
      fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`payroll:${s}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }).then((r) => r.status);
    expect(await token(created.client_secret)).toBe(401);
    expect(await token(secret)).toBe(200);
    const publicClient = await sesam('clients', 'rotate-secret', 'sesam-cli');
    expect(publicClient.code).toBe(1);
    expect(publicClient.stderr).toContain('public');
  });

  it('mints, shows and revokes an initial access token an app registers itself with', async () => {
    const minted = JSON.parse(await ok('clients', 'initial-token', 'create', '--max-clients', '2', '--tenant', 'acme', '--json'));
    expect(minted).toMatchObject({ maxClients: 2, tenants: ['acme'], used: 0 });
    const registered = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${minted.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://self.example/cb'], client_name: 'Self-registered' }),
    });
    expect(registered.status).toBe(201);
    expect(await ok('clients', 'initial-token', 'get', minted.id)).toMatch(/^used:\s+1$/m);
    expect(await ok('clients', 'initial-token', 'revoke', minted.id)).toContain('revoked');
    const again = await fetch(`${server.url}/reg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${minted.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://self.example/cb2'] }),
    });
    expect(again.status).toBe(401);
    expect((await sesam('clients', 'initial-token', 'get', minted.id)).code).toBe(1);
  });
});
