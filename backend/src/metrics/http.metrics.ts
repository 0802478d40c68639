import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Histogram, register } from 'prom-client';

export const HTTP_REQUEST_DURATION_METRIC = 'conveyor_http_request_duration_seconds';

/** The route label of a request no route matched (a 404, the dashboard's files, a body-parser error). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Buckets from 1 ms: a one-job submission takes a few milliseconds, so prom-client's default
 * buckets (from 5 ms) would put most of the API's traffic in the first one.
 */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Request durations by method, route template and status, on the default registry. Looked up
 * before it is made: a second Nest app in one process (tests) must reuse it.
 */
export function httpRequestDuration(): Histogram<'method' | 'route' | 'status'> {
  return (
    (register.getSingleMetric(HTTP_REQUEST_DURATION_METRIC) as
      Histogram<'method' | 'route' | 'status'> | undefined) ??
    new Histogram({
      name: HTTP_REQUEST_DURATION_METRIC,
      help: 'HTTP requests by method, route template and status: from arrival to the last byte handed to the OS',
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
    })
  );
}

/**
 * The route TEMPLATE (`/api/v1/jobs/:id`), never the path: a label per job id would grow the
 * series without bound. Fastify gives the template of the route that matched, controller prefix
 * included. A wildcard route (the dashboard's index.html fallback) and a request no route matched
 * (a 404) are `unmatched`; each of the dashboard's files is a route of its own, labelled with its
 * path (as many series as the build has files). The routes are known before the hooks run, so a
 * request refused by the bearer pre-check or its body's parser is labelled with its route.
 */
function routeOf(request: FastifyRequest): string {
  const url = request.is404 ? undefined : request.routeOptions.url;
  if (typeof url !== 'string' || url.includes('*')) return UNMATCHED_ROUTE;
  return url;
}

const STARTED = Symbol('httpRequestStarted');
type TimedRequest = FastifyRequest & { [STARTED]?: bigint };

/**
 * Fastify hooks timing every request: `onRequest` is added first so that body parsing counts,
 * `onResponse` runs when the last byte is handed to the OS. On the hot path of every submission,
 * so they read the clock at each end and observe once, and nothing else: about 1.3 µs a request
 * (measured over 1M observes with these labels and buckets). A request whose client hung up
 * before the answer is not recorded: it has no status to label it with, and Fastify runs no
 * `onResponse` for it.
 *
 * /metrics itself is recorded too: one more series, and the scrape's duration is worth seeing
 * (it includes the database reads of the job gauges). Server-Sent Events streams are not: their
 * durations would fill the top bucket of every latency quantile.
 */
export function recordHttpMetrics(instance: FastifyInstance): void {
  const histogram = httpRequestDuration();
  instance.addHook('onRequest', (request: TimedRequest, _reply, done) => {
    request[STARTED] = process.hrtime.bigint();
    done();
  });
  instance.addHook('onResponse', (request: TimedRequest, reply, done) => {
    const start = request[STARTED];
    // An event stream's duration is how long its client stayed, not a latency: left out.
    const type = reply.raw.getHeader('content-type');
    if (start !== undefined && !(typeof type === 'string' && type.startsWith('text/event-stream'))) {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      histogram.observe(
        { method: request.method, route: routeOf(request), status: String(reply.statusCode) },
        seconds,
      );
    }
    done();
  });
}
