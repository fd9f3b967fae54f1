/** Wrong codes one journey accepts per method before it must start again (the account has its own budget). */
import type { MethodId } from '../../src/domain/assurance.js';
import type { StepContext } from '../step.js';

export const MAX_JOURNEY_FAILURES = 5;

/** This journey's tries of `method` are used up: no code of it is checked any more. */
export function triesUsedUp(sc: StepContext, method: MethodId): boolean {
  return (sc.journey.failures[method] ?? 0) >= MAX_JOURNEY_FAILURES;
}

/** Counts a wrong code of `method` in this journey (a new code never resets it); true when that used up its tries. */
export function countFailure(sc: StepContext, method: MethodId): boolean {
  const failures = (sc.journey.failures[method] ?? 0) + 1;
  sc.journey.failures = { ...sc.journey.failures, [method]: failures };
  return failures >= MAX_JOURNEY_FAILURES;
}
