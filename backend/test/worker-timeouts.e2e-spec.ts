import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { JobQueue } from '../src/queue/job-queue';
import { jobFactory } from './support/job-factory';
import { builtScript, cleanEnv, startNode, waitUntil } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';

const WORKER = 'backend/src/main.worker.js';

/** CPU seconds (user + system) the process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime: fields 14 and 15 of stat, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Every attempt has a time limit (the job's timeout_ms): one past it is aborted and fails with
 * `timed out after <n> ms`, so it is retried with backoff and then goes to the DLQ. A CPU-bound
 * handler's thread is ended, not left burning.
 */
describe('job time limits on a real worker process', () => {
  let db: TestDatabase;
  let pool: Pool;
  let queue: JobQueue;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
    queue = new JobQueue(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('aborts a timed-out attempt, retries it with backoff, then moves it to the DLQ; a CPU job’s thread stops', async () => {
    const [tenant] = await query<{ id: string }>(
      db.url,
      `INSERT INTO tenants (name) VALUES ('t') RETURNING id`,
    );
    const [sleeper, burner, quick] = await queue.insertMany([
      jobFactory.build(tenant.id, {
        type: 'sleep',
        payload: { seconds: 30 },
        maxAttempts: 2,
        timeoutMs: 300,
      }),
      jobFactory.build(tenant.id, {
        type: 'image',
        payload: { iterations: 10_000_000, failure_rate: 0 },
        maxAttempts: 1,
        timeoutMs: 700,
      }),
      jobFactory.build(tenant.id, { type: 'sleep', payload: { seconds: 0.2 }, timeoutMs: 5_000 }),
    ]);
    const worker = startNode(
      builtScript(WORKER),
      [],
      cleanEnv({
        DATABASE_URL: db.url,
        WORKER_CONCURRENCY: '3',
        BACKOFF_BASE_MS: '100',
        BACKOFF_MAX_MS: '200',
      }),
    );
    try {
      await waitUntil(
        'the timed-out jobs are dead and the quick one completed',
        async () => {
          const { rows } = await pool.query(
            `SELECT id FROM jobs WHERE (id = ANY($1) AND status = 'dead') OR (id = $2 AND status = 'completed')`,
            [[sleeper.id, burner.id], quick.id],
          );
          return rows.length === 3;
        },
        20_000,
      );
      // The image job asked for ~10 s of CPU; its thread was terminated at 700 ms. A thread still
      // burning would take a core (3 s in this window; over 1 s even with the machine busy); an
      // idle worker takes a few tens of ms, more on a loaded machine.
      const before = cpuSeconds(worker.child.pid!);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(cpuSeconds(worker.child.pid!) - before).toBeLessThan(1);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    const rows = await query<{ id: string; attempts: number; last_error: string; errors: unknown[] }>(
      db.url,
      `SELECT id, attempts, last_error, errors FROM jobs WHERE id = ANY($1) ORDER BY attempts DESC`,
      [[sleeper.id, burner.id]],
    );
    expect(rows).toEqual([
      expect.objectContaining({ id: sleeper.id, attempts: 2, last_error: 'timed out after 300 ms' }),
      expect.objectContaining({ id: burner.id, attempts: 1, last_error: 'timed out after 700 ms' }),
    ]);
    expect(JSON.stringify(rows[0].errors).match(/timed out after 300 ms/g)).toHaveLength(2);
    const dead = await query<{ job_id: string }>(
      db.url,
      `SELECT job_id FROM dead_letter_jobs WHERE job_id = ANY($1) ORDER BY job_id`,
      [[sleeper.id, burner.id]],
    );
    expect(dead.map((row) => row.job_id).sort()).toEqual([sleeper.id, burner.id].sort());
  });
});
