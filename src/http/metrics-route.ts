/**
 * GET /metrics: the Prometheus text exposition of the instance's metrics (of this process, or of
 * the pool of worker processes it is one of: src/observability/pool-metrics.ts). Operational data, so
 * not for anyone: with METRICS_TOKEN set, only to `Authorization: Bearer <METRICS_TOKEN>`;
 * without it, only to a loopback address (a scraper on the same host, or behind TRUST_PROXY a
 * proxy that forwards none but the loopback's requests). The metrics carry no user, client or
 * interaction in their labels.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

const digest = (value: string) => createHash('sha256').update(value).digest();

function allowed(ctx: Context, token: string | undefined): boolean {
  if (!token) return LOOPBACK.test(ctx.ip);
  const given = /^Bearer (.+)$/i.exec(ctx.get('authorization'))?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token)); // hashed first: equal lengths, no timing on the token's
}

/** Where the exposition comes from: `Metrics.exposition`, or the pool's. */
export type ExpositionSource = () => Promise<{ contentType: string; body: string }>;

export function metricsRouter(exposition: ExpositionSource, token: string | undefined): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    if (!allowed(ctx, token)) {
      ctx.status = token ? 401 : 403;
      if (token) ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = { error: token ? 'invalid_token' : 'access_denied', error_description: token ? 'a valid METRICS_TOKEN is required' : '/metrics answers only on the loopback unless METRICS_TOKEN is set' };
      return;
    }
    const { contentType, body } = await exposition();
    ctx.type = contentType;
    ctx.body = body;
  });
  return router;
}
