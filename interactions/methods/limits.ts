/** Wrong codes one journey accepts per method before it must start again (the account has its own budget). */
export const MAX_JOURNEY_FAILURES = 5;
