/**
 * Structured JSON logs (pino), with secrets redacted wherever they could appear. Each line
 * written while an HTTP request is served carries its `requestId` (src/http/request-id.ts puts it
 * in `requestContext`): the services log through this one shared logger, so the id travels with
 * the async context, not with a child logger handed down.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

/** What is known of the request being served, for the log lines written while serving it. */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sesam' },
      mixin: () => {
        const request = requestContext.getStore();
        return request ? { requestId: request.requestId } : {};
      },
      redact: {
        paths: ['password', '*.password', 'client_secret', '*.client_secret', 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.token', 'token'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };
