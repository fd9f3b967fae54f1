/**
 * The portal's "Recent sign-ins" on a real Sesam (PostgreSQL + Redis): the account's sign-ins and
 * failed attempts as the journey recorded them (time on Belgian time in the user's language, app,
 * method in words, browser and system, address, outcome), newest first; only the account's own;
 * paged by a cursor of time and id that neither skips nor repeats events sharing one timestamp.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { PortalHttp, USER_AGENTS, mainText } from '../helpers/portal-http.js';
import { alertOf } from '../helpers/journey-client.js';
import { EventsRepository, formatEventCursor, parseEventCursor } from '../../src/repositories/events-repository.js';
import { ACTIVITY_PAGE_SIZE, SIGN_IN_EVENTS } from '../../portal/pages/activity.js';

const PASSWORD = 'a sentence that is long enough';

describe('portal recent sign-ins', () => {
  let server: TestServer;
  let anna: { id: string };
  let ben: { id: string };
  let annaBrowser: PortalHttp;

  beforeAll(async () => {
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      import: {
        tenants: [{ id: 'acme', name: 'Acme Titres-Services', policy: { mfa: 'off' } }],
        users: [
          { login: 'anna', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
          { login: 'ben', password: PASSWORD, mustChangePassword: false, tenants: ['acme'] },
        ],
      },
    });
    anna = await server.sesam.directory.requireUser('anna');
    ben = await server.sesam.directory.requireUser('ben');
    // A wrong password, then the right one.
    annaBrowser = new PortalHttp(server.url, USER_AGENTS.firefoxWindows);
    await annaBrowser.follow(await annaBrowser.fetch('/account'));
    await annaBrowser.post('identifier', { identifier: 'anna' });
    expect(alertOf(await annaBrowser.post('password', { password: 'not the password' }))).not.toBe('');
    const landed = await annaBrowser.post('password', { password: PASSWORD });
    expect(new URL(landed.url).pathname).toBe('/account');
    // Ben's attempts are his own.
    const benBrowser = new PortalHttp(server.url, USER_AGENTS.chromeMac);
    await benBrowser.follow(await benBrowser.fetch('/account'));
    await benBrowser.post('identifier', { identifier: 'ben' });
    await benBrowser.post('password', { password: 'ben typed this wrong' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** The entries of a page (one `<li>` each), as text. */
  const entries = (html: string) => [...html.matchAll(/<li><p><strong>([\s\S]*?)<\/li>/g)].map((m) => m[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
  const olderLink = (html: string) => /href="(\/account\/activity\?before=[^"]+)" rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

  it('lists the attempts just made, newest first, with app, method, browser and address', async () => {
    const page = await annaBrowser.page('/account/activity');
    expect(page.status).toBe(200);
    const [success, failure, ...rest] = entries(page.html);
    expect(success).toMatch(/^Signed in · .+ Application: My account · method: password Firefox 121 on Windows · address: \S+$/);
    expect(failure).toMatch(/^Failed: wrong password · .+ Application: My account · method: password Firefox 121 on Windows/);
    expect(rest).toEqual([]);
    // Ben's wrong password is not on Anna's page.
    expect(page.html).not.toContain('Chrome 125');
    expect(olderLink(page.html)).toBeUndefined();
  });

  it('says when in the user\'s language, on Belgian time', async () => {
    await server.sesam.db('events').insert({ type: 'login.success', user_id: anna.id, client_id: 'nope', method: 'passkey', ip: '192.0.2.1', at: '2026-01-15T12:00:00Z' });
    const en = mainText(await annaBrowser.page('/account/activity?lang=en'));
    expect(en).toContain('15 Jan 2026, 13:00');
    const fr = await annaBrowser.page('/account/activity?lang=fr');
    expect(mainText(fr)).toContain('15 janv. 2026, 13:00');
    expect(mainText(fr)).toContain('Connexion réussie');
    expect(mainText(fr)).toContain('méthode : clé d\'accès');
    expect(fr.html).toContain('datetime="2026-01-15T12:00:00.000Z"');
    const nl = mainText(await annaBrowser.page('/account/activity?lang=nl'));
    expect(nl).toContain('15 jan 2026, 13:00');
    await annaBrowser.page('/account/activity?lang=en');
  });

  it('words each failure and method', async () => {
    const repo = new EventsRepository(server.sesam.db);
    const base = { userId: anna.id, clientId: 'sesam-account', ip: '192.0.2.9', userAgent: USER_AGENTS.safariIphone };
    await repo.insert({ ...base, type: 'login.second_factor_failed', method: 'sms', details: { outcome: 'replayed' } });
    await repo.insert({ ...base, type: 'login.second_factor_failed', method: 'totp', details: { outcome: 'invalid' } });
    await repo.insert({ ...base, type: 'login.passkey_failed', method: 'passkey' });
    await repo.insert({ ...base, type: 'login.locked', method: 'pwd' });
    await repo.insert({ ...base, type: 'account.locked', method: 'recovery' });
    await repo.insert({ ...base, type: 'login.success', method: 'password+totp' });
    // Steps inside a journey are summed up by its success: not listed.
    await repo.insert({ ...base, type: 'login.password_ok', method: 'pwd' });
    const list = entries((await annaBrowser.page('/account/activity')).html).slice(0, 6);
    expect(list.map((e) => e.split(' · ')[0])).toEqual([
      'Signed in',
      'Failed: account locked after too many failed attempts',
      'Failed: account locked',
      'Failed: passkey not accepted',
      'Failed: wrong code',
      'Failed: code already used',
    ]);
    expect(list[0]).toContain('method: password + authenticator app');
    expect(list[0]).toContain('Safari 17 on iOS · address: 192.0.2.9');
    expect(list[4]).toContain('method: authenticator app');
    expect(list[5]).toContain('method: SMS code');
  });

  it('pages by time and id: every event once, in order, even those sharing a timestamp', async () => {
    const db = server.sesam.db;
    // 25 events in one transaction share one `at` (now()): only the id tells them apart.
    await db.transaction(async (trx) => {
      const repo = new EventsRepository(trx);
      for (let i = 0; i < 25; i++) await repo.insert({ type: 'login.wrong_password', userId: anna.id, method: 'pwd', ip: `10.0.1.${i}` });
    });
    const repo = new EventsRepository(db);
    for (let i = 0; i < 20; i++) await repo.insert({ type: 'login.success', userId: anna.id, method: 'pwd', ip: `10.0.2.${i}` });
    for (let i = 0; i < 5; i++) await repo.insert({ type: 'login.wrong_password', userId: ben.id, method: 'pwd', ip: `10.0.3.${i}` });

    const expected = (await db('events').where('user_id', anna.id).whereIn('type', SIGN_IN_EVENTS).orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).select('ip')).map((r) => r.ip ?? '—');
    expect(expected.length).toBeGreaterThan(2 * ACTIVITY_PAGE_SIZE);

    const seen: string[] = [];
    let path: string | undefined = '/account/activity';
    let pages = 0;
    while (path) {
      const page = await annaBrowser.page(path);
      expect(page.status).toBe(200);
      const list = entries(page.html);
      expect(list.length).toBeLessThanOrEqual(ACTIVITY_PAGE_SIZE);
      seen.push(...list.map((e) => /address: (\S+)$/.exec(e)?.[1] ?? '?'));
      if (pages > 0) expect(page.html).toContain('href="/account/activity">Most recent</a>');
      path = olderLink(page.html);
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(expected.length / ACTIVITY_PAGE_SIZE));
    expect(seen).toEqual(expected);
    expect(seen.filter((ip) => ip.startsWith('10.0.3.'))).toEqual([]);
  });

  it('answers a cursor that is not one with the first page, never an error', async () => {
    const first = entries((await annaBrowser.page('/account/activity')).html);
    for (const before of ['garbage', '2027-13-45T00:00:00.000000Z_5', '2026-01-15T12:00:00.000000Z_0', `2026-01-15T12:00:00.000000Z_${'9'.repeat(30)}`, "x' or 1=1 --"]) {
      const page = await annaBrowser.page(`/account/activity?${new URLSearchParams({ before })}`);
      expect(page.status).toBe(200);
      expect(entries(page.html)).toEqual(first);
    }
    expect(parseEventCursor('2026-02-30T12:00:00.000000Z_5')).toBeUndefined();
    const cursor = { at: '2026-01-15T12:00:00.123456Z', id: 42 };
    expect(parseEventCursor(formatEventCursor(cursor))).toEqual(cursor);
  });

  it('is for signed-in users only', async () => {
    const stranger = new PortalHttp(server.url, USER_AGENTS.edgeWindows);
    const res = await stranger.fetch('/account/activity');
    expect(res.status).toBe(303);
    expect(res.location).toContain('/account/login');
  });
});
