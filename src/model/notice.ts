/**
 * A short plain-text notice shown beside the sign-in (seed 004: "Attention aux arnaques !"), one
 * text per language. A tenant sets one in its policy, an app with its registration. Plain text
 * only: pages escape it, and a blank line starts a new paragraph.
 */
import { z } from 'zod';

export const NOTICE_MAX_LENGTH = 500;

const text = z.string().trim().min(1).max(NOTICE_MAX_LENGTH);

export const noticeSchema = z
  .object({ fr: text.optional(), nl: text.optional(), de: text.optional(), en: text.optional() })
  .strict()
  .refine((n) => Object.values(n).some((v) => v !== undefined), 'give the text in at least one language (fr, nl, de, en)')
  .describe(`A short plain-text notice shown beside the sign-in, per language (at most ${NOTICE_MAX_LENGTH} characters each)`);

export type Notice = z.infer<typeof noticeSchema>;

const ORDER = ['fr', 'nl', 'de', 'en'] as const;

/**
 * The notice in `locale`, else in English, else in the first language given (fr, nl, de), with
 * the language it is in (a page marks text in another language than its own); undefined without one.
 */
export function noticeIn(notice: Notice | null | undefined, locale: string): { text: string; lang: (typeof ORDER)[number] } | undefined {
  if (!notice) return undefined;
  const lang = [locale, 'en', ...ORDER].find((l): l is (typeof ORDER)[number] => (ORDER as readonly string[]).includes(l) && notice[l as (typeof ORDER)[number]] !== undefined);
  return lang ? { text: notice[lang]!, lang } : undefined;
}
