/**
 * The words the portal's sessions and recent sign-ins use for a browser (bowser) and a time
 * (the user's language, Belgian time): readable for real browsers, never an exception for a
 * User-Agent that names nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { deviceLabel, deviceName, formatWhen } from '../../portal/pages/describe.js';
import { portalTranslator } from '../../portal/i18n/index.js';
import { USER_AGENTS } from '../helpers/portal-http.js';

const WORDS = { both: 'portal.sessions.browserOn', unknown: 'portal.sessions.unknownBrowser' };

describe('device names', () => {
  it.each([
    [USER_AGENTS.firefoxWindows, 'Firefox 121 on Windows'],
    [USER_AGENTS.safariIphone, 'Safari 17 on iOS'],
    [USER_AGENTS.chromeMac, 'Chrome 125 on macOS'],
    [USER_AGENTS.edgeWindows, 'Microsoft Edge 124 on Windows'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', 'Chrome 124 on Android'],
  ])('%s is %s', (ua, label) => {
    expect(deviceLabel(portalTranslator('en'), WORDS, ua)).toBe(label);
  });

  it('says so when the User-Agent names nothing, in the page language', () => {
    for (const ua of [null, undefined, '', '   ']) expect(deviceLabel(portalTranslator('fr'), WORDS, ua)).toBe('Navigateur inconnu');
    expect(() => deviceName('curl/8.5.0')).not.toThrow();
    expect(deviceName('x'.repeat(600))).toEqual({ browser: undefined, system: undefined });
  });
});

describe('times', () => {
  it('are Belgian time in the user language, summer and winter', () => {
    expect(formatWhen('en', new Date('2026-01-15T12:00:00Z'))).toBe('15 Jan 2026, 13:00');
    expect(formatWhen('fr', new Date('2026-07-15T12:00:00Z'))).toBe('15 juil. 2026, 14:00');
    expect(formatWhen('de', new Date('2026-07-15T22:30:00Z'))).toBe('16.07.2026, 00:30');
    expect(formatWhen('nl', new Date('2026-03-29T01:30:00Z'))).toBe('29 mrt 2026, 03:30');
  });
});
