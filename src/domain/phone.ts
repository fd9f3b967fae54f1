/** Belgian mobile numbers only (libphonenumber-js), stored as E.164. */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** E.164 of a Belgian mobile number, or undefined for anything else (foreign, landline, invalid). */
export function normalizeBelgianMobile(raw: string): string | undefined {
  const parsed = parsePhoneNumberFromString(raw.trim(), 'BE');
  if (!parsed || !parsed.isValid() || parsed.country !== 'BE') return undefined;
  const type = parsed.getType();
  if (type !== 'MOBILE') return undefined;
  return parsed.number;
}
