/**
 * Authentication context classes Sesam issues (documented in the README):
 * - `urn:sesam:acr:1fa`: one factor was proven (password, or a federated login);
 * - `urn:sesam:acr:2fa`: two factors were proven (password plus SMS, app code, passkey...).
 * `amr` lists the RFC 8176 methods used (`pwd`, `sms`, `otp`, `hwk`, `swk`, `user`, `fed`, `mfa`).
 */
export const ACR_1FA = 'urn:sesam:acr:1fa';
export const ACR_2FA = 'urn:sesam:acr:2fa';
export const ACR_VALUES = [ACR_1FA, ACR_2FA] as const;

const SECOND_FACTORS = new Set(['sms', 'otp', 'hwk', 'swk']);

/** acr and amr from the methods proven in a login. */
export function acrAmr(methods: string[]): { acr: string; amr: string[] } {
  const amr = [...new Set(methods)];
  const twoFactors = amr.includes('pwd') && amr.some((m) => SECOND_FACTORS.has(m));
  if (twoFactors && !amr.includes('mfa')) amr.push('mfa');
  return { acr: twoFactors ? ACR_2FA : ACR_1FA, amr };
}

/** True when the request's acr_values ask for two factors. */
export function wantsTwoFactors(acrValues: string | undefined): boolean {
  return !!acrValues && acrValues.split(' ').includes(ACR_2FA);
}
