/**
 * The routes an operator and a load balancer look at: `/healthz` (the process is up; "stopping"
 * once a graceful stop began), `/readyz` (the database, and Redis when configured, answer, and
 * the instance is not stopping: 503 otherwise, so traffic moves elsewhere) and `/`, a small
 * page pointing at the discovery document.
 */
import Router from '@koa/router';
import type { Settings } from '../../config/settings.js';
import type { Stores } from './stores.js';
import { pingDatabase } from '../storage/database.js';
import { pageContextFor } from '../../interactions/views/provider-pages.js';
import { page } from '../../interactions/views/layout.js';
import { html } from '../../interactions/views/html.js';

export function healthRouter({ db, redis }: Pick<Stores, 'db' | 'redis'>, defaultLocale: Settings['defaultLocale'], stopping: () => boolean): Router {
  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: stopping() ? 'stopping' : 'ok' };
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
  health.get('/', (ctx) => {
    const pc = pageContextFor(ctx, defaultLocale);
    ctx.type = 'html';
    ctx.body = page(pc, 'Sesam', html`<h1>Sesam</h1><p><a href="/.well-known/openid-configuration">OpenID Connect discovery</a></p>`);
  });
  return health;
}
