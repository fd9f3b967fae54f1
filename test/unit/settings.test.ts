import os from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { loadSettings, SettingsError } from '../../config/settings.js';

describe('settings', () => {
  it('applies the documented defaults', () => {
    const s = loadSettings({});
    expect(s.port).toBe(3000);
    expect(s.issuer).toBe('http://localhost:3000');
    expect(s.databaseUrl).toBeUndefined();
    expect(s.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(s.dynamicRegistration).toBe('off');
    expect(loadSettings({ DYNAMIC_REGISTRATION: 'initial-access-token' }).dynamicRegistration).toBe('initial-access-token');
  });

  it('derives the issuer from the port', () => {
    expect(loadSettings({ PORT: '4100' }).issuer).toBe('http://localhost:4100');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['ISSUER', 'not a url'],
    ['SESAM_ENCRYPTION_KEY', 'short'],
    ['ARGON2_MEMORY_KIB', '1024'],
    ['ARGON2_CONCURRENCY', '0'],
    ['REDIS_KEY_PREFIX', 'has spaces'],
    ['SMS_CODE_TTL_SECONDS', '900'],
    ['SESAM_ADMIN_CLIENT_SECRET', 'tooshort'],
    ['WEBAUTHN_RP_ID', '127.0.0.1'],
    ['WEBAUTHN_RP_ID', 'https://sesam.example'],
    ['WEBAUTHN_RP_ID', 'sesam.example:3000'],
    ['WEBAUTHN_ORIGINS', 'ftp://localhost:3000'],
    ['WEBAUTHN_ORIGINS', 'http://localhost:3000/login'],
    ['WEBAUTHN_ORIGINS', 'http://localhost:3000,not an origin'],
    ['WEBAUTHN_RP_NAME', 'x'.repeat(65)],
    ['PASSKEY_OFFER_SKIP_DAYS', '0'],
    ['PASSKEY_OFFER_SKIP_DAYS', '401'],
    // Registration is never open: only with an initial access token, or off.
    ['DYNAMIC_REGISTRATION', 'open'],
  ])('refuses a bad %s with one line naming it', (name, value) => {
    let error: unknown;
    try {
      loadSettings({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const message = (error as Error).message;
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('refuses the console SMS transport by default with an https issuer, not when chosen', () => {
    let error: unknown;
    try {
      loadSettings({ ISSUER: 'https://sesam.example' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).setting).toBe('SMS_TRANSPORT');
    expect((error as Error).message).toMatch(/^Invalid setting SMS_TRANSPORT: .*log/);
    expect((error as Error).message).not.toContain('\n');
    expect(() => loadSettings({ ISSUER: 'HTTPS://sesam.example' })).toThrow(SettingsError);
    // chosen on purpose, or another transport: fine
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'console', MAIL_TRANSPORT: 'console' }).sms.transport).toBe('console');
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_OUTBOX: '/tmp/sms.jsonl', MAIL_TRANSPORT: 'console' }).sms.transport).toBe('outbox');
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'http', SMS_HTTP_URL: 'https://sms.example/send', MAIL_TRANSPORT: 'console' }).sms.transport).toBe('http');
    // an http issuer (development) keeps the console default
    expect(loadSettings({}).sms.transport).toBe('console');
  });

  it('derives the WebAuthn relying party from the issuer', () => {
    expect(loadSettings({}).webauthn).toEqual({ rpId: 'localhost', rpName: 'Sesam', origins: ['http://localhost:3000'], offerSkipDays: 30 });
    const s = loadSettings({ ISSUER: 'https://login.acme.be/sesam/', SMS_TRANSPORT: 'console', MAIL_TRANSPORT: 'console' });
    expect(s.webauthn).toMatchObject({ rpId: 'login.acme.be', origins: ['https://login.acme.be'] });
    // An IP issuer (tests on 127.0.0.1) starts; passkeys just do not work there.
    expect(loadSettings({ ISSUER: 'http://127.0.0.1:4000' }).webauthn).toMatchObject({ rpId: '127.0.0.1', origins: ['http://127.0.0.1:4000'] });
  });

  it('takes an RP ID that is the host or a registrable suffix of every origin', () => {
    const s = loadSettings({
      ISSUER: 'https://login.acme.be',
      SMS_TRANSPORT: 'console',
      MAIL_TRANSPORT: 'console',
      WEBAUTHN_RP_ID: 'ACME.be',
      WEBAUTHN_RP_NAME: ' Acme ',
      WEBAUTHN_ORIGINS: 'https://login.acme.be, https://portal.acme.be/ ,https://acme.be',
      PASSKEY_OFFER_SKIP_DAYS: '90',
    });
    expect(s.webauthn).toEqual({ rpId: 'acme.be', rpName: 'Acme', origins: ['https://login.acme.be', 'https://portal.acme.be', 'https://acme.be'], offerSkipDays: 90 });
    expect(loadSettings({ PORT: '4000', WEBAUTHN_ORIGINS: 'http://localhost:4000,http://localhost:5173' }).webauthn.origins).toEqual(['http://localhost:4000', 'http://localhost:5173']);
  });

  it.each([
    [{ ISSUER: 'https://login.acme.be', WEBAUTHN_RP_ID: 'other.be' }, 'WEBAUTHN_RP_ID'],
    [{ ISSUER: 'https://login.acme.be', WEBAUTHN_RP_ID: 'be' }, 'WEBAUTHN_RP_ID'], // a public suffix
    [{ ISSUER: 'https://acme.github.io', WEBAUTHN_RP_ID: 'github.io' }, 'WEBAUTHN_RP_ID'], // a private public suffix
    [{ ISSUER: 'https://login.acme.be', WEBAUTHN_RP_ID: 'login.acme.be', WEBAUTHN_ORIGINS: 'https://login.acme.be,https://acme.be' }, 'WEBAUTHN_RP_ID'],
    [{ ISSUER: 'https://login.acme.be', WEBAUTHN_ORIGINS: 'https://portal.acme.be' }, 'WEBAUTHN_ORIGINS'],
    [{ ISSUER: 'https://login.acme.be', WEBAUTHN_RP_ID: 'cme.be' }, 'WEBAUTHN_RP_ID'], // a suffix of the string, not of the domain
  ])('refuses an RP ID that cannot serve every origin: %j', (env, setting) => {
    let error: unknown;
    try {
      loadSettings({ SMS_TRANSPORT: 'console', MAIL_TRANSPORT: 'console', ...env });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).setting).toBe(setting);
    expect((error as Error).message).toMatch(/registrable domain suffix/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never echoes a secret in the message', () => {
    expect(() => loadSettings({ SESAM_ADMIN_CLIENT_SECRET: 'tooshort' })).toThrow(/<redacted>/);
  });

  it('takes a METRICS_TOKEN of 32 characters or more, never echoing a short one', () => {
    expect(loadSettings({}).metricsToken).toBeUndefined();
    expect(loadSettings({ METRICS_TOKEN: 'm'.repeat(32) }).metricsToken).toBe('m'.repeat(32));
    expect(() => loadSettings({ METRICS_TOKEN: 'short-metrics-token' })).toThrow(/^Invalid setting METRICS_TOKEN: .*<redacted>/);
    expect(() => loadSettings({ METRICS_TOKEN: 'short-metrics-token' })).not.toThrow(/short-metrics-token/);
  });

  it('reads DATABASE_POOL_MAX: 10 by default, 1 to 500', () => {
    expect(loadSettings({}).databasePoolMax).toBe(10);
    expect(loadSettings({ DATABASE_POOL_MAX: '4' }).databasePoolMax).toBe(4);
    for (const bad of ['0', '501', 'many']) expect(() => loadSettings({ DATABASE_POOL_MAX: bad })).toThrow(/^Invalid setting DATABASE_POOL_MAX/);
  });

  it('reads SESAM_WORKERS: one by default, a count or auto, and several only on PostgreSQL', () => {
    const pg = { DATABASE_URL: 'postgres://sesam@db.example/sesam' };
    expect(loadSettings({}).workers).toBe(1);
    expect(loadSettings({ SESAM_WORKERS: '1' }).workers).toBe(1);
    expect(loadSettings({ ...pg, SESAM_WORKERS: '4' }).workers).toBe(4);
    expect(loadSettings({ ...pg, SESAM_WORKERS: 'auto' }).workers).toBe(os.availableParallelism());
    // Each worker hashes its share of the cores (at least one at a time), unless ARGON2_CONCURRENCY says.
    expect(loadSettings({ ...pg }).argon2Concurrency).toBeUndefined();
    expect(loadSettings({ ...pg, SESAM_WORKERS: '2' }).argon2Concurrency).toBe(Math.max(1, Math.floor((os.availableParallelism() - 1) / 2)));
    expect(loadSettings({ ...pg, SESAM_WORKERS: '999' }).argon2Concurrency).toBe(1);
    expect(loadSettings({ ...pg, SESAM_WORKERS: '4', ARGON2_CONCURRENCY: '3' }).argon2Concurrency).toBe(3);
    for (const bad of ['0', '-2', 'two', '1.5', '1000']) expect(() => loadSettings({ ...pg, SESAM_WORKERS: bad })).toThrow(/^Invalid setting SESAM_WORKERS: .*positive integer/);
    // The embedded database cannot be opened by several processes: refused, in one line.
    let error: unknown;
    try {
      loadSettings({ SESAM_WORKERS: '2' });
    } catch (e) {
      error = e;
    }
    expect((error as SettingsError).setting).toBe('SESAM_WORKERS');
    expect((error as Error).message).toMatch(/^Invalid setting SESAM_WORKERS: 2 .*needs DATABASE_URL/);
    expect((error as Error).message).not.toContain('\n');
  });
});
