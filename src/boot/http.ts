/**
 * Sesam's HTTP side: the Koa app that serves Sesam's own paths (error pages, strict security
 * headers, the issuer's scheme behind a TLS-terminating proxy, cookies signed with the engine's
 * keys, the health routes and /metrics, then the routers it is given: the login journey and the
 * admin API), and the one HTTP server that gives each request its id (answered in X-Request-Id,
 * carried by its log lines) and dispatches it either to that app or straight to the
 * OIDC engine (`isSesamPath`), so the token endpoint meets no router matching or extra
 * middleware. `close` stops a server gracefully: /readyz turns 503, idle connections close,
 * requests under way may finish (10 s at most). In a worker of a pool (node:cluster), the
 * workers share the port, /healthz names the worker and /metrics adds up the pool's.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type Router from '@koa/router';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../logger.js';
import type { Stores } from './stores.js';
import type { ProviderHost } from '../oidc/provider-host.js';
import { securityHeaders } from '../http/security-headers.js';
import { useIssuerScheme } from '../http/https-issuer.js';
import { errorHandler } from '../http/error-handler.js';
import { withRequestId } from '../http/request-id.js';
import { metricsRouter } from '../http/metrics-route.js';
import { poolMetricsWorker } from '../observability/pool-metrics.js';
import { errorPages } from '../../interactions/views/provider-pages.js';
import { healthRouter } from './health.js';
import { firstRunRouter } from './first-run.js';

const SESAM_PATHS = /^\/(?:$|\?|healthz\b|readyz\b|metrics\b|interaction\/|admin(?:\/|$)|account(?:[/?]|$))/;

/** Paths Sesam serves itself; the rest belong to the OIDC engine. */
export function isSesamPath(url: string): boolean {
  return SESAM_PATHS.test(url);
}

export interface HttpServer {
  app: Koa;
  /** Starts listening on the configured port; resolves to a local URL of the server. */
  listen(): Promise<string>;
  /** That local URL once listening (the portal's back channel to the engine uses it). */
  localUrl(): string | undefined;
  /** Stops taking requests and lets those under way finish. */
  close(): Promise<void>;
}

export function createHttpServer(settings: Settings, stores: Stores, engine: Pick<ProviderHost, 'handle'>, routers: Router[], logger: Logger): HttpServer {
  const app = new Koa();
  app.keys = stores.cookieKeys; // the same keys as the engine's, so interaction cookies are signed alike
  app.proxy = settings.trustProxy;
  useIssuerScheme(app, settings.issuer); // Secure cookies behind a TLS-terminating proxy too
  app.use(errorHandler(logger, errorPages(settings.defaultLocale)));
  app.use(securityHeaders(settings.issuer));
  let closing = false;
  // A worker of a pool (SESAM_WORKERS > 1) says which one answered, and /metrics covers the pool.
  const pool = cluster.isWorker ? poolMetricsWorker(stores.metrics) : undefined;
  app.use(healthRouter(stores, () => closing, cluster.worker?.id).routes());
  app.use(metricsRouter(pool ? pool.exposition : () => stores.metrics.exposition(), settings.metricsToken).routes());
  app.use(firstRunRouter(settings, stores).routes());
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());

  let server: http.Server | undefined;
  let local: string | undefined;
  return {
    app,
    localUrl: () => local,
    async listen() {
      const sesamApp = app.callback();
      const listening = http.createServer(withRequestId((req, res) => (isSesamPath(req.url ?? '/') ? sesamApp(req, res) : engine.handle(req, res))));
      server = listening;
      listening.keepAliveTimeout = 65000;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(settings.port, settings.host, () => resolve());
      });
      const { port, address } = listening.address() as AddressInfo;
      logger.info({ port, issuer: settings.issuer }, 'sesam listening');
      // Any-address listeners answer on the loopback; otherwise the address bound to.
      const host = address === '::' || address === '0.0.0.0' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
      local = `http://${host}:${port}`;
      return local;
    },
    async close() {
      closing = true;
      pool?.stop();
      const listening = server;
      if (!listening) return;
      await new Promise<void>((resolve) => {
        listening.close(() => resolve());
        listening.closeIdleConnections();
        setTimeout(() => listening.closeAllConnections(), 10000).unref();
      });
    },
  };
}
