/**
 * Every answer of the admin API that is not a success is JSON `{ error, error_description }`:
 * refusals of the directory, validation errors, malformed bodies, and (logged, without detail)
 * anything unexpected. Never a stack trace, never HTML.
 */
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { DirectoryError } from '../domain/directory.js';
import { TenantAdminError } from '../domain/tenant-administration.js';
import { describeZodError } from '../domain/schemas.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

export const badRequest = (description: string) => new ApiError(400, 'invalid_request', description);
export const notFound = (description: string) => new ApiError(404, 'not_found', description);
export const conflict = (description: string) => new ApiError(409, 'conflict', description);

/** Parses `value` with `schema`, or refuses with `<field>: <problem>`. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(describeZodError(result.error));
  return result.data;
}

function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof DirectoryError) {
    if (err.code === 'not_found') return notFound(err.message);
    if (err.code === 'conflict') return conflict(err.message);
    return badRequest(err.message);
  }
  if (err instanceof TenantAdminError) {
    if (err.code === 'forbidden') return new ApiError(403, 'forbidden', err.message);
    if (err.code === 'not_found') return notFound(err.message);
    if (err.code === 'shared_account') return new ApiError(409, 'shared_account', err.message);
    if (err.code === 'conflict') return conflict(err.message);
    return badRequest(err.message);
  }
  if (err instanceof z.ZodError) return badRequest(describeZodError(err));
  const e = err as { status?: number; statusCode?: number; type?: string; code?: string; expose?: boolean; message?: string };
  // Unique or foreign-key violation from a concurrent change.
  if (e.code === '23505') return conflict('already exists (changed concurrently)');
  if (e.code === '23503') return conflict('refers to something that no longer exists (changed concurrently)');
  // Body parser (co-body / raw-body) errors.
  if (e.type === 'entity.parse.failed' || (e.status === 400 && err instanceof SyntaxError)) return badRequest(`body: not valid JSON (${e.message})`);
  if (e.type === 'entity.too.large') return new ApiError(413, 'invalid_request', 'body: larger than 256kb');
  if (e.type === 'entity.verify.failed' || e.type === 'request.aborted') return badRequest(`body: ${e.message}`);
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return new ApiError(415, 'invalid_request', `body: ${e.message}`);
  const status = e.status ?? e.statusCode;
  if (status && status >= 400 && status < 500) return new ApiError(status, 'invalid_request', e.expose && e.message ? e.message : 'invalid request');
  return undefined;
}

/** The first middleware of every admin route. */
export function apiErrors(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (err) {
      let apiError = toApiError(err);
      if (!apiError) {
        logger.error({ err, method: ctx.method, path: ctx.path }, 'admin request failed');
        apiError = new ApiError(500, 'server_error', 'internal error');
      }
      ctx.status = apiError.status;
      for (const [name, value] of Object.entries(apiError.headers)) ctx.set(name, value);
      ctx.body = { error: apiError.error, error_description: apiError.message };
    }
  };
}
