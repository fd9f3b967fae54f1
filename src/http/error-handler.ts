/**
 * The last line: anything unexpected becomes a logged error and a plain answer (JSON for APIs,
 * a page in the user's language otherwise), never a stack trace.
 */
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { Locale } from '../../interactions/i18n/index.js';
import { pageContextFor } from '../../interactions/views/provider-pages.js';
import { errorPage } from '../../interactions/views/layout.js';

export function errorHandler(logger: Logger, fallback: Locale) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && !ctx.path.startsWith('/admin')) {
        const pc = pageContextFor(ctx, fallback);
        ctx.status = 404;
        ctx.type = 'html';
        ctx.body = errorPage(pc, pc.t('page.notFound'));
      }
    } catch (err) {
      const status = (err as { status?: number; expose?: boolean }).status;
      const expose = (err as { expose?: boolean }).expose;
      if (!status || status >= 500) logger.error({ err, path: ctx.path }, 'request failed');
      ctx.status = status && status < 500 ? status : 500;
      const message = expose ? (err as Error).message : 'internal error';
      if (ctx.path.startsWith('/admin') || ctx.accepts('html', 'json') === 'json') {
        ctx.body = { error: ctx.status === 500 ? 'server_error' : 'invalid_request', error_description: message };
      } else {
        const pc = pageContextFor(ctx, fallback);
        ctx.type = 'html';
        ctx.body = errorPage(pc, pc.t('error.generic'));
      }
    }
  };
}
