// @vitest-environment node
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchServiceHealth, toLiveness, toReadiness } from './health';

describe('toLiveness and toReadiness', () => {
  it('map 200 answers to up', () => {
    expect(toLiveness(200, { status: 'ok' })).toEqual({ state: 'up' });
    expect(toReadiness(200, { status: 'ready' })).toEqual({ state: 'up' });
  });

  it("map a 503 from /ready to unavailable with the server's reason", () => {
    expect(toReadiness(503, { status: 'unavailable', reason: 'db down' })).toEqual({
      state: 'unavailable',
      reason: 'db down',
    });
    expect(toReadiness(503, null)).toEqual({ state: 'unavailable', reason: 'not ready' });
  });

  it('map answers the API never gives (a proxy 502, an HTML page) to unreachable', () => {
    expect(toLiveness(502, null)).toEqual({ state: 'unreachable', reason: 'unexpected answer 502' });
    expect(toReadiness(200, null)).toEqual({ state: 'unreachable', reason: 'unexpected answer 200' });
  });
});

/** A real HTTP server answering like an API process whose database is down. */
function apiWithDatabaseDown(): Server {
  return createServer((req, res) => {
    const [status, body] =
      req.url === '/health'
        ? [200, { status: 'ok' }]
        : req.url === '/ready'
          ? [503, { status: 'unavailable', reason: 'database unreachable: ECONNREFUSED' }]
          : [404, { statusCode: 404 }];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
}

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

describe('fetchServiceHealth against a real HTTP server', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = apiWithDatabaseDown();
    base = await listen(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reports the process up and the database unavailable with the reason from the 503 body', async () => {
    const health = await fetchServiceHealth(base);
    expect(health.liveness).toEqual({ state: 'up' });
    expect(health.readiness).toEqual({ state: 'unavailable', reason: 'database unreachable: ECONNREFUSED' });
    expect(health.checkedAt).toBeInstanceOf(Date);
  });

  it('reports both checks unreachable when nothing listens', async () => {
    const probe = createServer();
    const closed = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const health = await fetchServiceHealth(closed);
    expect(health.liveness.state).toBe('unreachable');
    expect(health.readiness.state).toBe('unreachable');
  });
});
