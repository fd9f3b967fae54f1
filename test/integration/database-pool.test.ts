/**
 * DATABASE_POOL_MAX bounds the PostgreSQL connections one Sesam process opens, whatever the load:
 * what an operator counts against PostgreSQL's max_connections (docs/capacity.md).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('the PostgreSQL pool of one process', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres', env: { DATABASE_POOL_MAX: '3' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('never holds more connections than DATABASE_POOL_MAX, queueing the rest', async () => {
    const { db } = server.sesam;
    const database = String((await db.raw('select current_database() as d')).rows[0].d);
    let most = 0;
    const watch = setInterval(() => {
      void db
        .raw('select count(*)::int as n from pg_stat_activity where datname = ?', [database])
        .then((r) => (most = Math.max(most, r.rows[0].n as number)))
        .catch(() => undefined);
    }, 20);
    try {
      // Ten slow statements at once: three run, seven wait for a connection.
      const started = Date.now();
      await Promise.all(Array.from({ length: 10 }, () => db.raw('select pg_sleep(0.2)')));
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    } finally {
      clearInterval(watch);
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(3);
  });
});
