/**
 * A tenant admin's sign-in as `sesam login` keeps it: the access token with its end, the server
 * it is for, and who and where it acts. One file, readable by its owner only, in
 * $SESAM_CONFIG_DIR, else $XDG_CONFIG_HOME/sesam, else ~/.config/sesam.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const savedSignInSchema = z.object({
  /** The Sesam server (SESAM_URL) the token is for. */
  server: z.string(),
  accessToken: z.string(),
  /** Epoch milliseconds. */
  expiresAt: z.number(),
  login: z.string().nullable(),
  tenantId: z.string().nullable(),
  tenantName: z.string().nullable(),
});
export type SavedSignIn = z.infer<typeof savedSignInSchema>;

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.SESAM_CONFIG_DIR) return path.resolve(env.SESAM_CONFIG_DIR);
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'sesam');
}

const fileOf = (env: NodeJS.ProcessEnv) => path.join(configDir(env), 'sign-in.json');

/** The saved sign-in for `server`, or undefined (none, another server's, or unreadable). */
export function readSignIn(env: NodeJS.ProcessEnv, server: string): SavedSignIn | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(fileOf(env), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const saved = savedSignInSchema.safeParse(parsed);
  return saved.success && saved.data.server === server ? saved.data : undefined;
}

export function writeSignIn(env: NodeJS.ProcessEnv, value: SavedSignIn): string {
  const file = fileOf(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written aside then renamed: never a half-written token, never one readable by others.
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
  return file;
}

/** Forgets the saved sign-in; true if there was one. */
export function forgetSignIn(env: NodeJS.ProcessEnv): boolean {
  try {
    fs.unlinkSync(fileOf(env));
    return true;
  } catch {
    return false;
  }
}
