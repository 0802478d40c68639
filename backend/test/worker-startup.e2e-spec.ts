import { Pool } from 'pg';
import { type JobHandler } from '../src/handlers/job-handler';
import { JobQueue } from '../src/queue/job-queue';
import { WorkerRuntime } from '../src/worker/worker-runtime';
import { waitUntil } from './support/processes';
import { jobFactory } from './support/job-factory';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const noFiles = () => ({ read: () => Promise.reject(new Error('no files')) });

describe('a freshly started worker (in process, real PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let queue: JobQueue;
  let tenant: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
    queue = new JobQueue(pool);
    [{ id: tenant }] = (
      await pool.query<{ id: string }>(`INSERT INTO tenants (name) VALUES ('acme') RETURNING id`)
    ).rows;
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('claims ahead of its slots from its first claim, and deepens its batches as run times come in', async () => {
    let runs = 0;
    const noop: JobHandler = {
      description: 'returns at once',
      examplePayload: {},
      defaultTimeoutMs: 10_000,
      run: () => Promise.resolve(runs++),
    };
    await queue.insertMany(jobFactory.many(tenant, 3_000, { type: 'noop' }));
    const claims: number[] = [];
    const concurrency = 10;
    const runtime = new WorkerRuntime(
      queue,
      { noop },
      {
        workerId: 'fresh',
        concurrency,
        prefetch: 500,
        leaseSeconds: 30,
        pollIntervalMs: 1_000,
        backoff: { baseMs: 10, maxMs: 10 },
      },
      quiet,
      noFiles,
      { claimed: (_seconds, jobs) => void (jobs > 0 && claims.push(jobs)), ran: () => undefined },
    );
    runtime.start();
    try {
      await waitUntil('every job ran', () => runs >= 3_000, 30_000);
    } finally {
      await runtime.stop(1_000);
    }
    // Before any run time is known it takes one batch of its concurrency ahead of its slots...
    expect(claims[0]).toBe(2 * concurrency);
    // ...then deeper batches as the first run times come in. (How deep depends on the measured
    // run times, which a loaded machine inflates; on a quiet one the third claim takes ~280.)
    expect(claims.slice(1, 10).some((jobs) => jobs > 2 * concurrency)).toBe(true);
  });
});
