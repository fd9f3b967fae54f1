/**
 * The last line: anything unexpected becomes a logged error and a plain answer (JSON for APIs,
 * a page in the user's language otherwise), never a stack trace.
 */
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

/** A page in the user's language saying only that the page does not exist, or that something failed. */
export type ErrorPages = (ctx: Context, problem: 'notFound' | 'generic') => string;

export function errorHandler(logger: Logger, pages: ErrorPages) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && !ctx.path.startsWith('/admin')) {
        ctx.status = 404;
        ctx.type = 'html';
        ctx.body = pages(ctx, 'notFound');
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
        ctx.type = 'html';
        ctx.body = pages(ctx, 'generic');
      }
    }
  };
}
