/**
 * Every request gets an id: the caller's X-Request-Id when it is a plain token (up to 64
 * letters, digits, dots, dashes, underscores: a proxy's or a load balancer's), else a new UUID.
 * It is answered in X-Request-Id and every log line written while serving the request carries
 * it (requestContext, src/logger.ts), for the engine's routes and Sesam's alike.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestContext } from '../logger.js';

const VALID_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The id of a request: the valid one it came with, or a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && VALID_ID.test(given) ? given : randomUUID();
}

export function withRequestId(handler: (req: IncomingMessage, res: ServerResponse) => unknown): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader('X-Request-Id', requestId);
    requestContext.run({ requestId }, () => handler(req, res));
  };
}
