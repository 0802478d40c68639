import { Pool } from 'pg';
import { JobQueue } from '../src/queue/job-queue';
import { jobFactory } from './support/job-factory';
import { builtScript, cleanEnv, type RunningProcess, startNode, waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const WORKER = 'backend/src/main.worker.js';

describe('worker processes running jobs from a real PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;
  let queue: JobQueue;
  let tenant: string;
  const workers: RunningProcess[] = [];

  const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await pool.query(text, values)).rows as T[];

  const startWorker = async (vars: Record<string, string> = {}): Promise<RunningProcess> => {
    const worker = startNode(
      builtScript(WORKER),
      [],
      cleanEnv({
        DATABASE_URL: db.url,
        LOG_LEVEL: 'info',
        POLL_INTERVAL_MS: '200',
        RESCUE_INTERVAL_MS: '300',
        METRICS_ROLL_INTERVAL_MS: '200',
        ...vars,
      }),
    );
    workers.push(worker);
    await worker.waitFor(/Worker ready/);
    return worker;
  };

  const countByStatus = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      (
        await sql<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM jobs GROUP BY status',
        )
      ).map((row) => [row.status, row.n]),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
    queue = new JobQueue(pool);
    [{ id: tenant }] = await sql<{ id: string }>(`INSERT INTO tenants (name) VALUES ('acme') RETURNING id`);
  });
  beforeEach(async () => {
    await sql('TRUNCATE jobs, dead_letter_jobs, job_transitions, job_counts, job_metrics');
    await sql('UPDATE tenants SET running_jobs = 0, max_concurrency = NULL');
  });

  /** Once the roller has folded every transition: job_metrics summed over all buckets. */
  const rolledMetrics = async (): Promise<Record<string, number>> => {
    await waitUntil(
      'the roller folded every transition',
      async () => (await sql('SELECT 1 FROM job_transitions LIMIT 1')).length === 0,
      10_000,
    );
    const [totals] = await sql<Record<string, number>>(
      `SELECT coalesce(sum(submitted), 0)::int AS submitted, coalesce(sum(started), 0)::int AS started,
              coalesce(sum(completed), 0)::int AS completed, coalesce(sum(failed), 0)::int AS failed,
              coalesce(sum(retried), 0)::int AS retried, coalesce(sum(dead), 0)::int AS dead FROM job_metrics`,
    );
    return totals;
  };

  /** The counters' view of a tenant, without the zero rows. */
  const countersOf = async (tenantId: string): Promise<Record<string, number>> =>
    Object.fromEntries(Object.entries(await queue.countsByStatus(tenantId)).filter(([, n]) => n !== 0));
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('4 worker processes complete 10,000 jobs, each exactly once', async () => {
    for (let i = 0; i < 10; i++) {
      await queue.insertMany(jobFactory.many(tenant, 1_000, { payload: { duration_ms: 0 } }));
    }
    await Promise.all(Array.from({ length: 4 }, () => startWorker({ WORKER_CONCURRENCY: '10' })));
    await waitUntil('every job completed', async () => (await countByStatus()).completed === 10_000, 90_000);
    const [summary] = await sql<{ error_lists: number; max_attempts: number; without_result: number }>(
      `SELECT count(DISTINCT errors)::int AS error_lists, max(attempts)::int AS max_attempts,
              count(*) FILTER (WHERE result IS NULL)::int AS without_result FROM jobs`,
    );
    expect(summary).toEqual({ error_lists: 1, max_attempts: 1, without_result: 0 });
    expect(await countByStatus()).toEqual({ completed: 10_000 });
    // The counters agree with the table, before and after the roller folded the transitions.
    expect(await countersOf(tenant)).toEqual({ completed: 10_000 });
    // `started` counts claims: a worker hands back prefetched jobs that waited over a second for a
    // slot (a heavily loaded machine makes even these wait; CI once saw 548), and each is claimed
    // again, without spending an attempt (max_attempts above is 1).
    const { started, ...rolled } = await rolledMetrics();
    expect(rolled).toEqual({ submitted: 10_000, completed: 10_000, failed: 0, retried: 0, dead: 0 });
    expect(started).toBeGreaterThanOrEqual(10_000);
    expect(await countersOf(tenant)).toEqual({ completed: 10_000 });
  });

  it('jobs of a SIGKILLed worker are rescued after their lease and completed; none lost', async () => {
    const jobs = await queue.insertMany(jobFactory.many(tenant, 5, { payload: { duration_ms: 3_000 } }));
    const doomed = await startWorker({ WORKER_CONCURRENCY: '5', LEASE_SECONDS: '2' });
    await waitUntil('the doomed worker holds all five', async () => (await countByStatus()).running === 5);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    await startWorker({ WORKER_CONCURRENCY: '5', LEASE_SECONDS: '2' });
    await waitUntil('all five completed', async () => (await countByStatus()).completed === 5, 30_000);
    const rows = await sql<{ attempts: number; errors: Array<{ error: string }> }>(
      'SELECT attempts, errors FROM jobs WHERE id = ANY($1)',
      [jobs.map((job) => job.id)],
    );
    for (const row of rows) {
      expect(row.attempts).toBe(2);
      expect(row.errors[0].error).toMatch(/lease expired/);
    }
  });

  it('SIGTERM lets running jobs finish within the grace period, then exits 0', async () => {
    await queue.insertMany(jobFactory.many(tenant, 3, { payload: { duration_ms: 1_500 } }));
    const worker = await startWorker({ WORKER_CONCURRENCY: '3', SHUTDOWN_GRACE_SECONDS: '10' });
    await waitUntil('three running', async () => (await countByStatus()).running === 3);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(await countByStatus()).toEqual({ completed: 3 });
  });

  it('SIGTERM past the grace period aborts jobs and releases them without spending an attempt', async () => {
    await queue.insertMany(jobFactory.many(tenant, 2, { payload: { duration_ms: 60_000 } }));
    const worker = await startWorker({ WORKER_CONCURRENCY: '2', SHUTDOWN_GRACE_SECONDS: '1' });
    await waitUntil('two running', async () => (await countByStatus()).running === 2);
    const stoppedAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    expect(await sql('SELECT status, attempts, lease_owner FROM jobs')).toEqual([
      { status: 'pending', attempts: 0, lease_owner: null },
      { status: 'pending', attempts: 0, lease_owner: null },
    ]);
  });

  it('retries with exponential backoff, then moves the job to the DLQ with every error', async () => {
    const [{ id }] = await queue.insertMany([
      jobFactory.build(tenant, { type: 'fail', maxAttempts: 3, payload: { reason: 'nope' } }),
    ]);
    await startWorker({ BACKOFF_BASE_MS: '200' });
    await waitUntil('the job is dead', async () => (await countByStatus()).dead === 1, 20_000);
    const [dlq] = await sql<{ errors: Array<{ attempt: number; error: string; at: string }> }>(
      'SELECT errors FROM dead_letter_jobs WHERE job_id = $1',
      [id],
    );
    expect(dlq.errors.map((e) => [e.attempt, e.error])).toEqual([
      [1, 'nope'],
      [2, 'nope'],
      [3, 'nope'],
    ]);
    const at = dlq.errors.map((e) => new Date(e.at).getTime());
    // Nominal delays 200·2^1 = 400 ms and 200·2^2 = 800 ms; equal jitter keeps at least half.
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(200);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(400);
    expect(await rolledMetrics()).toEqual({
      submitted: 1,
      started: 3,
      completed: 0,
      failed: 3,
      retried: 2,
      dead: 1,
    });
    expect(await countersOf(tenant)).toEqual({ dead: 1 });
  });

  it("holds a tenant's max_concurrency across worker processes, sampled throughout", async () => {
    const [{ id: capped }] = await sql<{ id: string }>(
      `INSERT INTO tenants (name, max_concurrency) VALUES ('capped-' || gen_random_uuid(), 2) RETURNING id`,
    );
    await queue.insertMany(jobFactory.many(capped, 24, { payload: { duration_ms: 100 } }));
    await queue.insertMany(jobFactory.many(tenant, 24, { payload: { duration_ms: 100 } }));
    await Promise.all([startWorker({ WORKER_CONCURRENCY: '5' }), startWorker({ WORKER_CONCURRENCY: '5' })]);

    const samples: Array<{ capped: number; other: number }> = [];
    await waitUntil(
      'every job completed',
      async () => {
        const [sample] = await sql<{ capped: number; other: number; unfinished: number }>(
          `SELECT count(*) FILTER (WHERE status = 'running' AND tenant_id = $1)::int AS capped,
                  count(*) FILTER (WHERE status = 'running' AND tenant_id <> $1)::int AS other,
                  count(*) FILTER (WHERE status <> 'completed')::int AS unfinished
           FROM jobs`,
          [capped],
        );
        samples.push(sample);
        return sample.unfinished === 0;
      },
      30_000,
      5,
    );
    expect(samples.length).toBeGreaterThan(50);
    expect(Math.max(...samples.map((s) => s.capped))).toBe(2);
    // The cap held one tenant back, not the workers: the other tenant used the free slots.
    expect(Math.max(...samples.map((s) => s.other))).toBeGreaterThan(2);
    expect(await sql('SELECT running_jobs FROM tenants WHERE id = $1', [capped])).toEqual([
      { running_jobs: 0 },
    ]);
  });

  it('claims short jobs ahead of its slots, and releases those it has not started on SIGTERM', async () => {
    const worker = await startWorker({
      WORKER_CONCURRENCY: '1',
      WORKER_PREFETCH: '20',
      SHUTDOWN_GRACE_SECONDS: '10',
    });
    // A few short jobs first: the worker prefetches only once it knows its jobs are short.
    await queue.insertMany(jobFactory.many(tenant, 5, { payload: { duration_ms: 0 } }));
    await waitUntil('the short jobs completed', async () => (await countByStatus()).completed === 5);
    await sql('TRUNCATE jobs');
    // One statement, so that one claim sees them all; the long job is due first.
    await queue.insertMany([
      jobFactory.build(tenant, { payload: { duration_ms: 1_500 }, runAt: new Date(Date.now() - 60_000) }),
      ...jobFactory.many(tenant, 10, { payload: { duration_ms: 0 }, runAt: new Date(Date.now() - 1_000) }),
    ]);
    const [long] = await sql<{ id: string }>(`SELECT id FROM jobs WHERE payload->>'duration_ms' = '1500'`);
    await waitUntil(
      'the long job runs',
      async () =>
        (await sql(`SELECT 1 FROM jobs WHERE id = $1 AND status = 'running'`, [long.id])).length === 1,
    );
    // Claimed with it and leased to this worker, waiting behind its only slot.
    const held = await sql<{ id: string }>(
      `SELECT id FROM jobs WHERE status = 'running' AND id <> $1 AND lease_owner IS NOT NULL`,
      [long.id],
    );
    expect(held.length).toBeGreaterThan(0);
    expect(await queue.cancel(tenant, held[0].id)).toEqual({ previousStatus: 'running', cancelled: true });

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const rows = await sql<{ id: string; status: string; attempts: number; lease_owner: string | null }>(
      'SELECT id, status, attempts, lease_owner FROM jobs',
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(long.id)).toMatchObject({ status: 'completed', attempts: 1 });
    expect(byId.get(held[0].id)).toMatchObject({ status: 'cancelled' });
    const rest = rows.filter((row) => row.id !== long.id && row.id !== held[0].id);
    expect(rest).toHaveLength(9);
    // Released without spending an attempt, like the jobs that were never claimed.
    expect(
      rest.every((row) => row.status === 'pending' && row.attempts === 0 && row.lease_owner === null),
    ).toBe(true);
  });

  it('hands prefetched jobs back to the queue once its jobs turn out slow', async () => {
    await startWorker({ WORKER_CONCURRENCY: '1', WORKER_PREFETCH: '20' });
    await queue.insertMany(jobFactory.many(tenant, 5, { payload: { duration_ms: 0 } }));
    await waitUntil('the short jobs completed', async () => (await countByStatus()).completed === 5);
    await sql('TRUNCATE jobs');
    await queue.insertMany([
      jobFactory.build(tenant, { payload: { duration_ms: 2_000 }, runAt: new Date(Date.now() - 60_000) }),
      ...jobFactory.many(tenant, 10, {
        payload: { duration_ms: 5_000 },
        runAt: new Date(Date.now() - 1_000),
      }),
    ]);
    await waitUntil('prefetched with the first', async () => (await countByStatus()).running > 1);
    // The others waited two seconds behind it: the worker keeps only what its one slot runs.
    await waitUntil('the first completed', async () => (await countByStatus()).completed === 1, 10_000);
    await waitUntil(
      'the rest handed back',
      async () => {
        const counts = await countByStatus();
        return counts.running === 1 && counts.pending === 9;
      },
      3_000,
    );
    const attempts = await sql<{ attempts: number }>(`SELECT attempts FROM jobs WHERE status = 'pending'`);
    expect(attempts.every((row) => row.attempts === 0)).toBe(true);
  });

  it('cancelling a running job aborts it on the worker holding it, which moves on', async () => {
    const [long] = await queue.insertMany([jobFactory.build(tenant, { payload: { duration_ms: 60_000 } })]);
    await startWorker({ WORKER_CONCURRENCY: '1' });
    await waitUntil('the long job runs', async () => (await countByStatus()).running === 1);
    const [next] = await queue.insertMany([jobFactory.build(tenant, { payload: { duration_ms: 0 } })]);
    expect(await queue.cancel(tenant, long.id)).toEqual({ previousStatus: 'running', cancelled: true });
    // With one slot, the next job can only run once the cancelled handler has let go of it.
    await waitUntil('the next job completed', async () => (await countByStatus()).completed === 1, 10_000);
    const rows = await sql<{ id: string; status: string }>('SELECT id, status FROM jobs ORDER BY created_at');
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      [long.id]: 'cancelled',
      [next.id]: 'completed',
    });
  });

  it("round-robins across tenants: a small tenant's jobs finish long before a big tenant's backlog drains", async () => {
    const [{ id: small }] = await sql<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('small-' || gen_random_uuid()) RETURNING id`,
    );
    for (let i = 0; i < 5; i++) {
      await queue.insertMany(jobFactory.many(tenant, 1_000, { payload: { duration_ms: 5 } }));
    }
    await queue.insertMany(jobFactory.many(small, 50, { payload: { duration_ms: 5 } }));
    await startWorker({ WORKER_CONCURRENCY: '10' });
    await waitUntil(
      "the small tenant's jobs are all done",
      async () =>
        (await sql(`SELECT 1 FROM jobs WHERE tenant_id = $1 AND status <> 'completed'`, [small])).length ===
        0,
      30_000,
    );
    const [{ n }] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND status = 'completed'`,
      [tenant],
    );
    // Strict alternation would have run ~50 of the big tenant's; FIFO would have run all 5,000.
    expect(n).toBeLessThan(500);
  });

  it('an idle worker is woken by NOTIFY, also after its LISTEN connection was killed', async () => {
    // A 60 s poll: only a notification can explain a prompt pickup.
    await startWorker({ POLL_INTERVAL_MS: '60000' });
    await queue.insertMany([jobFactory.build(tenant, { payload: { duration_ms: 0 } })]);
    await waitUntil('the first job completed', async () => (await countByStatus()).completed === 1, 5_000);

    const killed = await sql<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
       WHERE application_name = 'conveyor-listen' AND datname = current_database()`,
    );
    expect(killed).toEqual([{ killed: true }]);
    await waitUntil(
      'the listener reconnected',
      async () =>
        (
          await sql(
            `SELECT 1 FROM pg_stat_activity WHERE application_name = 'conveyor-listen' AND datname = current_database()`,
          )
        ).length === 1,
      10_000,
    );
    await queue.insertMany([jobFactory.build(tenant, { payload: { duration_ms: 0 } })]);
    await waitUntil('the second job completed', async () => (await countByStatus()).completed === 2, 5_000);
  });

  it('does not run a delayed job early, and runs it once due', async () => {
    const delayMs = 1_500;
    const [{ id }] = await queue.insertMany([
      jobFactory.build(tenant, { runAt: new Date(Date.now() + delayMs), payload: { duration_ms: 0 } }),
    ]);
    await startWorker();
    await waitUntil('the delayed job completed', async () => (await countByStatus()).completed === 1, 10_000);
    const [row] = await sql<{ started_at: Date; run_at: Date }>(
      'SELECT started_at, run_at FROM jobs WHERE id = $1',
      [id],
    );
    expect(row.started_at.getTime()).toBeGreaterThanOrEqual(row.run_at.getTime());
  });
});
