/**
 * The `sesam` CLI's own surface, on commander: --help for the program and every command, one
 * clear line and exit code 2 for a wrong command line, --json everywhere (before or after the
 * command) printing JSON that parses. Runs the built CLI (`npm run build` first).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { operatorEnv, runSesam } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
const offline = { PATH: process.env.PATH ?? '', SESAM_URL: 'http://127.0.0.1:1' };

/** Every command today, with the options its --help must list (besides --json and --help). */
const COMMANDS: Record<string, string[]> = {
  'tenants list': [],
  'tenants get': [],
  'tenants create': ['--name <name>', '--policy <json>'],
  'tenants set-policy': [],
  'tenants delete': [],
  'users list': ['--tenant <tenant>', '--limit <n>', '--offset <n>'],
  'users get': [],
  'users create': ['--email <email>', '--password <password>', '--phone <phone>', '--name <name>', '--tenant <tenant[:admin]>'],
  'users unlock': [],
  'users reset-password': ['--password <password>'],
  'users delete': [],
  'users events': ['--type <type>', '--limit <n>'],
  'users second-factors': [],
  'users reset-2fa': [],
  'users devices': [],
  'users revoke-device': [],
  'users passkeys': [],
  'users rename-passkey': [],
  'users delete-passkey': [],
  'users identities': [],
  'users unlink': [],
  'users recovery-codes': [],
  'clients list': [],
  'clients get': [],
  'clients create': [
    '--redirect-uri <uri>',
    '--post-logout-redirect-uri <uri>',
    '--grant-type <grant>',
    '--tenant <tenant>',
    '--secret <secret>',
    '--auth-method <method>',
    '--first-party',
    '--name <name>',
    '--scope <scope>',
    '--application-type <type>',
    '--notice <json>',
  ],
  'clients set-notice': [],
  'clients delete': [],
  'providers list': [],
  'providers get': [],
  'providers put': [
    '--client-id <client_id>',
    '--preset <preset>',
    '--issuer <url>',
    '--client-secret <secret>',
    '--private-key-file <path.jwk.json>',
    '--auth-method <method>',
    '--request-object',
    '--no-request-object',
    '--scope <scope>',
    '--acr-values <acr>',
    '--subject-claim <claim>',
    '--trusted',
    '--no-trusted',
    '--label <json>',
    '--icon <icon>',
    '--tenant <tenant>',
    '--client <client_id>',
    '--authoritative-domain <domain>',
    '--disabled',
  ],
  'providers delete': [],
  'keys list': [],
  'keys rotate': [],
  events: ['--user <user>', '--tenant <tenant>', '--type <type>', '--limit <n>'],
  migrate: [],
  serve: ['--workers <n>'],
};

describe('sesam --help', () => {
  it('the program lists its command groups and the global options, on stdout, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const res = await runSesam(args, offline);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout).toMatch(/^Usage: sesam \[options\] \[command\]/);
      for (const group of ['tenants', 'users', 'clients', 'providers', 'keys', 'events', 'migrate', 'serve', 'help']) expect(res.stdout).toMatch(new RegExp(`^  ${group}\\b`, 'm'));
      expect(res.stdout).toMatch(/^ {2}--json\s+print the admin API answer as JSON$/m);
      // The overview names every command with its arguments and options.
      for (const command of Object.keys(COMMANDS)) expect(res.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      expect(res.stdout).toContain('  users create <login> [--email <email>]');
      expect(res.stdout).toContain('[--tenant <tenant[:admin]>]...');
      expect(res.stdout).toContain('SESAM_ADMIN_CLIENT_SECRET');
    }
  });

  it('each group lists its commands', async () => {
    for (const group of ['tenants', 'users', 'clients', 'providers', 'keys']) {
      const res = await runSesam([group, '--help'], offline);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      for (const command of Object.keys(COMMANDS).filter((c) => c.startsWith(`${group} `))) {
        expect(res.stdout).toMatch(new RegExp(`^  ${command.split(' ')[1]}\\b`, 'm'));
      }
    }
  });

  it('every command lists its arguments and options, the same with --help and with sesam help', async () => {
    for (const [command, options] of Object.entries(COMMANDS)) {
      const words = command.split(' ');
      const res = await runSesam([...words, '--help'], offline);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout.startsWith(`Usage: sesam ${command} [options]`)).toBe(true);
      for (const option of ['--json', '-h, --help', ...options]) expect(res.stdout).toMatch(new RegExp(`^ {2}${option.replace(/[[\]]/g, '\\$&')}\\s`, 'm'));
      const viaHelp = await runSesam(['help', ...words], offline);
      expect(viaHelp).toEqual(res);
    }
    expect((await runSesam(['users', 'reset-2fa', '--help'], offline)).stdout).toMatch(/^Usage: sesam users reset-2fa \[options\] <id\|login\|email>$/m);
    expect((await runSesam(['users', 'rename-passkey', '--help'], offline)).stdout).toMatch(/<id\|login\|email> <passkey_id> <name>$/m);
  });
});

describe('a wrong command line', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /^sesam: unknown command 'frobnicate' \(see sesam --help\)$/],
    [['users', 'frobnicate'], /^sesam: unknown command 'frobnicate' \(see sesam users --help\)$/],
    [['users', 'list', '--bogus'], /^sesam: unknown option '--bogus' \(see sesam users list --help\)$/],
    [['--bogus', 'tenants', 'list'], /^sesam: unknown option '--bogus'/],
    [['users', 'lst'], /^sesam: unknown command 'lst'.*Did you mean list\?/],
    [['tenants', 'create', 'x'], /^sesam: required option '--name <name>' not specified \(see sesam tenants create --help\)$/],
    [['users', 'reset-password', 'marie'], /^sesam: required option '--password <password>' not specified/],
    [['users', 'revoke-device', 'marie'], /^sesam: missing required argument 'device_id'/],
    [['users', 'unlink', 'marie'], /^sesam: missing required argument 'provider'/],
    [['providers', 'put', 'google', '--preset', 'google'], /^sesam: required option '--client-id <client_id>' not specified \(see sesam providers put --help\)$/],
    [['providers', 'put', 'google', '--client-id', 'x', '--preset', 'google', '--preset', 'itsme'], /^sesam: --preset may be given once here$/],
    [['providers', 'put', 'itsme', '--client-id', 'x', '--private-key-file', '/nonexistent/key.jwk.json'], /^sesam: --private-key-file \/nonexistent\/key\.jwk\.json: cannot read it \(ENOENT\)$/],
    [['providers', 'put', 'google', '--client-id', 'x', '--label', '{fr'], /^sesam: --label: not valid JSON/],
    [['keys', 'list', 'extra'], /^sesam: too many arguments for 'list'/],
    [['users', 'list', '--limit'], /^sesam: option '--limit <n>' argument missing/],
    [['users', 'list', '--tenant', 'a', '--tenant', 'b'], /^sesam: --tenant may be given once here$/],
    [['users', 'create', 'x', '--tenant', 'a:owner'], /^sesam: --tenant a:owner: expected TENANT or TENANT:admin$/],
    [['tenants', 'set-policy', 'acme', '{not json'], /^sesam: policy: not valid JSON/],
    [['tenants', 'set-policy', 'acme', '[1]'], /^sesam: policy: must be a JSON object$/],
    [['users'], /^sesam: users: which one\? list, get, create, .*recovery-codes$/],
    [[], /^sesam: no command given \(see sesam help\)$/],
    [['help', 'nope'], /^sesam: unknown command "nope" \(see sesam help\)$/],
  ];

  it('exits 2 with one clear line on stderr and nothing on stdout, without calling the server', async () => {
    for (const [args, message] of cases) {
      const res = await runSesam(args, offline);
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(lines(res.stderr)).toHaveLength(1);
      expect(lines(res.stderr)[0]).toMatch(message);
    }
  });
});

describe('sesam --json', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres' });
    env = operatorEnv(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const json = async (args: string[]) => {
    const res = await runSesam(args, env);
    expect({ args, code: res.code, stderr: res.stderr }).toEqual({ args, code: 0, stderr: '' });
    return JSON.parse(res.stdout) as unknown;
  };

  it('prints JSON that parses, with --json after or before the command', async () => {
    expect(await json(['tenants', 'create', 'jsonco', '--name', 'Json & Co', '--json'])).toMatchObject({ id: 'jsonco', name: 'Json & Co' });
    expect(await json(['--json', 'tenants', 'list'])).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'jsonco' })]));
    expect(await json(['users', 'create', 'jan', '--tenant', 'jsonco:admin', '--json'])).toMatchObject({ login: 'jan', memberships: [{ tenantId: 'jsonco', role: 'admin' }] });
    expect(await json(['users', 'list', '--tenant', 'jsonco', '--json'])).toEqual([expect.objectContaining({ login: 'jan' })]);
    expect(await json(['users', 'second-factors', 'jan', '--json'])).toEqual({ sms: false, totp: false, recoveryCodesRemaining: 0, trustedDevices: 0, passkeys: 0 });
    expect(await json(['users', 'devices', 'jan', '--json'])).toEqual([]);
    expect(await json(['users', 'passkeys', 'jan', '--json'])).toEqual([]);
    expect(await json(['clients', 'list', '--json'])).toEqual(expect.any(Array));
    expect(await json(['keys', 'list', '--json'])).toEqual(expect.arrayContaining([expect.objectContaining({ active: true })]));
    expect(await json(['events', '--tenant', 'jsonco', '--limit', '5', '--json'])).toEqual(expect.any(Array));
    expect(await json(['users', 'delete', 'jan', '--json'])).toEqual({ deleted: 'user', id: 'jan' });
    expect(await json(['tenants', 'delete', 'jsonco', '--json'])).toEqual({ deleted: 'tenant', id: 'jsonco' });
  });

  it('takes --password - from the first line of standard input', async () => {
    const res = await runSesam(['users', 'create', 'stdin-user', '--password', '-', '--json'], env, 'a password from stdin 42\nignored second line\n');
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(res.stdout)).toMatchObject({ login: 'stdin-user', mustChangePassword: true, hasPassword: true });
  });

  it('an API error is one line and exit 1, with or without --json', async () => {
    for (const args of [['users', 'get', 'nobody'], ['users', 'get', 'nobody', '--json']]) {
      const res = await runSesam(args, env);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(lines(res.stderr)).toEqual(['sesam: user nobody does not exist (HTTP 404)']);
    }
  });
});
