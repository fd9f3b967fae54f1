/**
 * The routes an operator and a load balancer look at: `/healthz` (the process is up; "stopping"
 * once a graceful stop began; in a pool of workers, `worker`: which one answered, its cluster id,
 * a small number that says nothing else), `/readyz` (the database, and Redis when configured, answer, and
 * the instance is not stopping: 503 otherwise, so traffic moves elsewhere). The page at `/` is
 * first-run.ts.
 */
import Router from '@koa/router';
import type { Stores } from './stores.js';
import { pingDatabase } from '../storage/database.js';

export function healthRouter({ db, redis }: Pick<Stores, 'db' | 'redis'>, stopping: () => boolean, worker?: number): Router {
  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: stopping() ? 'stopping' : 'ok', ...(worker === undefined ? {} : { worker }) };
  });
  health.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {};
    try {
      await pingDatabase(db);
      checks.database = 'ok';
    } catch {
      checks.database = 'unavailable';
    }
    if (redis) {
      try {
        await redis.ping();
        checks.redis = 'ok';
      } catch {
        checks.redis = 'unavailable';
      }
    }
    const ready = !stopping() && Object.values(checks).every((v) => v === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });
  return health;
}
