/**
 * A fresh embedded database starts from a template instead of PGlite's initdb: an empty database
 * with the schema already migrated, made once at build time (write-embedded-template.ts) and
 * unpacked into the new data folder. It holds no data and no secret (the migrations that need the
 * master key do nothing on an empty database); the start's own migration check then finds every
 * migration applied. Without the file (a build that skipped it) the folder is initialised and
 * migrated at start as before.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const EMBEDDED_TEMPLATE = fileURLToPath(new URL('./embedded-template.tar', import.meta.url));

/** The template to unpack into `folder` when it holds no database yet. */
export function templateFor(folder: string, template = EMBEDDED_TEMPLATE): Blob | undefined {
  if (fs.existsSync(`${folder}/PG_VERSION`) || !fs.existsSync(template)) return undefined;
  return new Blob([fs.readFileSync(template)]);
}
