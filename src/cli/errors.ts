/** Wrong command line: exit code 2. */
export class UsageError extends Error {}

/** Anything else that went wrong, said in one line: exit code 1. */
export class CliError extends Error {}
