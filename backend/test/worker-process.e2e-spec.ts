import { freePort } from '../src/database/embedded/embedded-database';
import { builtScript, cleanEnv, startNode, waitForStatus } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const WORKER = 'backend/src/main.worker.js';
const API = 'backend/src/main.api.js';

describe('process entry points', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('the worker starts, connects, and exits 0 on SIGTERM', async () => {
    const worker = startNode(builtScript(WORKER), [], cleanEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'info' }));
    try {
      await worker.waitFor(/Worker ready/);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });

  it('the API serves /ready and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const api = startNode(
      builtScript(API),
      [],
      cleanEnv({ DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'info' }),
    );
    try {
      await api.waitFor(/Nest application successfully started/);
      await waitForStatus(`http://127.0.0.1:${port}/ready`, 200);
    } finally {
      api.child.kill('SIGTERM');
    }
    expect(await api.exited).toEqual({ code: 0, signal: null });
  });

  it.each([WORKER, API])('%s exits 1 naming DATABASE_URL when it is unset', async (script) => {
    const result = startNode(builtScript(script), [], cleanEnv({}));
    expect((await result.exited).code).toBe(1);
    expect(result.output()).toContain('DATABASE_URL is required');
    expect(result.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a worker started before its database says so, keeps retrying, and still exits 0 on SIGTERM', async () => {
    const closedPort = await freePort();
    const worker = startNode(
      builtScript(WORKER),
      [],
      cleanEnv({ DATABASE_URL: `postgres://x@127.0.0.1:${closedPort}/x`, LOG_LEVEL: 'info' }),
    );
    try {
      await worker.waitFor(/database unreachable: connect ECONNREFUSED[\s\S]*database unreachable/, 15_000);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });

  it('the worker exits 1 listing bad variables', async () => {
    const worker = startNode(
      builtScript(WORKER),
      [],
      cleanEnv({ DATABASE_URL: 'redis://x', WORKER_CONCURRENCY: '0' }),
    );
    expect((await worker.exited).code).toBe(1);
    expect(worker.output()).toMatch(/DATABASE_URL: .*postgres/);
    expect(worker.output()).toMatch(/WORKER_CONCURRENCY: /);
  });
});
