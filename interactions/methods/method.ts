/**
 * The one interface every way in implements: what it proves (the kinds of factor, first factor,
 * second factor or both at once), how it starts (a page, a challenge sent or issued, a redirect to
 * an upstream provider) and its RFC 8176 `amr`. A verified method adds its record to the
 * journey; how much the records are worth is decided by `assess` (src/domain/assurance.ts).
 */
import type { FactorKind, MethodId, VerificationRecord } from '../../src/domain/assurance.js';
import type { Safe } from '../views/html.js';
import type { StepContext } from '../step.js';

export interface MethodModule {
  id: MethodId;
  /** RFC 8176 values a verification adds. */
  amr: readonly string[];
  /** Kinds of factor one verification proves. */
  factors: readonly FactorKind[];
  /** first: it identifies the account; second: it confirms one already identified; both: a passkey. */
  role: 'first' | 'second' | 'both';
  /** page: typed on a page; challenge: something is sent or issued first; redirect: an upstream provider. */
  start: 'page' | 'challenge' | 'redirect';
}

/** The record a successful verification of `method` adds to the journey. */
export function recordOf(method: MethodModule, at = Date.now()): VerificationRecord {
  return { method: method.id, at, amr: [...method.amr], factors: [...method.factors], identifies: method.role !== 'second' };
}

/** Adds the proof to the journey (one record per method: a second proof of the same one adds nothing). */
export function recordProof(sc: StepContext, method: MethodModule): void {
  sc.journey.verifications = [...sc.journey.verifications.filter((r) => r.method !== method.id), recordOf(method)];
}

export type CheckOutcome = 'ok' | 'invalid' | 'replayed' | 'expired';
export type SendOutcome = { ok: true } | { ok: false; error: string };

/** A second factor proven by a code typed on the second-factor page. */
export interface CodeMethod extends MethodModule {
  id: 'sms' | 'totp' | 'recovery';
  role: 'second';
  /** What to do, shown above the code field. */
  intro(sc: StepContext): Safe;
  /** The code field's pattern (digits, or letters for recovery codes). */
  pattern: string;
  /** A code can be typed now (an SMS must be sent first). */
  ready(sc: StepContext): boolean;
  /** Sends or issues the challenge (POST only, never on a page load). */
  send?(sc: StepContext): Promise<SendOutcome>;
  /** Checks a code against the user's factor. */
  check(sc: StepContext, code: string): Promise<CheckOutcome>;
}

/** The outcome of one submission while setting up a factor. */
export type SetUpOutcome =
  /** The factor is set up and proven: the method's record is added. */
  | { done: true }
  /** Show the set-up again, with an error or a notice. */
  | { done: false; error?: string; notice?: string; values?: Record<string, string>; status?: number };

/** A second factor that can be set up inside a sign-in (the enroll-second-factor action). */
export interface SetUpMethod {
  id: 'sms' | 'totp';
  method: CodeMethod;
  render(sc: StepContext, values?: Record<string, string>): Promise<Safe> | Safe;
  submit(sc: StepContext, form: Record<string, string>): Promise<SetUpOutcome>;
}
