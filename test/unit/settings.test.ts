import { describe, expect, it } from '@jest/globals';
import { loadSettings, SettingsError } from '../../config/settings.js';

describe('settings', () => {
  it('applies the documented defaults', () => {
    const s = loadSettings({});
    expect(s.port).toBe(3000);
    expect(s.issuer).toBe('http://localhost:3000');
    expect(s.databaseUrl).toBeUndefined();
    expect(s.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
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
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'console' }).sms.transport).toBe('console');
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_OUTBOX: '/tmp/sms.jsonl' }).sms.transport).toBe('outbox');
    expect(loadSettings({ ISSUER: 'https://sesam.example', SMS_TRANSPORT: 'http', SMS_HTTP_URL: 'https://sms.example/send' }).sms.transport).toBe('http');
    // an http issuer (development) keeps the console default
    expect(loadSettings({}).sms.transport).toBe('console');
  });

  it('never echoes a secret in the message', () => {
    expect(() => loadSettings({ SESAM_ADMIN_CLIENT_SECRET: 'tooshort' })).toThrow(/<redacted>/);
  });
});
