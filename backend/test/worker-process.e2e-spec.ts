import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { freePort } from '../src/database/embedded/embedded-database';
import { envOfWorker } from '../src/launcher/worker-supervisor';
import { JobQueue } from '../src/queue/job-queue';
import { jobFactory } from './support/job-factory';
import { builtScript, cleanEnv, startNode, waitForStatus, waitUntil } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';

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

  it('serves its own /metrics on WORKER_METRICS_PORT: claim and run durations, behind METRICS_TOKEN', async () => {
    const [tenant] = await query<{ id: string }>(
      db.url,
      `INSERT INTO tenants (name) VALUES ('metered') RETURNING id`,
    );
    const pool = new Pool({ connectionString: db.url, max: 2 });
    const jobs = [
      ...jobFactory.many(tenant.id, 3, { queue: 'metered' }),
      jobFactory.build(tenant.id, { queue: 'metered', type: 'fail', maxAttempts: 1 }),
    ];
    const ids = (await new JobQueue(pool).insertMany(jobs)).map((job) => job.id);
    const port = await freePort();
    const worker = startNode(
      builtScript(WORKER),
      [],
      cleanEnv({
        DATABASE_URL: db.url,
        WORKER_METRICS_PORT: String(port),
        METRICS_TOKEN: 's3cret',
        LOG_LEVEL: 'info',
      }),
    );
    const url = `http://127.0.0.1:${port}/metrics`;
    try {
      await worker.waitFor(/Worker metrics at/);
      await waitUntil('the four jobs ended', async () => {
        const { rows } = await pool.query(
          `SELECT id FROM jobs WHERE id = ANY($1) AND status IN ('completed', 'dead')`,
          [ids],
        );
        return rows.length === 4;
      });
      const unauthorized = await fetch(url);
      expect(unauthorized.status).toBe(401);
      expect(await unauthorized.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.stringContaining('METRICS_TOKEN'),
      });
      expect((await fetch(url, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      const scrape = await fetch(url, { headers: { Authorization: 'Bearer s3cret' } });
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(text).toContain(
        'conveyor_worker_run_duration_seconds_count{type="default",outcome="completed"} 3',
      );
      expect(text).toContain('conveyor_worker_run_duration_seconds_count{type="fail",outcome="failed"} 1');
      expect(text).toContain('conveyor_worker_claimed_jobs_total 4');
      expect(text).toMatch(/^conveyor_worker_claim_duration_seconds_count [1-9]\d*$/m);
      expect(text).toMatch(/^conveyor_worker_jobs\{state="running"\} 0$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    } finally {
      worker.child.kill('SIGTERM');
      await pool.end();
    }
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });

  it('the launcher gives each worker its own metrics port, whether the base came from .env or not', () => {
    expect(envOfWorker({}, 2, 9464).WORKER_METRICS_PORT).toBe('9466');
    expect(envOfWorker({ WORKER_METRICS_PORT: '9464' }, 0, 9464).WORKER_METRICS_PORT).toBe('9464');
    expect(envOfWorker({}, 1, 0).WORKER_METRICS_PORT).toBeUndefined();
  });

  it('a worker whose metrics port is taken exits 1 naming WORKER_METRICS_PORT, before claiming anything', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const worker = startNode(
        builtScript(WORKER),
        [],
        cleanEnv({ DATABASE_URL: db.url, WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'info' }),
      );
      expect((await worker.exited).code).toBe(1);
      expect(worker.output()).toContain(`Port ${port} is already in use`);
      expect(worker.output()).toContain('WORKER_METRICS_PORT');
      expect(worker.output()).not.toContain('running (concurrency');
    } finally {
      taken.close();
    }
  });
});
