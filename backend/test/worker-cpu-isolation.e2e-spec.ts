import { Pool } from 'pg';
import { JobQueue } from '../src/queue/job-queue';
import { jobFactory } from './support/job-factory';
import { builtScript, cleanEnv, startNode, waitUntil } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';

const WORKER = 'backend/src/main.worker.js';
const LEASE_SECONDS = 2;

/**
 * One tenant's CPU-heavy job must not stop the heartbeats of the worker that runs it: an
 * `analyze` job of seconds of pattern matching (within the accepted limits, and under 50,000
 * lines, so a handler on the event loop would never yield) runs next to another tenant's sleep
 * jobs on the same worker, with 2-second leases. A rescuer (the one every worker runs, here run by
 * the test as another worker's would be) must find nothing to rescue, and no lease may be seen
 * expired while its job runs.
 */
describe('CPU-bound handlers run off the worker event loop', () => {
  let db: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 3 });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('keeps renewing the leases of the other jobs it holds while an analyze job burns CPU', async () => {
    const [quiet, heavy] = await query<{ id: string }>(
      db.url,
      `INSERT INTO tenants (name) VALUES ('quiet'), ('heavy') RETURNING id`,
    );
    // 40,000 lines of 250 × 'a', 50 patterns 'a': 500 million matches, seconds of CPU.
    const content = Buffer.from(`${'a'.repeat(250)}\n`.repeat(40_000));
    const [file] = await query<{ id: string }>(
      db.url,
      `INSERT INTO job_files (tenant_id, filename, size, content) VALUES ($1, 'big.log', $2, $3) RETURNING id`,
      [heavy.id, content.length, content],
    );
    const queue = new JobQueue(pool);
    const sleepers = await queue.insertMany(
      jobFactory.many(quiet.id, 2, { type: 'sleep', payload: { seconds: 6 }, maxAttempts: 1 }),
    );
    const [analyze] = await queue.insertMany([
      jobFactory.build(heavy.id, {
        type: 'analyze',
        payload: { patterns: Array<string>(50).fill('a'), file_id: file.id },
        maxAttempts: 1,
      }),
    ]);
    const ids = [...sleepers, analyze].map((job) => job.id);

    const worker = startNode(
      builtScript(WORKER),
      [],
      cleanEnv({
        DATABASE_URL: db.url,
        WORKER_CONCURRENCY: '3',
        LEASE_SECONDS: String(LEASE_SECONDS),
        RESCUE_INTERVAL_MS: '200',
        POLL_INTERVAL_MS: '200',
      }),
    );
    let expiredSeen = 0;
    const rescued: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [{ expired }] = (
          await pool.query<{ expired: number }>(
            `SELECT count(*)::int AS expired FROM jobs
             WHERE id = ANY($1) AND status = 'running' AND lease_expires_at < now()`,
            [ids],
          )
        ).rows;
        expiredSeen = Math.max(expiredSeen, expired);
        rescued.push(...(await queue.rescueExpired(100, { baseMs: 0, maxMs: 0 })).map((job) => job.id));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await waitUntil(
        'the three jobs ended',
        async () => {
          const { rows } = await pool.query(
            `SELECT id FROM jobs WHERE id = ANY($1) AND status IN ('completed', 'dead', 'failed')`,
            [ids],
          );
          return rows.length === 3;
        },
        60_000,
      );
    } finally {
      watching = false;
      await watcher;
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    const rows = await query<{ id: string; status: string; attempts: number; result: unknown }>(
      db.url,
      `SELECT id, status, attempts, result FROM jobs WHERE id = ANY($1)`,
      [ids],
    );
    expect({ expiredSeen, rescued }).toEqual({ expiredSeen: 0, rescued: [] });
    for (const row of rows) expect(row).toMatchObject({ status: 'completed', attempts: 1 });
    expect(rows.find((row) => row.id === analyze.id)?.result).toEqual({
      counts: { a: 500_000_000 },
      lines: 40_000,
    });
  });
});
