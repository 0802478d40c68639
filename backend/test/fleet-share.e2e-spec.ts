import { Pool } from 'pg';
import { JobQueue } from '../src/queue/job-queue';
import { jobFactory } from './support/job-factory';
import { builtScript, cleanEnv, type RunningProcess, startNode, waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const LEASE_SECONDS = 30;

/** Running jobs per tenant name. */
async function runningByTenant(pool: Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ name: string; running: number }>(`
    SELECT t.name, count(j.id)::int AS running
    FROM tenants t LEFT JOIN jobs j ON j.tenant_id = t.id AND j.status = 'running'
    GROUP BY t.name`);
  return Object.fromEntries(rows.map((row) => [row.name, row.running]));
}

describe('fair share of the fleet: the claim statement', () => {
  let db: TestDatabase;
  let pool: Pool;
  let queue: JobQueue;
  let a: string;
  let b: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
    queue = new JobQueue(pool);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('a'), ('b') RETURNING id`,
    );
    [a, b] = rows.map((row) => row.id);
  });
  beforeEach(() => pool.query('TRUNCATE jobs, job_transitions'));
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /** Tenant a holds `held` running jobs and has `backlog` more ready. */
  const aHolds = async (held: number, backlog: number): Promise<void> => {
    await queue.insertMany(jobFactory.many(a, held + backlog));
    expect(await queue.claim('w0', held, LEASE_SECONDS)).toHaveLength(held);
  };
  const tenantsOf = (jobs: Array<{ tenant_id: string }>) =>
    jobs.map((job) => (job.tenant_id === a ? 'a' : 'b'));

  it('gives a tenant at its share nothing while another waits, and the other gets the free slots', async () => {
    await aHolds(4, 10);
    await queue.insertMany(jobFactory.many(b, 3));
    // b's part of this claim's split (half of 4); the worker claims again for the rest.
    expect(tenantsOf(await queue.claim('w1', 4, LEASE_SECONDS, 4))).toEqual(['b', 'b']);
    expect(tenantsOf(await queue.claim('w1', 4, LEASE_SECONDS, 4))).toEqual(['b']);
  });

  it('tops a tenant below its share up to the share, not beyond', async () => {
    await aHolds(3, 10);
    await queue.insertMany(jobFactory.many(b, 10));
    const claimed = tenantsOf(await queue.claim('w1', 6, LEASE_SECONDS, 4));
    expect(claimed.filter((t) => t === 'a')).toHaveLength(1);
    expect(claimed.filter((t) => t === 'b')).toHaveLength(3);
  });

  it('lets a tenant alone use the whole fleet, whatever it holds', async () => {
    await aHolds(4, 10);
    expect(tenantsOf(await queue.claim('w1', 4, LEASE_SECONDS, 4))).toEqual(['a', 'a', 'a', 'a']);
  });

  it('does not hold a tenant back for another whose jobs are scheduled later', async () => {
    await aHolds(4, 10);
    await queue.insertMany([jobFactory.delayed(b, 60_000)]);
    // b's job is scheduled, so b is not among the claim's tenants at all: a gets the whole limit.
    expect(tenantsOf(await queue.claim('w1', 4, LEASE_SECONDS, 4))).toEqual(['a', 'a', 'a', 'a']);
  });

  it('applies no share without a slot figure (TENANT_MAX_SHARE=1, or the fleet not read yet)', async () => {
    await aHolds(4, 10);
    await queue.insertMany(jobFactory.many(b, 10));
    const claimed = tenantsOf(await queue.claim('w1', 4, LEASE_SECONDS, null));
    expect(claimed.filter((t) => t === 'a')).toHaveLength(2);
  });
});

const WORKER = 'backend/src/main.worker.js';
const WORKERS = 2;
const CONCURRENCY = 4;
const FLEET_SLOTS = WORKERS * CONCURRENCY;
const SHARE_SLOTS = FLEET_SLOTS / 2; // TENANT_MAX_SHARE's default, 0.5

describe('fair share of the fleet (real worker processes)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let queue: JobQueue;
  const workers: RunningProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
    queue = new JobQueue(pool);
  });
  afterAll(async () => {
    // The sleeping jobs would hold a graceful stop for its whole grace period.
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    await pool.end();
    await db.drop();
  });

  it('takes no new job from a tenant holding every slot once another submits; the slots its jobs free go to the other', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('a'), ('b') RETURNING id`,
    );
    const [a, b] = rows.map((row) => row.id);
    for (let i = 0; i < WORKERS; i++) {
      const worker = startNode(
        builtScript(WORKER),
        [],
        cleanEnv({
          DATABASE_URL: db.url,
          WORKER_CONCURRENCY: String(CONCURRENCY),
          LOG_LEVEL: 'info',
          WORKERS_HEARTBEAT_SECONDS: '1',
          WORKERS_STALE_SECONDS: '5',
        }),
      );
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => worker.waitFor(/Worker ready/)));
    await waitUntil(
      'both workers are in the registry',
      async () => (await pool.query('SELECT count(*)::int AS n FROM workers')).rows[0].n === WORKERS,
    );
    // Each worker reads the fleet once a second (WORKERS_HEARTBEAT_SECONDS).
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Alone, a fills the fleet: half of it with jobs that outlast the test, half with jobs of two
    // seconds, and keeps more waiting. Separate inserts, so they are claimed in this order.
    const sleeping = (seconds: number, count: number) =>
      jobFactory.many(a, count, { type: 'sleep', payload: { seconds } });
    await queue.insertMany(sleeping(60, SHARE_SLOTS));
    await queue.insertMany(sleeping(2, FLEET_SLOTS - SHARE_SLOTS));
    await queue.insertMany(sleeping(60, 20));
    await waitUntil('a holds every slot', async () => (await runningByTenant(pool)).a === FLEET_SLOTS);

    const { rows: submitted } = await pool.query<{ at: Date }>('SELECT now() AS at');
    await queue.insertMany(jobFactory.many(b, 6, { type: 'sleep', payload: { seconds: 60 } }));
    await waitUntil(
      "b runs on the share a's short jobs freed",
      async () => (await runningByTenant(pool)).b === SHARE_SLOTS,
      15_000,
    );
    // a got none of the freed slots, though its jobs were ready first; it holds its share.
    const aStartedSince = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1 AND started_at > $2`,
      [a, submitted[0].at],
    );
    expect(aStartedSince.rows[0].n).toBe(0);
    expect(await runningByTenant(pool)).toEqual({ a: SHARE_SLOTS, b: SHARE_SLOTS });
    // And it stays so: b, holding its share too, gets no more while a waits.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await runningByTenant(pool)).toEqual({ a: SHARE_SLOTS, b: SHARE_SLOTS });
  });
});
