/**
 * Message catalogues (fr, nl, de, en) and the choice of language: the switcher's choice,
 * then `ui_locales`, then Accept-Language, then the tenant's default, then the server default.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const LOCALES = ['fr', 'nl', 'de', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export type Catalogue = Record<string, string>;

const catalogues: Record<Locale, Catalogue> = {
  fr: require('./fr.json'),
  nl: require('./nl.json'),
  de: require('./de.json'),
  en: require('./en.json'),
};

export function catalogue(locale: Locale): Catalogue {
  return catalogues[locale];
}

export type Translator = (key: string, params?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translator {
  const messages = catalogues[locale];
  return (key, params) => {
    const template = messages[key] ?? catalogues.en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (m, name: string) => (params && name in params ? String(params[name]) : m));
  };
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The first supported language of a `ui_locales` value or an Accept-Language header. */
export function firstSupported(candidates: string | undefined, weighted = false): Locale | undefined {
  if (!candidates) return undefined;
  const entries = (weighted ? candidates.split(',') : candidates.split(/\s+/))
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((e) => e.lang && e.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return entries.map((e) => e.lang).find(isLocale);
}

export function chooseLocale(options: {
  chosen?: string;
  uiLocales?: string;
  acceptLanguage?: string;
  tenantDefault?: string;
  fallback: Locale;
}): Locale {
  if (isLocale(options.chosen)) return options.chosen;
  return (
    firstSupported(options.uiLocales) ??
    firstSupported(options.acceptLanguage, true) ??
    (isLocale(options.tenantDefault) ? options.tenantDefault : undefined) ??
    options.fallback
  );
}
