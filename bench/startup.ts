/**
 * Time from start to ready of the server operators run (real-server.ts), and its resident
 * memory once ready and idle: the embedded default in a fresh data folder (the master key, the
 * embedded database, its migrations and the signing keys are made) and again in that folder;
 * PostgreSQL + Redis on a fresh database (migrations, keys) and again on it.
 */
import fs from 'node:fs';
import { sleep } from './numbers.js';
import { startRealServer } from './real-server.js';
import { createBenchDatabase, tmpDir } from './servers.js';

export interface StartFigures {
  readyMs: number;
  /** Resident memory of the ready server, a second later, with nothing to do. */
  idleRssMB: number;
}

export interface StartupFigures {
  embeddedFresh: StartFigures;
  embeddedExisting: StartFigures;
  pgRedisFresh: StartFigures;
  pgRedisExisting: StartFigures;
}

async function startOnce(name: string, env: Record<string, string>): Promise<StartFigures> {
  const server = await startRealServer(name, env);
  try {
    await sleep(1000);
    return { readyMs: server.readyMs, idleRssMB: server.usage().rssMB };
  } finally {
    await server.stop();
  }
}

export async function measureStartup(redisUrl: string): Promise<StartupFigures> {
  const embeddedDir = tmpDir();
  const pgDir = tmpDir();
  const database = await createBenchDatabase();
  try {
    const embedded = { SESAM_DATA_DIR: embeddedDir };
    const pg = { SESAM_DATA_DIR: pgDir, DATABASE_URL: database.url, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: 'sesam-bench-startup:' };
    return {
      embeddedFresh: await startOnce('embedded, fresh folder', embedded),
      embeddedExisting: await startOnce('embedded, existing folder', embedded),
      pgRedisFresh: await startOnce('PG+Redis, fresh database', pg),
      pgRedisExisting: await startOnce('PG+Redis, existing database', pg),
    };
  } finally {
    await database.drop();
    fs.rmSync(embeddedDir, { recursive: true, force: true });
    fs.rmSync(pgDir, { recursive: true, force: true });
  }
}
