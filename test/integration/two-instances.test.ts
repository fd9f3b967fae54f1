/**
 * Two Sesam instances of one deployment (issue 13, stateless instances): one PostgreSQL, one Redis
 * prefix, one master key, each with a data folder of its own, behind a round-robin proxy on
 * loopback whose URL is the issuer. A sign-in alternates between them at every request; a change
 * made through one is seen by the other within a second although their caches would keep the old
 * record for an hour; the second instance takes the deployment's admin secret instead of rotating
 * it; an instance with another master key refuses to start.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, adminToken } from '../helpers/server.js';
import { startTwoInstances, signInAlternating, clientChangeSeenByOther, within, REDIRECT, type Deployment } from '../helpers/instances.js';
import { StartupError } from '../../src/app.js';

describe('two instances sharing PostgreSQL and Redis', () => {
  let deployment: Deployment;
  let a: Deployment['a'];
  let b: Deployment['b'];

  beforeAll(async () => {
    deployment = await startTwoInstances();
    ({ a, b } = deployment);
  });
  afterAll(async () => {
    await deployment?.stop();
  });

  it('a sign-in with an SMS code alternates between the instances at every request, to the tokens and userinfo', async () => {
    await signInAlternating(deployment);
  });

  it('a client changed through one instance is seen by the other within a second', async () => {
    await clientChangeSeenByOther(deployment);
  });

  it('an upstream provider added, then disabled, through one instance shows and goes on the other within a second', async () => {
    // Straight to B (not through the proxy): its identifier page, with the interaction's cookie.
    const identifierPageOfB = async () => {
      const url = new URL('/auth', b.url);
      url.search = new URLSearchParams({ client_id: 'app', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString();
      const auth = await fetch(url, { redirect: 'manual' });
      const cookie = auth.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const page = await fetch(new URL(new URL(auth.headers.get('location')!, b.url).pathname, b.url), { headers: { cookie } });
      return page.text();
    };
    const button = /data-provider="google"/;
    expect(await identifierPageOfB()).not.toMatch(button); // B now caches a list without it
    const token = await adminToken(a);
    const put = (enabled: boolean) =>
      fetch(`${a.url}/admin/v1/providers/google`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ preset: 'google', clientId: 'google-client.apps.example', clientSecret: 'google-secret-long-enough-1234', enabled }),
      });
    expect((await put(true)).status).toBe(201);
    await within(1000, async () => button.test(await identifierPageOfB()));
    expect((await put(false)).status).toBe(200);
    await within(1000, async () => !button.test(await identifierPageOfB()));
  });

  it('keys rotated through one instance sign on the other at once', async () => {
    const token = await adminToken(b);
    const rotated = await fetch(`${b.url}/admin/v1/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const { kids } = (await rotated.json()) as { kids: string[] };
    expect(kids.length).toBeGreaterThan(0);
    const published = async () => ((await (await fetch(`${a.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    // A's own watch polls once a minute: only the announcement explains a reload within a second.
    await within(1000, async () => {
      const keys = await published();
      return kids.every((kid) => keys.includes(kid));
    });
  });

  it('the second instance, with a data folder of its own, took the deployment admin secret instead of rotating it', async () => {
    expect(b.sesam.adminCredentials.clientSecret).toBe(deployment.firstAdminSecret);
    expect(JSON.parse(fs.readFileSync(path.join(b.dataDir, 'admin-client.json'), 'utf8')).client_secret).toBe(deployment.firstAdminSecret);
    expect(await adminToken(a)).toBeTruthy();
    expect(await adminToken(b)).toBeTruthy();
  });

  it('an instance with another master key refuses to start, saying which key to set', async () => {
    const active = async () => (await a.sesam.db('signing_keys').whereNull('retired_at').select('kid')).map((r) => r.kid as string).sort();
    const keysBefore = await active();
    const start = startTestServer({ redis: true, shareWith: a, shareKey: false, env: { ISSUER: deployment.proxy.url } });
    await expect(start).rejects.toThrow(StartupError);
    await expect(start).rejects.toThrow(/set SESAM_ENCRYPTION_KEY to the first instance's key/);
    // Nothing was rotated or regenerated by the attempt.
    expect(await adminToken(a)).toBeTruthy();
    expect(await active()).toEqual(keysBefore);
  });
});
