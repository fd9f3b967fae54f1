/** Reading option values and arguments that are more than a string. */
import fs from 'node:fs';
import type { Schemas } from './api-client.js';
import { UsageError } from './errors.js';

/** For repeatable options (`--tenant a --tenant b`). */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function tenantArgs(values: string[] | undefined): Schemas['UserInput']['tenants'] {
  return (values ?? []).map((v) => {
    const [id, role, ...rest] = v.split(':');
    if (!id || rest.length || (role !== undefined && role !== 'admin' && role !== 'member')) throw new UsageError(`--tenant ${v}: expected TENANT or TENANT:admin`);
    return role ? { id, role } : id;
  });
}

/**
 * A number option (`--limit`) as the API's query wants it. Not checked here: the server
 * coerces it as it would the text, and its 400 names the option.
 */
export const numberArg = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));

export function jsonArg(what: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}

/** `--password -` reads the password from the first line of standard input (keeps it out of `ps`). */
export function passwordArg(value: string): string {
  return stdinArg('--password', value);
}

/** A secret option whose value `-` means: the first line of standard input. */
export function stdinArg(option: string, value: string): string {
  if (value !== '-') return value;
  const line = fs.readFileSync(0, 'utf8').split(/\r?\n/)[0];
  if (!line) throw new UsageError(`${option} -: nothing on standard input`);
  return line;
}

/** A JSON file an option names (a key file): its parsed content, or a UsageError saying what is wrong with it. */
export function jsonFileArg(option: string, file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${option} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return jsonArg(`${option} ${file}`, text);
}

/** An option that may be given once: a second one is an error, not silently the winner. */
export const once =
  (name: string) =>
  (value: string, previous: string | undefined): string => {
    if (previous !== undefined) throw new UsageError(`--${name} may be given once here`);
    return value;
  };
