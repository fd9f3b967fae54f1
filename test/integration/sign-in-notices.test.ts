/**
 * Notices beside the sign-in (seed 004: the warning about fraudulent mails and text messages), on
 * PostgreSQL + Redis: set for a tenant (its policy) and for an app (its registration) through the
 * import file, the admin API and the CLI; shown on the identifier, password and passkey pages in
 * the page's language (else English, else any given), escaped, in a labelled `aside`. The CLI
 * part needs `npm run build` first.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminToken, startTestServer, type TestServer } from '../helpers/server.js';
import { relyingParty } from '../helpers/browser.js';
import { JourneyClient, titleOf, type Page } from '../helpers/journey-client.js';
import { operatorEnv, runSesam } from '../helpers/cli.js';
import { PasskeysRepository } from '../../src/repositories/passkeys-repository.js';
import { importFileSchema } from '../../src/domain/schemas.js';
import { noticeIn } from '../../src/model/notice.js';

const PASSWORD = 'a sentence that is long enough';
const SECRET = 'notice-app-secret-0123456789abcdef-0123456';
const REDIRECT = 'http://localhost:4998/cb';
const SCAM_FR = 'Attention aux arnaques ! Ne payez jamais via un lien reçu par SMS.';
const SCAM_EN = 'Beware of scams! Never pay through a link received by text message.';
const APP_NL = 'De app is zondag van 8 tot 10 uur onbereikbaar.';

const IMPORT = {
  tenants: [
    { id: 'acme', name: 'Acme Titres-Services', policy: { notice: { fr: SCAM_FR, en: SCAM_EN } } },
    { id: 'beta', name: 'Fiduciaire Beta', policy: { notice: { en: 'Mind <img src=x onerror=alert(1)> & "quotes"\n\nSecond paragraph.' } } },
    { id: 'gamma', name: 'Gamma' },
  ],
  users: [
    { login: 'anna', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
    { login: 'piet', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
  ],
  clients: [
    { client_id: 'jobtracker', client_secret: SECRET, client_name: 'Job Tracker', redirect_uris: [REDIRECT], tenants: ['acme'], first_party: true, notice: { nl: APP_NL } },
    { client_id: 'openapp', client_secret: SECRET, redirect_uris: [REDIRECT], first_party: true },
    // Several languages: the database may keep their keys in another order than the file.
    { client_id: 'kiosk', client_secret: SECRET, redirect_uris: [REDIRECT], notice: { fr: 'Bonjour', en: 'Hello', de: 'Hallo' } },
  ],
};

/** The notices `aside` of a page: its label and its paragraphs (with their lang), or undefined. */
function noticesOf(page: Page): { label: string; paragraphs: { lang?: string; html: string }[] } | undefined {
  const m = /<aside class="sign-in-notice" aria-label="([^"]*)">([\s\S]*?)<\/aside>/.exec(page.html);
  if (!m) return undefined;
  const paragraphs = [...m[2].matchAll(/<p(?: lang="(\w+)")?>([\s\S]*?)<\/p>/g)].map((p) => ({ lang: p[1], html: p[2] }));
  return { label: m[1], paragraphs };
}

describe('notices beside the sign-in', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', redis: true, import: IMPORT });
    token = await adminToken(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const journey = async (clientId: string) => new JourneyClient(server.url, await relyingParty(server.issuer, clientId, SECRET, REDIRECT));

  describe('on the pages', () => {
    it("shows the tenant's and the app's notices on the identifier page, in the page's language or the nearest one given", async () => {
      const fr = await (await journey('jobtracker')).start({ ui_locales: 'fr' });
      expect(titleOf(fr)).toBe('Connexion');
      expect(noticesOf(fr)).toEqual({
        label: 'Avis important',
        // The tenant's own French; the app gave Dutch only: shown as Dutch, marked so.
        paragraphs: [{ html: SCAM_FR }, { lang: 'nl', html: APP_NL }],
      });
      const de = await (await journey('jobtracker')).start({ ui_locales: 'de' });
      expect(noticesOf(de)).toEqual({ label: 'Wichtiger Hinweis', paragraphs: [{ lang: 'en', html: SCAM_EN }, { lang: 'nl', html: APP_NL }] });
      const nl = await (await journey('jobtracker')).start({ ui_locales: 'nl' });
      expect(noticesOf(nl)?.paragraphs).toEqual([{ lang: 'en', html: SCAM_EN }, { html: APP_NL }]);
    });

    it('shows it on the password page too, and escapes it (plain text, a blank line makes a paragraph)', async () => {
      const client = await journey('openapp');
      await client.start({ ui_locales: 'en', organization: 'beta' });
      const page = await client.post('identifier', { identifier: 'anna' });
      expect(titleOf(page)).toBe('Enter your password');
      const notices = noticesOf(page)!;
      expect(notices.label).toBe('Important notice');
      expect(notices.paragraphs).toEqual([{ html: 'Mind &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;' }, { html: 'Second paragraph.' }]);
      expect(page.html).not.toContain('<img src=x');
    });

    it('shows it on the passkey page', async () => {
      const user = await server.sesam.directory.requireUser('piet');
      await new PasskeysRepository(server.sesam.db).insert({
        id: crypto.randomUUID(),
        userId: user.id,
        credentialId: crypto.randomBytes(16).toString('base64url'),
        publicKey: crypto.randomBytes(32).toString('base64url'),
        counter: 0,
        transports: ['internal'],
        aaguid: null,
        deviceType: 'multiDevice',
        backedUp: true,
        name: 'Phone',
      });
      const client = await journey('jobtracker');
      await client.start({ ui_locales: 'en' });
      const page = await client.post('identifier', { identifier: 'piet', webauthn: 'platform' });
      expect(titleOf(page)).toBe('Sign in with your passkey');
      expect(noticesOf(page)?.paragraphs[0]).toEqual({ html: SCAM_EN });
    });

    it("shows none when neither the app nor the request's tenant has one; a tenant the app does not serve is not taken", async () => {
      expect(noticesOf(await (await journey('openapp')).start({ ui_locales: 'en' }))).toBeUndefined();
      expect(noticesOf(await (await journey('openapp')).start({ organization: 'gamma' }))).toBeUndefined();
      // jobtracker serves acme only: organization=beta is ignored, acme's notice shows.
      const page = await (await journey('jobtracker')).start({ ui_locales: 'en', organization: 'beta' });
      expect(noticesOf(page)?.paragraphs.map((p) => p.html)).toEqual([SCAM_EN, APP_NL]);
    });
  });

  describe('set by operators', () => {
    it('applies the same import file again without a change (notices included)', async () => {
      const again = await server.sesam.directory.applyImport(importFileSchema.parse(IMPORT));
      expect(again).toEqual({ tenants: 0, usersCreated: 0, usersUpdated: 0, clients: 0, providers: 0 });
    });

    it('keeps a notice through the tenant policy API, refuses a bad one, and removes it with null', async () => {
      const set = await admin('PATCH', '/tenants/gamma/policy', { notice: { de: 'Achtung Betrug!' } });
      expect(set.status).toBe(200);
      expect(((await set.json()) as { policy: { notice: unknown } }).policy.notice).toEqual({ de: 'Achtung Betrug!' });
      const page = await (await journey('openapp')).start({ ui_locales: 'fr', organization: 'gamma' });
      expect(noticesOf(page)?.paragraphs).toEqual([{ lang: 'de', html: 'Achtung Betrug!' }]);

      for (const bad of [{ fr: 'x'.repeat(501) }, { es: '¡Cuidado!' }, {}, { en: '   ' }, 'Beware']) {
        const res = await admin('PATCH', '/tenants/gamma/policy', { notice: bad });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error_description: string }).error_description).toMatch(/^policy\.notice/);
      }
      const cleared = await admin('PATCH', '/tenants/gamma/policy', { notice: null });
      expect(((await cleared.json()) as { policy: { notice: unknown } }).policy.notice).toBeNull();
      // Tenant policies are cached for a few seconds: read the stored one.
      expect((await server.sesam.directory.requireTenant('gamma')).policy.notice).toBeNull();
    });

    it("sets and removes an app's notice, which never reaches the engine's client metadata", async () => {
      const set = await admin('PUT', '/clients/openapp/notice', { en: 'Maintenance on Sunday.' });
      expect(set.status).toBe(200);
      const view = (await set.json()) as Record<string, unknown>;
      expect(view).toMatchObject({ client_id: 'openapp', notice: { en: 'Maintenance on Sunday.' }, first_party: true });
      expect(view.client_secret).toBeUndefined();
      const stored = await server.sesam.directory.clients.find('openapp');
      expect(stored?.metadata).not.toHaveProperty('notice');
      // The secret survived the change: the app still gets tokens.
      expect(stored?.metadata.client_secret).toBe(SECRET);

      // A registration or an import that does not mention the notice keeps it.
      expect((await admin('PUT', '/clients/openapp', { client_secret: SECRET, redirect_uris: [REDIRECT], first_party: true })).status).toBe(200);
      expect(await server.sesam.directory.applyImport(importFileSchema.parse(IMPORT))).toMatchObject({ clients: 0 });
      expect((await server.sesam.directory.clients.find('openapp'))?.notice).toEqual({ en: 'Maintenance on Sunday.' });

      expect((await admin('PUT', '/clients/openapp/notice', { en: 'x'.repeat(501) })).status).toBe(400);
      expect((await admin('PUT', '/clients/nobody/notice', { en: 'Hello' })).status).toBe(404);
      const removed = await admin('DELETE', '/clients/openapp/notice');
      expect(((await removed.json()) as { notice: unknown }).notice).toBeNull();
      const created = await admin('POST', '/clients', { client_id: 'withnotice', redirect_uris: [REDIRECT], notice: { fr: 'Bonjour' } });
      expect(created.status).toBe(201);
      expect(((await created.json()) as { notice: unknown }).notice).toEqual({ fr: 'Bonjour' });
    });

    it('documents the notices in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${server.url}/admin/openapi.json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
        components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      };
      expect(Object.keys(doc.paths[`/admin/v1/clients/{id}/notice`] ?? {})).toEqual(expect.arrayContaining(['put', 'delete']));
      expect(doc.components.schemas.Client.properties).toHaveProperty('notice');
      expect(doc.components.schemas.Client.properties).toHaveProperty('application_type');
      expect(doc.components.schemas.TenantPolicy.properties).toHaveProperty('notice');
    });

    it('sets them with the CLI', async () => {
      const env = operatorEnv(server);
      const created = await runSesam(
        ['clients', 'create', 'be.cli.app', '--application-type', 'native', '--redirect-uri', 'be.cli.app:/callback', '--notice', '{"nl":"Let op oplichting!"}', '--json'],
        env,
      );
      expect(created).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(created.stdout)).toMatchObject({ client_id: 'be.cli.app', application_type: 'native', token_endpoint_auth_method: 'none', notice: { nl: 'Let op oplichting!' } });
      const set = await runSesam(['clients', 'set-notice', 'be.cli.app', '{"en":"Beware of scams!"}'], env);
      expect(set).toMatchObject({ code: 0, stdout: 'set the notice of client be.cli.app\n' });
      expect((await server.sesam.directory.clients.find('be.cli.app'))?.notice).toEqual({ en: 'Beware of scams!' });
      const removed = await runSesam(['clients', 'set-notice', 'be.cli.app', 'none'], env);
      expect(removed).toMatchObject({ code: 0, stdout: 'removed the notice of client be.cli.app\n' });
      const bad = await runSesam(['clients', 'set-notice', 'be.cli.app', '{"en":""}'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/notice\.en/);
      const tenant = await runSesam(['tenants', 'set-policy', 'gamma', '{"notice":{"fr":"Attention !"}}', '--json'], env);
      expect(JSON.parse(tenant.stdout).policy.notice).toEqual({ fr: 'Attention !' });
    });
  });

  it('picks the language: the page’s, else English, else the first given', () => {
    expect(noticeIn({ fr: 'a', en: 'b' }, 'fr')).toEqual({ text: 'a', lang: 'fr' });
    expect(noticeIn({ fr: 'a', en: 'b' }, 'nl')).toEqual({ text: 'b', lang: 'en' });
    expect(noticeIn({ de: 'c', nl: 'd' }, 'fr')).toEqual({ text: 'd', lang: 'nl' });
    expect(noticeIn(null, 'fr')).toBeUndefined();
  });
});
