/** Structured JSON logs (pino), with secrets redacted wherever they could appear. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'sesam' },
    redact: {
      paths: ['password', '*.password', 'client_secret', '*.client_secret', 'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.token', 'token'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
