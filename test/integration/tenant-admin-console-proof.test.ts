/**
 * The console asks what the admin API asks (PostgreSQL + Redis, over HTTP): an admin who has a
 * second factor administers only from a sign-in that proved it. Their tenant does not ask for
 * two-step verification, so a plain sign-in spares the code; the console then shows no form and
 * refuses a change, and proving it again (a sign-in asking two factors) asks for the code even
 * there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
import { PortalHttp, USER_AGENTS, flashOf } from '../helpers/portal-http.js';

const PASSWORD = 'a sentence that is long enough';
const MEMBERS = '/account/admin/office/members';

describe('tenant admin console: the proof a change needs', () => {
  let server: TestServer;
  let outbox: string;

  beforeAll(async () => {
    outbox = path.join(tmpDir(), 'sms.jsonl');
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      env: { SMS_OUTBOX: outbox },
      import: {
        tenants: [{ id: 'office', name: 'Bureau Mons', policy: { mfa: 'off' } }],
        users: [
          { login: 'olive', phone: '+32470555111', password: PASSWORD, mustChangePassword: false, tenants: [{ id: 'office', role: 'admin' }] },
          { login: 'pete', password: PASSWORD, mustChangePassword: false, tenants: ['office'] },
        ],
      },
    });
    await server.sesam.db('users').where({ login: 'olive' }).update({ phone_verified_at: new Date() });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const lastCode = () => /\b(\d{6})\b/.exec(JSON.parse(fs.readFileSync(outbox, 'utf8').trim().split('\n').at(-1)!).text)![1];

  it('shows no form and refuses a change until the admin proved their second factor, then allows it', async () => {
    const b = new PortalHttp(server.issuer, USER_AGENTS.firefoxWindows);
    const landed = await b.portalSignIn('olive', PASSWORD);
    expect(new URL(landed.url).pathname).toMatch(/^\/account/);
    expect(fs.existsSync(outbox)).toBe(false); // the sign-in spared the code

    const page = await b.page(MEMBERS);
    expect(page.status).toBe(200);
    expect(page.html).toContain('second factor');
    const card = /href="(\/account\/login\?[^"]+)"/.exec(page.html)?.[1]?.replaceAll('&amp;', '&');
    expect(card).toContain('max_age=0');
    expect(card).toContain('acr=2fa');
    expect(page.html).not.toMatch(/name="login"/);

    const pete = await server.sesam.directory.requireUser('pete');
    await server.sesam.db('users').where({ id: pete.id }).update({ locked: true });
    const refused = await b.action(`${MEMBERS}/${pete.id}/unlock`, {});
    expect(refused.status).toBe(303);
    expect(refused.location).toContain('/account/login?');
    expect(refused.location).toContain('max_age=0');
    expect((await server.sesam.directory.requireUser('pete')).locked).toBe(true);

    // Proving it again (the card's link) asks for the SMS code, even in a tenant without two-step verification.
    let proof = await b.page(card!);
    if (/name="identifier"/.test(proof.html)) proof = await b.post('identifier', { identifier: 'olive' });
    proof = await b.post('password', { password: PASSWORD });
    expect(proof.html).toMatch(/second-factor/);
    if (!/autocomplete="one-time-code"/.test(proof.html)) await b.post('second-factor', { action: 'send' });
    proof = await b.post('second-factor', { action: 'verify', code: lastCode() });
    expect(new URL(proof.url).pathname).toBe(MEMBERS);
    expect(proof.html).toMatch(/name="login"/);

    const done = await b.follow(await b.action(`${MEMBERS}/${pete.id}/unlock`, {}));
    expect(flashOf(done)?.kind).toBe('success');
    expect((await server.sesam.directory.requireUser('pete')).locked).toBe(false);
  });
});
