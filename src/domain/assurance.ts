/**
 * What a sign-in proved, and what that is worth. A journey collects one verification record per
 * proof (a password, a code, a passkey, an upstream provider); `acr`, `amr` and "are two factors
 * proven" are derived here and nowhere else, from the kinds of factor the records cover — so a
 * passkey with user verification (possession + inherence in one record), or a trusted upstream
 * plus a code, counts without special cases.
 *
 * Authentication context classes Sesam issues (documented in the README), each stronger than the
 * one before:
 * - `urn:sesam:acr:1fa`: one factor proven;
 * - `urn:sesam:acr:2fa`: two factors of different kinds proven;
 * - `urn:sesam:acr:phr`: two factors proven by a phishing-resistant method (a passkey with user
 *   verification: its signature is bound to Sesam's origin, so a look-alike site gets nothing).
 * `amr` lists RFC 8176 values, plus `mfa` when two factors were proven.
 */

export const ACR_1FA = 'urn:sesam:acr:1fa';
export const ACR_2FA = 'urn:sesam:acr:2fa';
export const ACR_PHR = 'urn:sesam:acr:phr';
export const ACR_VALUES = [ACR_1FA, ACR_2FA, ACR_PHR] as const;

/** How strong a sign-in must be, or was. */
export type Level = 'none' | '1fa' | '2fa' | 'phr';
const RANK: Record<Level, number> = { none: 0, '1fa': 1, '2fa': 2, phr: 3 };
const ACR_LEVEL: Record<string, Level> = { [ACR_1FA]: '1fa', [ACR_2FA]: '2fa', [ACR_PHR]: 'phr' };

/** True when `level` is at least `wanted`. */
export function meets(level: Level, wanted: Level): boolean {
  return RANK[level] >= RANK[wanted];
}

/** NIST SP 800-63B's kinds of factor: something you know, have, are. */
export type FactorKind = 'knowledge' | 'possession' | 'inherence';

/**
 * Ways to prove something. `password`, `sms`, `totp` and `recovery` are implemented; `passkey`,
 * `upstream:<id>` (an OpenID provider) and `email-link` (password recovery) are the ones the next
 * issues add, named here so the flow's rules already speak of them.
 */
export type MethodId = 'password' | 'sms' | 'totp' | 'recovery' | 'passkey' | 'email-link' | `upstream:${string}`;

export interface VerificationRecord {
  /** The method, or `session` for what an earlier sign-in of the browser session proved. */
  method: MethodId | 'session';
  /** Epoch milliseconds of the proof. */
  at: number;
  /** RFC 8176 values this proof contributes. */
  amr: string[];
  /** The kinds of factor this one proof covers (a passkey with user verification covers two). */
  factors: FactorKind[];
  /** It identified the account (a first factor), rather than confirming one already identified. */
  identifies: boolean;
  /** Bound to Sesam's origin (a passkey): a phishing site cannot replay it. */
  phishingResistant?: boolean;
}

export interface Assurance {
  acr: string;
  amr: string[];
  factors: FactorKind[];
  /** At least one proof identified the account. */
  authenticated: boolean;
  /** Two kinds of factor proven. */
  twoFactors: boolean;
  /** Two kinds of factor, one proof of them phishing-resistant. */
  phishingResistant: boolean;
  level: Level;
}

export function assess(records: readonly VerificationRecord[]): Assurance {
  const kinds = new Set<FactorKind>(records.flatMap((r) => r.factors));
  const amr = [...new Set(records.flatMap((r) => r.amr))].filter((v) => v !== 'mfa');
  const twoFactors = kinds.size >= 2;
  const phishingResistant = twoFactors && records.some((r) => r.phishingResistant);
  if (twoFactors) amr.push('mfa');
  const level: Level = phishingResistant ? 'phr' : twoFactors ? '2fa' : records.length ? '1fa' : 'none';
  return {
    acr: phishingResistant ? ACR_PHR : twoFactors ? ACR_2FA : ACR_1FA,
    amr,
    factors: [...kinds],
    authenticated: records.some((r) => r.identifies),
    twoFactors,
    phishingResistant,
    level,
  };
}

/** The kind of factor each RFC 8176 value stands for, to read back what a session proved. */
const AMR_FACTOR: Record<string, FactorKind | undefined> = {
  pwd: 'knowledge',
  pin: 'knowledge',
  sms: 'possession',
  otp: 'possession',
  hwk: 'possession',
  swk: 'possession',
  fpt: 'inherence',
  face: 'inherence',
};

/**
 * A record of what an earlier sign-in of this browser session proved (its `amr` and `acr`), for
 * a step-up: the session's proof counts towards the level, but it never stands in for a proof
 * made in this journey (which is what a credential change needs).
 */
export function sessionRecord(amr: readonly string[] | undefined, at: number, acr?: string): VerificationRecord | undefined {
  if (!amr?.length) return undefined;
  let factors = [...new Set(amr.map((v) => AMR_FACTOR[v]).filter((k): k is FactorKind => !!k))];
  // A passkey's amr (hwk/swk, user) does not name its user verification: the acr the session was
  // given says two kinds were proven.
  if (meets(levelOf(acr), '2fa') && factors.length < 2) factors = [...new Set<FactorKind>([...factors, 'possession', 'inherence'])];
  return { method: 'session', at, amr: amr.filter((v) => v !== 'mfa'), factors, identifies: true, phishingResistant: acr === ACR_PHR };
}

/** The strongest level the request's acr_values ask for ('none' when they name none of Sesam's). */
export function requestedLevel(acrValues: string | undefined): Level {
  const levels = (acrValues ?? '').split(' ').map((v) => ACR_LEVEL[v]).filter((l): l is Level => !!l);
  return levels.reduce<Level>((best, l) => (meets(best, l) ? best : l), 'none');
}

/** The level of an issued acr. */
export function levelOf(acr: string | undefined): Level {
  return (acr && ACR_LEVEL[acr]) || 'none';
}

/** True when the request's acr_values ask for two factors (or more). */
export function wantsTwoFactors(acrValues: string | undefined): boolean {
  return meets(requestedLevel(acrValues), '2fa');
}
