/**
 * A refusal of an operator's or admin's request the caller can show as is (bad reference,
 * conflict, invalid input): the admin API answers it with 404, 409 or 400, an import names the
 * bad entry with it. Its own module, so that every service of the directory's family
 * (directory.ts, upstream-providers.ts) can throw it without importing the other.
 */
export class DirectoryError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}
