/**
 * The portal's messages: every `*.<locale>.json` file of this folder (one per area of the portal,
 * so each area keeps its own words) laid over the journey's catalogue of the same language, so
 * common words (errors, the language switcher) are said once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCALES, catalogue, type Catalogue, type Locale, type Translator } from '../../interactions/i18n/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function load(locale: Locale): Catalogue {
  const merged: Catalogue = { ...catalogue(locale) };
  for (const file of fs.readdirSync(here).filter((f) => f.endsWith(`.${locale}.json`)).sort()) {
    Object.assign(merged, JSON.parse(fs.readFileSync(path.join(here, file), 'utf8')) as Catalogue);
  }
  return merged;
}

const catalogues = Object.fromEntries(LOCALES.map((l) => [l, load(l)])) as Record<Locale, Catalogue>;

/** The portal's own keys per file and language (the i18n test checks every language has them all). */
export function portalCatalogueFiles(): Record<string, Partial<Record<Locale, Catalogue>>> {
  const areas: Record<string, Partial<Record<Locale, Catalogue>>> = {};
  for (const file of fs.readdirSync(here).filter((f) => f.endsWith('.json'))) {
    const [area, locale] = file.split('.');
    (areas[area] ??= {})[locale as Locale] = JSON.parse(fs.readFileSync(path.join(here, file), 'utf8')) as Catalogue;
  }
  return areas;
}

export function portalTranslator(locale: Locale): Translator {
  const messages = catalogues[locale];
  return (key, params) => {
    const template = messages[key] ?? catalogues.en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (m, name: string) => (params && name in params ? String(params[name]) : m));
  };
}
