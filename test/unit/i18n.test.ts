import { describe, expect, it } from '@jest/globals';
import { catalogue, chooseLocale, LOCALES, translator, type Locale } from '../../interactions/i18n/index.js';
import { portalCatalogueFiles } from '../../portal/i18n/index.js';

const english = catalogue('en');
const englishKeys = Object.keys(english);
const others = LOCALES.filter((l) => l !== 'en');

/** The distinct `{name}` placeholders of a message, sorted. */
function placeholders(message: string): string[] {
  return [...new Set([...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
}

describe('message catalogues', () => {
  it('offers French, Dutch, German and English', () => {
    expect([...LOCALES].sort()).toEqual(['de', 'en', 'fr', 'nl']);
    expect(englishKeys.length).toBeGreaterThan(0);
  });

  it.each(LOCALES)('%s has exactly the keys of en.json, in the same order', (locale) => {
    expect(Object.keys(catalogue(locale))).toEqual(englishKeys);
  });

  it.each(LOCALES)('%s has no empty message', (locale) => {
    const empty = Object.entries(catalogue(locale))
      .filter(([, value]) => typeof value !== 'string' || value.trim() === '')
      .map(([key]) => key);
    expect(empty).toEqual([]);
  });

  it.each(LOCALES)('%s uses the same placeholders as English for every key', (locale) => {
    const messages = catalogue(locale);
    const mismatches = englishKeys
      .filter((key) => placeholders(messages[key] ?? '').join() !== placeholders(english[key]).join())
      .map((key) => `${key}: ${JSON.stringify(messages[key])}`);
    expect(mismatches).toEqual([]);
  });

  it.each(others)('%s copies no message unchanged from English', (locale) => {
    const messages = catalogue(locale);
    expect(englishKeys.filter((key) => messages[key] === english[key])).toEqual([]);
  });

  it.each([
    ['fr', 'Français'],
    ['nl', 'Nederlands'],
    ['de', 'Deutsch'],
    ['en', 'English'],
  ] as const)('%s names itself %s', (locale, name) => {
    expect(catalogue(locale)['lang.name']).toBe(name);
  });
});

describe('translator', () => {
  it('fills the placeholders of a French message', () => {
    const text = translator('fr')('password.lockNotice', { threshold: 3, contact: 'X' });
    expect(text).toContain('3');
    expect(text).toContain('X');
    expect(text).not.toContain('{');
    expect(text).not.toBe(translator('en')('password.lockNotice', { threshold: 3, contact: 'X' }));
  });
});

describe('chooseLocale', () => {
  const base = { fallback: 'en' as Locale };

  it('prefers the explicit choice over everything else', () => {
    expect(
      chooseLocale({ ...base, chosen: 'de', uiLocales: 'nl-BE fr', acceptLanguage: 'fr', tenantDefault: 'nl' }),
    ).toBe('de');
  });

  it('ignores an unsupported explicit choice', () => {
    expect(chooseLocale({ ...base, chosen: 'es', uiLocales: 'nl-BE fr', acceptLanguage: 'de' })).toBe('nl');
  });

  it('then takes the first supported language of ui_locales', () => {
    expect(chooseLocale({ ...base, uiLocales: 'nl-BE fr', acceptLanguage: 'de', tenantDefault: 'fr' })).toBe('nl');
  });

  it('skips unsupported languages in ui_locales', () => {
    expect(chooseLocale({ ...base, uiLocales: 'es de-BE fr', acceptLanguage: 'nl' })).toBe('de');
  });

  it('falls through to Accept-Language when no language of ui_locales is supported', () => {
    expect(chooseLocale({ ...base, uiLocales: 'es it', acceptLanguage: 'fr-BE', tenantDefault: 'nl' })).toBe('fr');
  });

  it('then takes the Accept-Language entry with the highest q-weight', () => {
    expect(chooseLocale({ ...base, acceptLanguage: 'de;q=0.5, nl;q=0.9', tenantDefault: 'fr' })).toBe('nl');
  });

  it('skips unsupported Accept-Language entries even with a higher weight', () => {
    expect(chooseLocale({ ...base, acceptLanguage: 'es, it;q=0.9, de;q=0.3', tenantDefault: 'fr' })).toBe('de');
  });

  it('then takes the tenant default when nothing else is supported', () => {
    expect(chooseLocale({ ...base, uiLocales: 'es it', acceptLanguage: 'es, it;q=0.8', tenantDefault: 'nl' })).toBe(
      'nl',
    );
  });

  it('ignores an unsupported tenant default', () => {
    expect(chooseLocale({ fallback: 'fr', tenantDefault: 'es' })).toBe('fr');
  });

  it('finally uses the fallback', () => {
    expect(chooseLocale({ fallback: 'de' })).toBe('de');
    expect(chooseLocale({ fallback: 'nl', uiLocales: 'es it', acceptLanguage: 'it' })).toBe('nl');
  });
});

describe('the account portal catalogues', () => {
  const areas = Object.entries(portalCatalogueFiles());

  it('has areas', () => {
    expect(areas.map(([area]) => area)).toContain('core');
  });

  it.each(areas)('%s exists in the four languages with the keys, placeholders and no empty message of English', (_area, byLocale) => {
    const en = byLocale.en!;
    expect(en).toBeDefined();
    for (const locale of LOCALES) {
      const messages = byLocale[locale];
      expect(messages).toBeDefined();
      expect(Object.keys(messages!).sort()).toEqual(Object.keys(en).sort());
      for (const [key, value] of Object.entries(messages!)) {
        expect(`${locale} ${key}: ${typeof value === 'string' && value.trim() !== '' ? 'ok' : 'empty'}`).toBe(`${locale} ${key}: ok`);
        expect([locale, key, placeholders(value)]).toEqual([locale, key, placeholders(en[key])]);
      }
    }
  });

  it('no two areas define the same key', () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const [area, byLocale] of areas) {
      for (const key of Object.keys(byLocale.en ?? {})) {
        if (seen.has(key)) clashes.push(`${key} in ${seen.get(key)} and ${area}`);
        seen.set(key, area);
      }
    }
    expect(clashes).toEqual([]);
  });
});
