/**
 * Starts a real Sesam in the test process on a free port, on real PostgreSQL (+ Redis) or the
 * embedded database, with an optional import file. `stop` closes it and drops its database.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadSettings } from '../../config/settings.js';
import { createSesam, type Sesam } from '../../src/app.js';
import type { Logger } from '../../src/logger.js';
import { createEmbeddedDatabase, createPostgresDatabase, deleteRedisKeys, REDIS_URL, tmpDir } from './stores.js';

export interface TestServer {
  sesam: Sesam;
  /** Where to send requests: the issuer, or http://host:port when the issuer is https. */
  url: string;
  issuer: string;
  dataDir: string;
  databaseUrl?: string;
  env: Record<string, string>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  backend?: 'postgres' | 'embedded';
  /** `true`: the local Redis (keys under a prefix of the server's own); `{ url }`: another REDIS_URL (a test cluster or sentinel set). */
  redis?: boolean | { url: string };
  import?: unknown;
  env?: Record<string, string>;
  /** Reuse a data folder / database of an earlier server (restart tests). */
  reuse?: { dataDir: string; databaseUrl?: string; redisKeyPrefix?: string };
  host?: 'localhost' | '127.0.0.1';
  /**
   * Another instance of `shareWith`'s deployment: its database and Redis prefix, a data folder of
   * its own, and its master key (as SESAM_ENCRYPTION_KEY) unless `shareKey` is false. `stop`
   * leaves the shared stores to the first server.
   */
  shareWith?: TestServer;
  shareKey?: boolean;
  /** The server's logger (to read its lines); by default one at TEST_LOG_LEVEL, silent. */
  logger?: Logger;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const backend = options.backend ?? 'postgres';
  const shared = options.shareWith;
  let dataDir = options.reuse?.dataDir ?? tmpDir();
  let databaseUrl = options.reuse?.databaseUrl ?? shared?.databaseUrl;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (!options.reuse && !shared) {
    if (backend === 'postgres') {
      const tdb = await createPostgresDatabase();
      databaseUrl = tdb.url;
      await tdb.db.destroy();
      dropDatabase = async () => {
        const knex = (await import('knex')).default;
        const { PG_ADMIN_URL } = await import('./stores.js');
        const admin = knex({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
        await admin.raw(`drop database if exists ${new URL(databaseUrl!).pathname.slice(1)} with (force)`);
        await admin.destroy();
      };
    } else {
      const tdb = await createEmbeddedDatabase();
      await tdb.db.destroy();
      dataDir = tdb.dataDir;
    }
  }
  const port = await freePort();
  const host = options.host ?? 'localhost';
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '::',
    ISSUER: `http://${host}:${port}`,
    SESAM_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    // A key prefix of its own: counters and tokens of other runs never leak in.
    ...(options.redis ? { REDIS_URL: typeof options.redis === 'object' ? options.redis.url : (shared?.env.REDIS_URL ?? REDIS_URL), REDIS_KEY_PREFIX: options.reuse?.redisKeyPrefix ?? shared?.env.REDIS_KEY_PREFIX ?? `sesam-test-${port}-${Date.now()}:` } : {}),
    ...(shared && options.shareKey !== false
      ? { SESAM_ENCRYPTION_KEY: shared.env.SESAM_ENCRYPTION_KEY ?? fs.readFileSync(path.join(shared.dataDir, 'master.key'), 'utf8').trim() }
      : {}),
    ...options.env,
  };
  if (options.import) {
    const file = path.join(dataDir, `import-${Date.now()}.json`);
    fs.writeFileSync(file, JSON.stringify(options.import));
    env.SESAM_IMPORT = file;
  }
  const settings = loadSettings(env);
  const sesam = await createSesam(settings, options.logger).catch((e: unknown) => {
    if (shared) fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  await sesam.listen();
  const direct = `http://${host}:${env.PORT}`;
  return {
    sesam,
    // An issuer other than the port's own (https, or another origin) stands for a proxy in front:
    // the server itself is reached over plain http on its port.
    url: settings.issuer.startsWith('https:') || settings.issuer !== direct ? direct : settings.issuer,
    issuer: settings.issuer,
    dataDir,
    databaseUrl,
    env,
    async stop(stopOptions = {}) {
      await sesam.close();
      if (shared) fs.rmSync(dataDir, { recursive: true, force: true });
      else if (!stopOptions.keepData) {
        await dropDatabase?.();
        // Keys on another Redis go with it (its helper throws the whole topology away).
        if (env.REDIS_KEY_PREFIX && env.REDIS_URL === REDIS_URL) await deleteRedisKeys(env.REDIS_KEY_PREFIX);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** An access token for the admin API, by client_credentials with the bootstrap admin client. */
export async function adminToken(server: TestServer): Promise<string> {
  const { clientId, clientSecret } = server.sesam.adminCredentials;
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no admin token: ${JSON.stringify(body)}`);
  return body.access_token;
}
