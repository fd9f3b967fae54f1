/**
 * The CLI's upstream provider commands (`sesam providers …`) and a user's linked identities
 * (`sesam users identities|unlink`), against a real Sesam on PostgreSQL: presets, a client secret
 * read from standard input, a private key read from a file, secrets never printed, the server's
 * refusals as one line. Needs `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { operatorEnv, runSesam, type CliResult } from '../helpers/cli.js';
import { tmpDir } from '../helpers/stores.js';
import { FederatedIdentitiesRepository } from '../../src/repositories/federated-identities-repository.js';

const SECRET = `cli-google-secret-${crypto.randomBytes(12).toString('hex')}`;

describe('sesam providers and linked identities', () => {
  let server: TestServer;
  let env: Record<string, string>;
  const dir = tmpDir();

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      import: {
        tenants: [{ id: 'acme', name: 'Acme' }],
        users: [{ login: 'marie', email: 'marie@acme.example', tenants: ['acme'] }],
        clients: [{ client_id: 'portal', redirect_uris: ['https://portal.example/cb'] }],
      },
    });
    env = operatorEnv(server);
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ok = async (...args: string[]) => {
    const r = await runSesam(args, env);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };

  /** The CLI with `input` on its standard input. */
  const withStdin = (args: string[], input: string): Promise<CliResult> => runSesam(args, env, input);

  it('puts Google from its preset with the secret from standard input, then replaces it keeping the secret', async () => {
    const created = await withStdin(['providers', 'put', 'google', '--preset', 'google', '--client-id', 'g.apps.example', '--client-secret', '-', '--tenant', 'acme', '--client', 'portal', '--authoritative-domain', 'acme.example'], `${SECRET}\n`);
    expect(created).toEqual({ code: 0, stderr: '', stdout: 'created provider google (google, https://accounts.google.com, client_secret_basic; secrets: client secret)\n' });

    const replaced = await ok('providers', 'put', 'google', '--preset', 'google', '--client-id', 'g.apps.example', '--label', '{"fr":"Continuer avec Google","en":"Continue with Google"}', '--trusted');
    expect(replaced).toBe('replaced provider google (google, https://accounts.google.com, client_secret_basic; secrets: client secret)\n');

    const shown = await ok('providers', 'get', 'google');
    expect(shown).toMatch(/^issuer:\s+https:\/\/accounts\.google\.com$/m);
    expect(shown).toMatch(/^trustedForTwoFactors:\s+true$/m);
    expect(shown).toMatch(/^tenants:\s+all$/m);
    expect(shown).toMatch(/^label:\s+\{.*"fr":"Continuer avec Google".*\}$/m);
    expect(shown).toMatch(/^secrets:\s+client secret$/m);
    expect(shown).not.toContain(SECRET);
    const json = JSON.parse(await ok('providers', 'get', 'google', '--json'));
    expect(json).toMatchObject({ id: 'google', hasClientSecret: true, trustedForTwoFactors: true, tenants: null });
    expect(JSON.stringify(json)).not.toContain(SECRET);
  });

  it('puts itsme with a private key from a file (a JWK Set of one), its service scope and the test issuer', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const file = path.join(dir, 'itsme.jwk.json');
    fs.writeFileSync(file, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
    const args = ['providers', 'put', 'itsme', '--preset', 'itsme', '--client-id', 'ITSME', '--issuer', 'https://idp.e2e.itsme.services/v2', '--private-key-file', file];
    const out = await ok(...args, '--scope', 'openid', '--scope', 'profile', '--scope', 'email', '--scope', 'service:ACME', '--acr-values', 'http://itsme.net/loa/advanced');
    const kid = await calculateJwkThumbprint(jwk);
    expect(out).toBe(`created provider itsme (itsme, https://idp.e2e.itsme.services/v2, private_key_jwt; secrets: key RSA ${kid})\n`);
    const shown = await ok('providers', 'get', 'itsme');
    expect(shown).toMatch(/^scopes:\s+openid,profile,email,service:ACME$/m);
    expect(shown).toMatch(/^requestObject:\s+true$/m);
    expect(shown).toMatch(/^acrValues:\s+http:\/\/itsme\.net\/loa\/advanced$/m);
    expect(shown).not.toContain(String(jwk.d));

    const list = await ok('providers', 'list');
    expect(list.split('\n')[0]).toMatch(/^ID\s+PRESET\s+ISSUER\s+AUTH\s+TRUSTED_2FA\s+TENANTS\s+CLIENTS\s+ENABLED$/);
    expect(list).toMatch(/^google\s+google\s+https:\/\/accounts\.google\.com\s+client_secret_basic\s+yes\s+all\s+all\s+yes$/m);
    expect(list).toMatch(/^itsme\s+itsme\s+https:\/\/idp\.e2e\.itsme\.services\/v2\s+private_key_jwt\s+yes\s+all\s+all\s+yes$/m);

    // --no-request-object turns the preset's off; --disabled hides it.
    await ok(...args.filter((a) => a !== '--private-key-file' && a !== file), '--no-request-object', '--disabled');
    expect(JSON.parse(await ok('providers', 'get', 'itsme', '--json'))).toMatchObject({ requestObject: false, enabled: false, privateKey: { kid } });
  });

  it('says in one line what the server refuses, or what is wrong with a key file', async () => {
    const http = await runSesam(['providers', 'put', 'corp', '--issuer', 'http://idp.corp.example', '--client-id', 'x', '--client-secret', 'y'], env);
    expect(http).toEqual({ code: 1, stdout: '', stderr: 'sesam: issuer: must be an https URL (http only on loopback: 127.0.0.1, localhost, [::1]) (HTTP 400)\n' });
    const tenant = await runSesam(['providers', 'put', 'corp', '--issuer', 'https://idp.corp.example', '--client-id', 'x', '--client-secret', 'y', '--tenant', 'ghost'], env);
    expect(tenant).toEqual({ code: 1, stdout: '', stderr: 'sesam: tenants.0: tenant ghost does not exist (HTTP 404)\n' });
    const publicOnly = path.join(dir, 'public.jwk.json');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    fs.writeFileSync(publicOnly, JSON.stringify(await exportJWK(publicKey)));
    const key = await runSesam(['providers', 'put', 'corp', '--issuer', 'https://idp.corp.example', '--client-id', 'x', '--auth-method', 'private_key_jwt', '--private-key-file', publicOnly], env);
    expect(key.code).toBe(1);
    expect(key.stderr).toMatch(/^sesam: privateKeyJwk: a public key; the private key \(with "d"\) is needed \(HTTP 400\)\n$/);
    const two = path.join(dir, 'two.jwks.json');
    fs.writeFileSync(two, JSON.stringify({ keys: [{ kty: 'EC' }, { kty: 'EC' }] }));
    const many = await runSesam(['providers', 'put', 'corp', '--client-id', 'x', '--private-key-file', two], env);
    expect(many).toEqual({ code: 2, stdout: '', stderr: `sesam: --private-key-file ${two}: expected one JWK (or a JWK Set of one key)\n` });
    expect((await runSesam(['providers', 'get', 'corp'], env)).stderr).toBe('sesam: provider corp does not exist (HTTP 404)\n');
  });

  it("lists and unlinks a user's identities, and deletes a provider", async () => {
    const marie = await server.sesam.directory.requireUser('marie');
    await new FederatedIdentitiesRepository(server.sesam.db).link({ providerId: 'google', subject: '1029384756', userId: marie.id, email: 'marie@gmail.example' });
    const listed = await ok('users', 'identities', 'marie');
    expect(listed.split('\n')[0]).toMatch(/^PROVIDER\s+SUBJECT\s+EMAIL\s+LINKED\s+LAST_USED$/);
    expect(listed).toMatch(/^google\s+1029384756\s+marie@gmail\.example\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+-$/m);
    expect(JSON.parse(await ok('users', 'identities', 'marie@acme.example', '--json'))).toEqual([expect.objectContaining({ providerId: 'google', subject: '1029384756', userId: marie.id })]);

    expect(await ok('users', 'unlink', 'marie', 'google')).toBe('unlinked the google identity of marie: they no longer sign in through it\n');
    expect(await ok('users', 'identities', 'marie')).toBe('(none)\n');
    const again = await runSesam(['users', 'unlink', 'marie', 'google', '--json'], env);
    expect(again).toEqual({ code: 1, stdout: '', stderr: 'sesam: user marie has no identity linked at provider google (HTTP 404)\n' });

    expect(JSON.parse(await ok('providers', 'delete', 'google', '--json'))).toEqual({ deleted: 'provider', id: 'google' });
    expect(await ok('providers', 'delete', 'itsme')).toBe('deleted provider itsme\n');
    expect(await ok('providers', 'list')).toBe('(none)\n');
  });
});
