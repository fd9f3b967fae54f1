/**
 * The embedded PostgreSQL (PGlite) of a data folder. The entry point starts it before it loads
 * the rest of the server (src/main.ts), so that its WebAssembly start and the unpacking of a new
 * folder overlap the loading of the modules; `openDatabase` then takes the instance already under
 * way instead of starting a second one on the same folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { PGlite } from '@electric-sql/pglite';
import { templateFor } from './embedded-template.js';

const require = createRequire(import.meta.url);

/** The embedded PostgreSQL's settings (postgresql.conf lines). */
export const EMBEDDED_POSTGRESQL_CONF = 'shared_buffers = 8MB';

const started = new Map<string, PGlite>();

/** Where the embedded database of a data folder lives. */
export function embeddedFolder(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'pgdata');
}

/** Starts the database in `folder` (created if missing; in memory without one). */
export function startEmbeddedPostgres(folder?: string): PGlite {
  if (folder) fs.mkdirSync(folder, { recursive: true });
  const { PGlite: Embedded } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  return new Embedded(folder, {
    // A fresh folder is unpacked from the build's template rather than initialised (embedded-template.ts).
    loadDataDir: folder ? templateFor(folder) : undefined,
    // PostgreSQL's 128 MB default of shared buffers is resident from the start in WebAssembly
    // memory; an embedded database of one deployment's users and clients needs far less.
    postgresqlconf: EMBEDDED_POSTGRESQL_CONF,
  });
}

/** Starts the database of `folder` ahead of the server (the entry point), for `embeddedPostgres` to take. */
export function startEarly(folder: string): void {
  if (started.has(folder)) return;
  const pglite = startEmbeddedPostgres(folder);
  // A failure is reported by the start that takes it (openDatabase's first query), not as an unhandled rejection now.
  pglite.waitReady.catch(() => undefined);
  started.set(folder, pglite);
}

/** The database of `folder`: the one started early if there is one (taken once), else a new one. */
export function embeddedPostgres(folder?: string): PGlite {
  const early = folder ? started.get(folder) : undefined;
  if (early) {
    started.delete(folder!);
    return early;
  }
  return startEmbeddedPostgres(folder);
}
