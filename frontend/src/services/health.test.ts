// @vitest-environment node
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchReadiness, toServiceHealth } from './health';

describe('toServiceHealth', () => {
  it('maps 200 ready, 503 with its reason, and anything else', () => {
    expect(toServiceHealth(200, { status: 'ready' })).toEqual({ state: 'ready' });
    expect(toServiceHealth(503, { status: 'unavailable', reason: 'db down' })).toEqual({
      state: 'unavailable',
      reason: 'db down',
    });
    expect(toServiceHealth(502, null)).toEqual({ state: 'unreachable', reason: 'unexpected answer 502' });
  });
});

describe('fetchReadiness against a real HTTP server', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'unavailable', reason: 'database unreachable: ECONNREFUSED' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads a 503 body's reason", async () => {
    expect(await fetchReadiness(base)).toEqual({
      state: 'unavailable',
      reason: 'database unreachable: ECONNREFUSED',
    });
  });

  it('reports a closed port as unreachable', async () => {
    const closed = await new Promise<string>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(`http://127.0.0.1:${port}`));
      });
    });
    expect((await fetchReadiness(closed)).state).toBe('unreachable');
  });
});
