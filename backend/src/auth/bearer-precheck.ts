import { type FastifyReply, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import { apiErrorBody } from '../common/api-error';
import { hasBody } from '../common/body-parsing';
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

/**
 * The route Fastify matched, not the raw target: `/%61pi/…` or `http://host/api/…` reach the same
 * routes as `/api/…`. A request no route took, or only a wildcard (the dashboard's fallback), is
 * judged by its target as sent.
 */
function targetOf(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  return request.is404 || route === undefined || route.includes('*') ? request.url : route;
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  message: string,
): FastifyReply {
  // A body still on its way would otherwise be read and discarded to keep the connection alive:
  // 1 MB floods then cost the event loop their bandwidth. Closing costs a reconnect instead.
  if (hasBody(request)) reply.header('Connection', 'close');
  return reply.code(statusCode).send(apiErrorBody(statusCode, message));
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
): onRequestHookHandler {
  /** A key this replica does not know yet, or knows to be unknown: the address's failures decide. */
  const judge = async (request: FastifyRequest, reply: FastifyReply, known: string): Promise<boolean> => {
    const address = request.ip;
    const retryAfterSeconds = await failures.blockedFor(address);
    if (retryAfterSeconds > 0) {
      reply.header('Retry-After', String(retryAfterSeconds));
      const message = `Too many failed authentications from this address; retry in ${retryAfterSeconds} s`;
      send(request, reply, 429, message);
      return false;
    }
    if (known !== 'unknown') return true;
    await failures.recordFailure(address);
    send(request, reply, 401, INVALID_KEY);
    return false;
  };
  // A callback hook, not an async one: a known key, every submission's case, passes without a promise.
  return (request, reply, done) => {
    if (request.method === 'OPTIONS' || !KEYED_PATHS.test(targetOf(request))) return done();
    const header = request.headers.authorization;
    if (header === undefined) return void send(request, reply, 401, MISSING_KEY);
    const key = bearerKeyOf(header);
    if (key === undefined) return void send(request, reply, 401, MALFORMED_KEY);
    const known = authenticator.peek(key);
    if (known === 'known') return done();
    judge(request, reply, known).then((passes) => passes && done(), done);
  };
}
