import { STATUS_CODES } from 'node:http';
import { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { type ApiErrorBody } from '../common/api-error';
import { type ApiKeyAuthenticator } from './api-key-authenticator';
import { type AuthFailureLimiter } from './auth-failure-limiter';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export const MISSING_KEY = 'Missing API key: send Authorization: Bearer <key>';
export const MALFORMED_KEY = 'Malformed Authorization header: expected Bearer <key>';
export const INVALID_KEY = 'Invalid or revoked API key';

/** The key of an `Authorization: Bearer <key>` header; undefined when absent or malformed. */
export function bearerKeyOf(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/**
 * Every route under /api/ needs a key (the open ones, /health, /ready, /metrics, /docs, the
 * dashboard and socket.io, live outside it): this is the one rule the check below can apply
 * before routing, where a route's @Public() marking is not yet known.
 */
const KEYED_PATHS = /^\/api\//;

function send(req: Request, res: Response, statusCode: number, message: string): void {
  const body: ApiErrorBody = { statusCode, error: STATUS_CODES[statusCode]!, message };
  // A body still on its way would otherwise be read and discarded to keep the connection alive:
  // 1 MB floods then cost the event loop their bandwidth. Closing costs a reconnect instead.
  const bodyComing =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (bodyComing) res.setHeader('Connection', 'close');
  res.status(statusCode).json(body);
}

/**
 * Runs before any body is read. Refuses at no cost what the API-key guard would refuse anyway:
 * a missing or malformed Authorization header, a key this replica already knows to be unknown,
 * and, from an address past its failed-authentication limit, any key this replica does not
 * already know (429 with Retry-After). A flood without a valid key therefore costs no body
 * parsing and, after the limit, no database lookup. What passes is still checked by the guard.
 */
export function bearerPrecheck(
  authenticator: ApiKeyAuthenticator,
  failures: AuthFailureLimiter,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'OPTIONS' || !KEYED_PATHS.test(req.path)) return next();
    const header = req.headers.authorization;
    if (header === undefined) return send(req, res, 401, MISSING_KEY);
    const key = bearerKeyOf(header);
    if (key === undefined) return send(req, res, 401, MALFORMED_KEY);
    const known = authenticator.peek(key);
    if (known === 'known') return next();
    const address = req.ip ?? 'unknown';
    failures
      .blockedFor(address)
      .then(async (retryAfterSeconds) => {
        if (retryAfterSeconds > 0) {
          res.setHeader('Retry-After', String(retryAfterSeconds));
          return send(
            req,
            res,
            429,
            `Too many failed authentications from this address; retry in ${retryAfterSeconds} s`,
          );
        }
        if (known === 'unknown') {
          await failures.recordFailure(address);
          return send(req, res, 401, INVALID_KEY);
        }
        next();
      })
      .catch(next);
  };
}
