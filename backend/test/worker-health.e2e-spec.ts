import { Client, Pool } from 'pg';
import { freePort } from '../src/database/embedded/embedded-database';
import { JobQueue } from '../src/queue/job-queue';
import { jobFactory } from './support/job-factory';
import { builtScript, cleanEnv, type RunningProcess, startNode, waitUntil } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';

const WORKER = 'backend/src/main.worker.js';

interface Answer {
  status: number;
  body: { status?: string; reason?: string; state?: string };
}

async function get(port: number, route: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`);
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** Polls until the route answers `status`, returning that answer. */
async function awaitAnswer(port: number, route: string, status: number, timeoutMs = 15_000): Promise<Answer> {
  let answer: Answer | undefined;
  await waitUntil(
    `${route} answers ${status}`,
    async () => (answer = await get(port, route).catch(() => undefined))?.status === status,
    timeoutMs,
  );
  return answer!;
}

// A real worker process on a real PostgreSQL: what a Compose health check or a Kubernetes probe sees.
describe('worker /health and /ready', () => {
  let db: TestDatabase;
  const started: RunningProcess[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const worker of started.splice(0)) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });
  afterAll(() => db.drop());

  async function startWorker(
    env: Record<string, string> = {},
  ): Promise<{ worker: RunningProcess; port: number }> {
    const port = await freePort();
    const worker = startNode(
      builtScript(WORKER),
      [],
      cleanEnv({ DATABASE_URL: db.url, WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'info', ...env }),
    );
    started.push(worker);
    await worker.waitFor(/Worker metrics at/);
    return { worker, port };
  }

  it('answers 200 on both without the metrics token, while /metrics still requires it', async () => {
    const { port } = await startWorker({ METRICS_TOKEN: 's3cret' });
    const health = await awaitAnswer(port, '/health', 200);
    expect(health.body).toMatchObject({ status: 'ok', state: 'running' });
    expect(await awaitAnswer(port, '/ready', 200)).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { Authorization: 'Bearer s3cret' },
    });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('conveyor_worker_claim_duration_seconds');
  });

  it('fails /health while a claim hangs on the database, and recovers when it returns', async () => {
    const { port } = await startWorker({ POLL_INTERVAL_MS: '100', WORKER_STALL_SECONDS: '1' });
    await awaitAnswer(port, '/health', 200);
    // An exclusive lock on the jobs table makes the next claim wait for as long as it is held.
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE');
      const stalled = await awaitAnswer(port, '/health', 503);
      expect(stalled.body).toMatchObject({ status: 'unavailable', state: 'running' });
      expect(stalled.body.reason).toMatch(/claim loop stalled: a claim has waited \d+ ms on the database/);
      // The database itself answers: ready stays 200, so only liveness restarts such a worker.
      expect((await get(port, '/ready')).status).toBe(200);
      await locker.query('COMMIT');
      await awaitAnswer(port, '/health', 200);
    } finally {
      await locker.end();
    }
  });

  it('fails /ready but not /health while the database is unreachable', async () => {
    const closedPort = await freePort();
    const { port } = await startWorker({ DATABASE_URL: `postgres://x@127.0.0.1:${closedPort}/x` });
    const ready = await awaitAnswer(port, '/ready', 503);
    expect(ready.body).toMatchObject({ status: 'unavailable' });
    expect(ready.body.reason).toMatch(/^database unreachable: .*ECONNREFUSED/);
    // The loop backs off and retries; a restart would not bring the database back.
    expect((await get(port, '/health')).status).toBe(200);
  });

  it('fails /ready as "draining" while a stopping worker finishes its job, keeping /health 200', async () => {
    const [tenant] = await query<{ id: string }>(
      db.url,
      `INSERT INTO tenants (name) VALUES ('drain') RETURNING id`,
    );
    const pool = new Pool({ connectionString: db.url, max: 1 });
    const [job] = await new JobQueue(pool).insertMany([
      jobFactory.build(tenant.id, { type: 'sleep', payload: { seconds: 3 } }),
    ]);
    const { worker, port } = await startWorker({ SHUTDOWN_GRACE_SECONDS: '20' });
    try {
      await waitUntil('the sleep job runs', async () => {
        const { rows } = await pool.query('SELECT status FROM jobs WHERE id = $1', [job.id]);
        return rows[0].status === 'running';
      });
      worker.child.kill('SIGTERM');
      const draining = await awaitAnswer(port, '/ready', 503, 2_500);
      expect(draining.body).toEqual({ status: 'unavailable', reason: 'draining' });
      expect((await get(port, '/health')).body).toMatchObject({ status: 'ok', state: 'stopping' });
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      const { rows } = await pool.query('SELECT status FROM jobs WHERE id = $1', [job.id]);
      expect(rows[0].status).toBe('completed');
    } finally {
      await pool.end();
    }
  });
});
