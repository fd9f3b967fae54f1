/**
 * The portal's Security area on a real Sesam (PostgreSQL + Redis, SMS read from the SMS_OUTBOX
 * file), driven over plain HTTP as browsers and attackers would: every change needs a recent
 * sign-in (an aged one is sent to prove it again) and, once the account has a second factor, one
 * that proved it; a forged or cross-site form changes nothing; wrong current passwords count
 * toward the account's lock; a phone change is proven by a code sent to the new number, the old
 * one is told, a number that was a factor ends the other sessions; two-step verification is
 * switched off only when the user switched it on and no tenant requires it (a required set-up in
 * the sign-in records that it was required); the removal of the last factor fails closed;
 * recovery codes are shown once; passkeys are renamed and deleted only among one's own, never the
 * last way in.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tmpDir } from '../helpers/stores.js';
import { PortalHttp, USER_AGENTS, flashOf, mainText } from '../helpers/portal-http.js';
import { alertOf, type Page } from '../helpers/journey-client.js';

const PASSWORD = 'a sentence that is long enough';
const SECURITY = '/account/security';

describe('portal security area', () => {
  let server: TestServer;
  let outbox: string;

  beforeAll(async () => {
    outbox = path.join(tmpDir(), 'sms.jsonl');
    server = await startTestServer({
      backend: 'postgres',
      redis: true,
      env: { SMS_OUTBOX: outbox, SMS_RESEND_SECONDS: '10' },
      import: {
        tenants: [
          { id: 'opt', name: 'Kantoor Gent', policy: { mfa: 'optional', methods: ['sms', 'totp'] } },
          { id: 'strict', name: 'Titres-Services Bruxelles', policy: { mfa: 'required', methods: ['totp'], contact: 'helpdesk@ts-bruxelles.be' } },
          { id: 'sms', name: 'Jobs Liège', policy: { mfa: 'required', methods: ['sms'], trustedDeviceDays: 0 } },
          { id: 'offco', name: 'Fiduciaire Namur', policy: { mfa: 'off', minPasswordLength: 16 } },
        ],
        users: [
          { login: 'pat', password: PASSWORD, mustChangePassword: false, tenants: ['opt'] },
          { login: 'carl', email: 'carl@example.be', password: PASSWORD, mustChangePassword: false, tenants: ['offco'] },
          { login: 'phil', password: PASSWORD, phone: '+32470000001', mustChangePassword: false, tenants: ['offco'] },
          { login: 'vic', password: PASSWORD, phone: '+32470000002', mustChangePassword: false, tenants: ['sms'] },
          { login: 'olga', password: PASSWORD, mustChangePassword: false, tenants: ['opt'] },
          { login: 'tom', password: PASSWORD, mustChangePassword: false, tenants: ['strict'] },
          { login: 'nina', password: PASSWORD, mustChangePassword: false, tenants: ['opt'] },
          { login: 'loner', password: PASSWORD, mustChangePassword: false },
          { login: 'ada', password: PASSWORD, mustChangePassword: false },
        ],
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  // --- helpers

  const smsLines = (): { to: string; text: string }[] =>
    fs.existsSync(outbox) ? fs.readFileSync(outbox, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const lastSmsTo = (to: string) => smsLines().filter((m) => m.to === to).at(-1);
  const codeOf = (sms: { text: string } | undefined) => /\b(\d{6})\b/.exec(sms?.text ?? '')?.[1] ?? '';
  const user = (login: string) => server.sesam.db('users').where({ login }).first();
  const totp = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  /** A code of the step after now: never the step a confirmation just used. */
  const nextCode = (secret: string) => totp(secret).generate({ timestamp: Date.now() + 30_000 });
  const secretOf = (page: Page) => (/<code id="totp-secret">([^<]+)<\/code>/.exec(page.html)?.[1] ?? '').replace(/\s+/g, '');

  async function browser(ua: string = USER_AGENTS.firefoxWindows): Promise<PortalHttp> {
    return new PortalHttp(server.issuer, ua);
  }

  /** Signs in to the portal; `secondFactor` answers the code page when the sign-in asks one. */
  async function signIn(login: string, secondFactor?: () => Promise<Record<string, string>>, ua?: string): Promise<PortalHttp> {
    const b = await browser(ua);
    let page = await b.portalSignIn(login, PASSWORD);
    page = await answerSecondFactor(b, page, secondFactor);
    expect(new URL(page.url).pathname).toMatch(/^\/account/);
    return b;
  }

  async function answerSecondFactor(b: PortalHttp, page: Page, secondFactor?: () => Promise<Record<string, string>>): Promise<Page> {
    if (!/\/interaction\//.test(page.url) || !secondFactor) return page;
    const form = await secondFactor();
    if (form.method === 'sms' && !/name="code"/.test(page.html)) await b.post('second-factor', { method: 'sms', action: 'send' });
    return b.post('second-factor', { action: 'verify', ...(form.method === 'sms' ? { code: codeOf(lastSmsTo(form.phone)) } : {}), ...form });
  }

  /** Proves it again through the sign-in (max_age=0 forces a new one), with the password (not a passkey) and the second factor. */
  async function proveAgain(b: PortalHttp, login: string, secondFactor?: () => Promise<Record<string, string>>): Promise<void> {
    let page = await b.page(`/account/login?return=${SECURITY}&max_age=0`);
    if (/name="identifier"/.test(page.html)) page = await b.post('identifier', { identifier: login });
    if (/\/passkey"/.test(page.html) && /value="password"/.test(page.html)) page = await b.post('passkey', { action: 'password' });
    page = await b.post('password', { password: PASSWORD });
    page = await answerSecondFactor(b, page, secondFactor);
    expect(new URL(page.url).pathname).toBe(SECURITY);
  }

  async function ageSignIn(b: PortalHttp, seconds: number): Promise<void> {
    const id = decodeURIComponent(b.jar.get('sesam.portal') ?? '');
    const record = await server.sesam.kv.get<{ authTime: number }>(`portal:session:${id}`);
    expect(record).toBeDefined();
    await server.sesam.kv.set(`portal:session:${id}`, { ...record, authTime: record!.authTime - seconds }, 3600);
  }

  /** Sets up an authenticator app in the portal; returns its secret. */
  async function enableTotp(b: PortalHttp): Promise<string> {
    const started = await b.action(`${SECURITY}/authenticator/start`, {});
    expect(started.location).toBe(`${server.issuer}${SECURITY}/authenticator`);
    const secret = secretOf(await b.page(`${SECURITY}/authenticator`));
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const done = await b.action(`${SECURITY}/authenticator/confirm`, { code: totp(secret).generate() });
    expect(done.status).toBe(303);
    return secret;
  }

  // --- the page, and the guards every change passes

  it('shows the state of every credential, and only to a signed-in user', async () => {
    const anonymous = await browser();
    const res = await anonymous.fetch(SECURITY);
    expect(res.status).toBe(303);
    expect(res.location).toContain('/account/login');

    const b = await signIn('carl');
    const text = mainText(await b.page(SECURITY));
    expect(text).toContain('Last changed on');
    expect(text).toContain('No mobile number');
    expect(text).toContain('Off: your password alone opens your account');
    expect(text).toContain('No passkey');
    expect(text).toContain('Recovery codes come with two-step verification');
    // Under a tenant without two-step verification, it is not offered.
    expect(mainText(await b.page(`${SECURITY}/two-step`))).toContain('does not use two-step verification');
  });

  it('refuses a forged or cross-site form, and sends an old sign-in to prove it again', async () => {
    const b = await signIn('carl');
    const before = await user('carl');
    const forged = await b.action(`${SECURITY}/password`, { current: PASSWORD, new: 'carl chose another long sentence', confirm: 'carl chose another long sentence' }, { csrf: 'x'.repeat(32) });
    expect(forged.status).toBe(403);
    const crossSite = await b.action(`${SECURITY}/password`, { current: PASSWORD, new: 'carl chose another long sentence', confirm: 'carl chose another long sentence' }, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    expect((await user('carl')).password_hash).toBe(before.password_hash);

    await ageSignIn(b, 420);
    const old = await b.action(`${SECURITY}/password`, { current: PASSWORD, new: 'carl chose another long sentence', confirm: 'carl chose another long sentence' });
    expect(old.status).toBe(303);
    expect(new URL(old.location!).pathname).toBe('/account/login');
    expect(new URL(old.location!).searchParams.get('max_age')).toBe('300');
    expect((await user('carl')).password_hash).toBe(before.password_hash);
    // The page says why, with the way to prove it again, instead of the form.
    const page = await b.page(`${SECURITY}/password`);
    expect(page.html).not.toContain('autocomplete="current-password"');
    expect(page.html).toContain('max_age=300');
    // Proving it again makes the change possible.
    await proveAgain(b, 'carl');
    expect((await b.page(`${SECURITY}/password`)).html).toContain('autocomplete="current-password"');
  });

  // --- password

  it('counts wrong current passwords toward the lock: a stolen session is no guessing oracle', async () => {
    const b = await signIn('pat');
    const wrong = (n: number) => b.action(`${SECURITY}/password`, { current: `not the password ${n}`, new: 'pat chose a long sentence', confirm: 'pat chose a long sentence' });
    const first = await wrong(1);
    expect(first.status).toBe(400);
    expect(alertOf(first)).toContain('current password is not right');
    expect((await user('pat')).failed_attempts).toBe(1);
    await wrong(2);
    const third = await wrong(3);
    expect(alertOf(third)).toContain('locked');
    expect((await user('pat')).locked).toBe(true);
    // Locked: even the right password changes nothing now.
    const right = await b.action(`${SECURITY}/password`, { current: PASSWORD, new: 'pat chose a long sentence', confirm: 'pat chose a long sentence' });
    expect(right.status).toBe(303);
    expect(flashOf(await b.page(SECURITY))?.text).toContain('locked');
    const events = await server.sesam.events.list({ userId: (await user('pat')).id, type: 'login.wrong_password' });
    expect(events).toHaveLength(3);
  });

  it('changes the password under the strictest tenant policy, ending the other sessions but this one', async () => {
    const here = await signIn('carl', undefined, USER_AGENTS.chromeMac);
    const elsewhere = await signIn('carl', undefined, USER_AGENTS.safariIphone);
    // offco asks for 16 characters at least; mismatches are said before anything is checked.
    const short = await here.action(`${SECURITY}/password`, { current: PASSWORD, new: 'fifteen chars!!', confirm: 'fifteen chars!!' });
    expect(alertOf(short)).toContain('at least 16 characters');
    const mismatch = await here.action(`${SECURITY}/password`, { current: PASSWORD, new: 'carl chose a long sentence', confirm: 'carl chose another one' });
    expect(alertOf(mismatch)).toContain('not the same');
    expect((await user('carl')).failed_attempts).toBe(0);

    const ok = await here.action(`${SECURITY}/password`, { current: PASSWORD, new: 'carl chose a long sentence', confirm: 'carl chose a long sentence' });
    expect(ok.status).toBe(303);
    expect(flashOf(await here.page(SECURITY))?.text).toContain('Your password was changed');
    expect(await here.signedIn()).toBe(true);
    expect(await elsewhere.signedIn()).toBe(false);
    const ended = await server.sesam.events.list({ userId: (await user('carl')).id, type: 'account.sessions_ended' });
    expect(ended[0]?.details).toMatchObject({ reason: 'password_changed' });
    // Back to the password the other tests use.
    await server.sesam.db('users').where({ login: 'carl' }).update({ password_hash: (await user('pat')).password_hash });
  });

  // --- phone

  it('changes a phone number once a code sent to the new one is typed, and tells the old one', async () => {
    const b = await signIn('phil');
    const other = await signIn('phil', undefined, USER_AGENTS.edgeWindows);
    const invalid = await b.action(`${SECURITY}/phone/send`, { phone: '02 123 45 67' });
    expect(invalid.status).toBe(400);
    expect(alertOf(invalid)).toContain('not a Belgian mobile number');

    const sent = await b.action(`${SECURITY}/phone/send`, { phone: '0470 00 00 11' });
    expect(sent.status).toBe(303);
    const code = codeOf(lastSmsTo('+32470000011'));
    expect(code).toMatch(/^\d{6}$/);
    const codePage = await b.page(`${SECURITY}/phone`);
    expect(codePage.html).toContain('autocomplete="one-time-code"');
    expect(codePage.html).toContain('id="countdown"');
    expect(codePage.html).toContain('id="resend"');
    // Asking again at once: the cooldown answers, no SMS goes.
    const count = smsLines().length;
    const again = await b.action(`${SECURITY}/phone/resend`, {});
    expect(again.status).toBe(429);
    expect(smsLines()).toHaveLength(count);

    const wrong = await b.action(`${SECURITY}/phone/verify`, { code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect((await user('phil')).phone).toBe('+32470000001');

    const right = await b.action(`${SECURITY}/phone/verify`, { code });
    expect(right.status).toBe(303);
    const after = await user('phil');
    expect(after.phone).toBe('+32470000011');
    // Not a second factor before: not one now either (its tenant does not use them).
    expect(after.phone_verified_at).toBeNull();
    const notice = lastSmsTo('+32470000001');
    expect(notice?.text).toContain('ending in 11');
    // The old number was no factor: the other browser stays signed in.
    expect(await other.signedIn()).toBe(true);
    // The code was single use.
    const replay = await b.action(`${SECURITY}/phone/verify`, { code });
    expect(replay.status).toBe(303);
    expect(replay.location).toBe(`${server.issuer}${SECURITY}/phone`);
  });

  it('ends a phone change after five wrong codes', async () => {
    const b = await signIn('loner');
    await b.action(`${SECURITY}/phone/send`, { phone: '0470 00 00 21' });
    const code = codeOf(lastSmsTo('+32470000021'));
    const wrongCode = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) expect((await b.action(`${SECURITY}/phone/verify`, { code: wrongCode })).status).toBe(400);
    const fifth = await b.action(`${SECURITY}/phone/verify`, { code: wrongCode });
    expect(fifth.status).toBe(429);
    expect(alertOf(fifth)).toContain('Too many wrong codes');
    // The right code no longer helps in this session.
    await b.action(`${SECURITY}/phone/verify`, { code });
    expect((await user('loner')).phone).toBeNull();
    expect((await user('loner')).second_factor_failures).toBe(5);
  });

  it('a code sent on a recent sign-in still finishes once it aged; a new change asks to prove it again', async () => {
    const b = await signIn('ada');
    await b.action(`${SECURITY}/phone/send`, { phone: '0470 00 00 31' });
    await ageSignIn(b, 420);
    expect((await b.page(`${SECURITY}/phone`)).html).toContain('autocomplete="one-time-code"');
    const done = await b.action(`${SECURITY}/phone/verify`, { code: codeOf(lastSmsTo('+32470000031')) });
    expect(done.location).toBe(`${server.issuer}${SECURITY}`);
    expect((await user('ada')).phone).toBe('+32470000031');
    const next = await b.action(`${SECURITY}/phone/send`, { phone: '0470 00 00 32' });
    expect(new URL(next.location!).pathname).toBe('/account/login');
    expect(lastSmsTo('+32470000032')).toBeUndefined();
    expect((await b.page(`${SECURITY}/phone`)).html).toContain('max_age=300');
  });

  it('a number that was a second factor: proven by SMS at sign-in, replaced, the other sessions end', async () => {
    await server.sesam.db('users').where({ login: 'vic' }).update({ phone_verified_at: new Date(), mfa_enabled_by: 'required' });
    const viaSms = async () => ({ method: 'sms', phone: '+32470000002' });
    const b = await signIn('vic', viaSms);
    const other = await signIn('vic', viaSms, USER_AGENTS.edgeWindows);
    expect(mainText(await b.page(SECURITY))).toContain('used for the codes of two-step verification');
    await b.action(`${SECURITY}/phone/send`, { phone: '+32 470 00 00 12' });
    const right = await b.action(`${SECURITY}/phone/verify`, { code: codeOf(lastSmsTo('+32470000012')) });
    expect(right.status).toBe(303);
    const after = await user('vic');
    expect(after.phone).toBe('+32470000012');
    expect(after.phone_verified_at).not.toBeNull();
    expect(lastSmsTo('+32470000002')?.text).toContain('replaced');
    expect(await b.signedIn()).toBe(true);
    expect(await other.signedIn()).toBe(false);
    const changed = await server.sesam.events.list({ userId: after.id, type: 'account.phone_changed' });
    expect(changed[0]?.details).toMatchObject({ wasFactor: true, isFactor: true, by: 'user' });
  });

  // --- two-step verification

  it('switched on by the user under an optional tenant: shown once, then switched off', async () => {
    const b = await signIn('olga');
    const other = await signIn('olga', undefined, USER_AGENTS.safariIphone);
    expect(mainText(await b.page(`${SECURITY}/two-step`))).toContain('How do you want to receive your codes?');
    const started = await b.action(`${SECURITY}/authenticator/start`, {});
    expect(started.status).toBe(303);
    const setup = await b.page(`${SECURITY}/authenticator`);
    expect(setup.html).toMatch(/href="otpauth:\/\/totp\/[^"]+"/);
    expect(setup.html).toContain('src="data:image/png;base64,');
    const secret = secretOf(setup);
    const wrong = await b.action(`${SECURITY}/authenticator/confirm`, { code: '000000' === totp(secret).generate() ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    const done = await b.action(`${SECURITY}/authenticator/confirm`, { code: totp(secret).generate() });
    expect(done.location).toBe(`${server.issuer}${SECURITY}/recovery-codes/show`);
    const shown = await b.page(`${SECURITY}/recovery-codes/show`);
    expect(shown.html.match(/<li><code>[a-z2-7]{5}-[a-z2-7]{5}<\/code><\/li>/g)).toHaveLength(10);
    // A reload shows nothing again.
    const reload = await b.fetch(`${SECURITY}/recovery-codes/show`);
    expect(reload.status).toBe(303);
    expect((await user('olga')).mfa_enabled_by).toBe('user');

    // Signed in with the password only: switching off needs the second factor proven.
    const weak = await b.action(`${SECURITY}/two-step/off`, {});
    expect(new URL(weak.location!).searchParams.get('max_age')).toBe('0');
    expect((await user('olga')).mfa_enabled_by).toBe('user');
    await proveAgain(b, 'olga', async () => ({ method: 'totp', code: nextCode(secret) }));

    // New recovery codes replace the old ones, shown once.
    const regenerated = await b.action(`${SECURITY}/recovery-codes/new`, {});
    expect(regenerated.location).toBe(`${server.issuer}${SECURITY}/recovery-codes/show`);
    expect((await b.page(`${SECURITY}/recovery-codes/show`)).html).toContain('<ul class="codes">');

    const off = await b.action(`${SECURITY}/two-step/off`, {});
    expect(off.location).toBe(`${server.issuer}${SECURITY}`);
    const after = await user('olga');
    expect(after.mfa_enabled_by).toBeNull();
    expect(await server.sesam.db('totp_factors').where({ user_id: after.id }).first()).toBeUndefined();
    expect(Number((await server.sesam.db('recovery_codes').where({ user_id: after.id }).count({ n: '*' }))[0].n)).toBe(0);
    expect(await b.signedIn()).toBe(true);
    expect(await other.signedIn()).toBe(false);
    const disabled = await server.sesam.events.list({ userId: after.id, type: 'mfa.disabled' });
    expect(disabled[0]?.details).toMatchObject({ totp: true, by: 'user', enabledBy: 'user' });
  });

  it('set up because the tenant required it: never switched off, its last factor never removed', async () => {
    // The sign-in's required set-up (enroll-second-factor) records who asked for it.
    const b = await browser();
    let page = await b.portalSignIn('tom', PASSWORD);
    const secret = secretOf(page);
    expect(secret).toMatch(/^[A-Z2-7]+$/);
    page = await b.post('enroll-second-factor', { action: 'code', code: totp(secret).generate() });
    page = await b.post('recovery-codes', {});
    expect(new URL(page.url).pathname).toBe('/account');
    expect((await user('tom')).mfa_enabled_by).toBe('required');

    const text = mainText(await b.page(`${SECURITY}/two-step`));
    expect(text).toContain('Titres-Services Bruxelles requires two-step verification');
    expect(text).toContain('helpdesk@ts-bruxelles.be');
    expect((await b.page(`${SECURITY}/two-step`)).html).not.toContain('/two-step/off');

    const off = await b.action(`${SECURITY}/two-step/off`, {});
    expect(off.location).toBe(`${server.issuer}${SECURITY}/two-step`);
    expect(flashOf(await b.page(`${SECURITY}/two-step`))?.text).toContain('helpdesk@ts-bruxelles.be');
    const remove = await b.action(`${SECURITY}/authenticator/remove`, {});
    expect(remove.location).toBe(`${server.issuer}${SECURITY}/authenticator`);
    const after = await user('tom');
    expect(await server.sesam.db('totp_factors').where({ user_id: after.id }).first()).toBeDefined();
    expect(after.mfa_enabled_by).toBe('required');
    expect(await server.sesam.events.list({ userId: after.id, type: 'mfa.disabled' })).toHaveLength(0);

    // Even had Tom switched it on himself, the tenant's requirement keeps it on (fail closed).
    await server.sesam.db('users').where({ id: after.id }).update({ mfa_enabled_by: 'user' });
    await b.action(`${SECURITY}/two-step/off`, {});
    await b.action(`${SECURITY}/authenticator/remove`, {});
    expect(await server.sesam.db('totp_factors').where({ user_id: after.id }).first()).toBeDefined();
    expect((await user('tom')).mfa_enabled_by).toBe('user');
  });

  // --- passkeys

  it('renames and deletes only its own passkeys, and never the last way in', async () => {
    const nina = await user('nina');
    const pat = await user('pat');
    const row = (userId: string, name: string) => ({
      id: crypto.randomUUID(),
      user_id: userId,
      credential_id: crypto.randomBytes(16).toString('base64url'),
      public_key: crypto.randomBytes(32).toString('base64url'),
      counter: 0,
      transports: JSON.stringify(['internal']),
      device_type: 'multiDevice',
      backed_up: true,
      name,
    });
    const [mine1, mine2, theirs] = [row(nina.id, 'Laptop'), row(nina.id, 'Phone'), row(pat.id, 'Pat’s phone')];
    const b = await signIn('nina');
    await server.sesam.db('passkeys').insert([mine1, mine2, theirs]);

    // With passkeys, changes need a sign-in that proved two factors: Nina proves it again with a code.
    const secretless = await b.action(`${SECURITY}/passkeys/rename`, { id: mine1.id, name: 'Work laptop' });
    expect(new URL(secretless.location!).searchParams.get('max_age')).toBe('0');
    await server.sesam.db('passkeys').where({ user_id: nina.id }).delete();
    const secret = await enableTotp(b);
    await server.sesam.db('passkeys').insert([mine1, mine2]);
    await proveAgain(b, 'nina', async () => ({ method: 'totp', code: nextCode(secret) }));

    const list = mainText(await b.page(`${SECURITY}/passkeys`));
    expect(list).toContain('Laptop');
    expect(list).toContain('Synced across your devices');
    expect(list).not.toContain('Pat’s phone');

    expect((await b.action(`${SECURITY}/passkeys/rename`, { id: mine1.id, name: '  Work   laptop ' })).status).toBe(303);
    expect((await server.sesam.db('passkeys').where({ id: mine1.id }).first()).name).toBe('Work laptop');
    await b.action(`${SECURITY}/passkeys/rename`, { id: theirs.id, name: 'Stolen' });
    expect(flashOf(await b.page(`${SECURITY}/passkeys`))?.text).toContain('does not exist on your account');
    await b.action(`${SECURITY}/passkeys/delete`, { id: theirs.id });
    expect((await server.sesam.db('passkeys').where({ id: theirs.id }).first()).name).toBe('Pat’s phone');

    // Without a password, the last passkey stays.
    await server.sesam.db('users').where({ id: nina.id }).update({ password_hash: null });
    expect((await b.action(`${SECURITY}/passkeys/delete`, { id: mine2.id })).status).toBe(303);
    expect(flashOf(await b.page(`${SECURITY}/passkeys`))?.kind).toBe('success');
    await b.action(`${SECURITY}/passkeys/delete`, { id: mine1.id });
    expect(flashOf(await b.page(`${SECURITY}/passkeys`))?.text).toContain('only way to sign in');
    expect(await server.sesam.db('passkeys').where({ user_id: nina.id }).select('id')).toEqual([{ id: mine1.id }]);
    await server.sesam.db('users').where({ id: nina.id }).update({ password_hash: pat.password_hash });
  });
});
