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

  it('never echoes a secret in the message', () => {
    expect(() => loadSettings({ SESAM_ADMIN_CLIENT_SECRET: 'tooshort' })).toThrow(/<redacted>/);
  });
});
