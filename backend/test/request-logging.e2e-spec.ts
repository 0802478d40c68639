import { freePort } from '../src/database/embedded/embedded-database';
import { createCaller, type TestCaller } from './support/api';
import {
  builtScript,
  cleanEnv,
  type RunningProcess,
  startNode,
  waitForStatus,
  waitUntil,
} from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';

interface LogLine {
  process?: string;
  req?: { id?: string; method?: string; url?: string; headers?: Record<string, string> };
  res?: { statusCode?: number };
}

/** The request log of a real API process: one JSON line per request, on stdout. */
describe('request logging (the API process, LOG_LEVEL=info)', () => {
  let db: TestDatabase;
  let api: RunningProcess;
  let base: string;
  let caller: TestCaller;

  const lines = (): Array<{ raw: string; line: LogLine }> =>
    api
      .output()
      .split('\n')
      .filter((raw) => raw.startsWith('{'))
      .map((raw) => ({ raw, line: JSON.parse(raw) as LogLine }));
  const requestLines = () => lines().filter(({ line }) => line.req !== undefined);

  beforeAll(async () => {
    db = await createTestDatabase();
    caller = await createCaller(db.url, 'logged');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = startNode(
      builtScript('backend/src/main.api.js'),
      [],
      cleanEnv({ DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'info', DASHBOARD_DIR: '' }),
    );
    await waitForStatus(`${base}/ready`);
  });
  afterAll(async () => {
    api.child.kill('SIGTERM');
    await api.exited;
    await db.drop();
  });

  it('writes a line per request under its trace id, once per process key, with no credential', async () => {
    const submitted = await fetch(`${base}/api/v1/jobs`, {
      method: 'POST',
      headers: {
        Authorization: caller.bearer,
        'Content-Type': 'application/json',
        'X-Request-Id': 'log-trace-1',
        Cookie: 'session=cookie-secret',
      },
      body: JSON.stringify({ payload: { n: 1 } }),
    });
    expect(submitted.status).toBe(201);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { id } = (await submitted.json()) as { id: string };
    const read = await fetch(`${base}/api/v1/jobs/${id}`, {
      headers: { Authorization: caller.bearer, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(read.status).toBe(200);
    const logged = (trace: string) => requestLines().find(({ line }) => line.req?.id === trace);
    // Each line is awaited by its own trace id: a line is written once its response has gone,
    // and under load the two can arrive in either order, after other lines.
    await waitUntil('both requests are logged', () => !!logged('log-trace-1') && !!logged(traceId));

    const [post, get] = ['log-trace-1', traceId].map(logged);
    expect(post?.line).toMatchObject({
      req: { method: 'POST', url: '/api/v1/jobs' },
      res: { statusCode: 201 },
    });
    expect(get?.line).toMatchObject({ req: { method: 'GET' }, res: { statusCode: 200 } });
    // Headers from an allowlist only: never the key or a cookie, under whatever name they came.
    expect(post!.line.req!.headers).toEqual({
      'content-type': 'application/json',
      'content-length': expect.any(String),
      'user-agent': expect.any(String),
    });
    expect(api.output()).not.toContain(caller.key);
    expect(api.output()).not.toContain('cookie-secret');
    for (const { raw } of [post!, get!]) expect(raw.match(/"process":/g)).toHaveLength(1);
  });

  it('logs a body refused before routing under its trace id, and its request line', async () => {
    const refused = await fetch(`${base}/api/v1/jobs`, {
      method: 'POST',
      headers: {
        Authorization: caller.bearer,
        'Content-Type': 'application/json',
        'X-Request-Id': 'log-bad-json',
      },
      body: '{"payload": {',
    });
    expect(refused.status).toBe(400);
    await waitUntil('the refusal is logged', () =>
      api.output().includes('request log-bad-json POST /api/v1/jobs refused: 400'),
    );
    // And, as any answered request, a request line with its status.
    await waitUntil('its request line is written', () =>
      requestLines().some(({ line }) => line.req?.id === 'log-bad-json' && line.res?.statusCode === 400),
    );
  });

  it('writes no line for probes and scrapes', async () => {
    const before = requestLines().length;
    for (const path of ['/health', '/ready', '/metrics', '/ready?probe=1'])
      expect((await fetch(`${base}${path}`)).status).toBe(200);
    // A request that is logged, after them: once its line is out, theirs would be too.
    await fetch(`${base}/api/v1/auth/me`, {
      headers: { Authorization: caller.bearer, 'X-Request-Id': 'log-last' },
    });
    await waitUntil('the last request is logged', () =>
      requestLines().some(({ line }) => line.req?.id === 'log-last'),
    );
    // Only the probes are judged: a line of an earlier test's request may still come in between.
    const urls = requestLines()
      .slice(before)
      .map(({ line }) => line.req?.url);
    expect(urls).toContain('/api/v1/auth/me');
    expect(urls.filter((url) => url === undefined || !url.startsWith('/api/'))).toEqual([]);
  });
});
