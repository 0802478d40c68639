import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { JOB_HANDLERS } from '../src/handlers/handler-registry';
import { MAX_GROUP_PAYLOAD_CHARS } from '../src/queue/grouped-inserts';
import { JobQueue, uuidBefore } from '../src/queue/job-queue';
import { QueueErrorCode } from '../src/queue/queue.errors';
import {
  JOB_EVENTS_CHANNEL,
  JOB_READY_CHANNEL,
  type JobEventKind,
  type JobEventNotification,
  MAINTENANCE_LOCK_KEYS,
  jobClaim,
  jobHeartbeat,
  jobPromoteDue,
  jobPruneFinished,
  jobRescueExpired,
} from '../src/queue/queue.sql';
import { waitUntil } from './support/processes';
import { jobFactory } from './support/job-factory';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const LEASE_SECONDS = 30;

describe('the queue statements on a real PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;
  let queue: JobQueue;
  let tenant: string;

  const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await pool.query(text, values)).rows as T[];

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 12 });
    queue = new JobQueue(pool);
    [{ id: tenant }] = await sql<{ id: string }>(`INSERT INTO tenants (name) VALUES ('acme') RETURNING id`);
  });
  beforeEach(() =>
    sql(
      `TRUNCATE jobs, dead_letter_jobs, job_transitions, job_counts, job_metrics;
       DELETE FROM tenants WHERE name <> 'acme'`,
    ),
  );
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('inserts a batch in one statement and skips repeated idempotency keys', async () => {
    const first = await queue.insertMany([
      jobFactory.build(tenant, { idempotencyKey: 'k1' }),
      jobFactory.build(tenant, { idempotencyKey: 'k2' }),
    ]);
    expect(first).toHaveLength(2);
    const again = await queue.insertMany([jobFactory.build(tenant, { idempotencyKey: 'k1' })]);
    expect(again).toEqual([]);
  });

  it('returns inserted rows in input order, whatever their idempotency keys', async () => {
    const keys = ['zulu', 'alpha', null, 'mike'];
    const rows = await queue.insertMany(
      keys.map((idempotencyKey) => jobFactory.build(tenant, { idempotencyKey })),
    );
    expect(rows.map((row) => (row as unknown as { idempotency_key: string | null }).idempotency_key)).toEqual(
      keys,
    );
  });

  it('never deadlocks two statements that hold the same idempotency keys in opposite orders', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    for (let round = 0; round < 5; round++) {
      await sql('TRUNCATE jobs');
      const forward = queue.insertMany(
        keys.map((idempotencyKey) => jobFactory.build(tenant, { idempotencyKey })),
      );
      const backward = queue.insertMany(
        [...keys].reverse().map((idempotencyKey) => jobFactory.build(tenant, { idempotencyKey })),
      );
      const [a, b] = await Promise.all([forward, backward]);
      expect(a.length + b.length).toBe(keys.length);
    }
  });

  it('gives jobs time-ordered ids (UUIDv7) that sort in the order they were made, batch and single', async () => {
    const isV7 = (id: string) =>
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id);
    const first = await queue.insertMany(Array.from({ length: 1000 }, () => jobFactory.build(tenant)));
    const single = await queue.insertOne(jobFactory.build(tenant));
    const second = await queue.insertMany(Array.from({ length: 10 }, () => jobFactory.build(tenant)));
    const ids = [...first, single!, ...second].map((row) => row.id);
    expect(ids.filter((id) => !isV7(id))).toEqual([]);
    // In the order made, as PostgreSQL's uuid ordering (bytewise) sorts them too.
    const sorted = await sql<{ id: string }>(`SELECT id FROM jobs WHERE id = ANY($1) ORDER BY id`, [ids]);
    expect(sorted.map((row) => row.id)).toEqual(ids);
  });

  describe('one-job inserts (group commit)', () => {
    const transactionsOf = async (ids: string[]) =>
      (
        await sql<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM jobs WHERE id = ANY($1)`, [
          ids,
        ])
      )[0].n;

    it('commits concurrent callers together, each getting its own row back', async () => {
      const rows = await Promise.all(
        Array.from({ length: 50 }, (_, n) => queue.insertOne(jobFactory.build(tenant, { payload: { n } }))),
      );
      expect(rows.map((row) => (row as unknown as { payload: { n: number } }).payload.n)).toEqual(
        Array.from({ length: 50 }, (_, n) => n),
      );
      const ids = rows.map((row) => row!.id);
      expect(new Set(ids).size).toBe(50);
      // Rows written by one transaction share its xmin: 50 callers, far fewer commits.
      expect(await transactionsOf(ids)).toBeLessThanOrEqual(2);
      const [{ n }] = await sql<{ n: number }>(
        `SELECT sum(jobs)::int AS n FROM job_transitions WHERE from_status IS NULL AND to_status = 'pending'`,
      );
      expect(n).toBe(50);
    });

    it('splits concurrent callers with large payloads into groups of bounded size', async () => {
      const big = 'x'.repeat(MAX_GROUP_PAYLOAD_CHARS / 4);
      const rows = await Promise.all(
        Array.from({ length: 6 }, (_, n) =>
          queue.insertOne(jobFactory.build(tenant, { payload: { n, big } })),
        ),
      );
      // 4 payloads reach the cap: the first statement takes them, the other 2 go in another.
      expect(await transactionsOf(rows.map((row) => row!.id))).toBe(2);
    });

    it('commits a lone caller at once, in a statement of its own', async () => {
      const row = await queue.insertOne(jobFactory.build(tenant));
      expect(row).toMatchObject({ status: 'pending' });
      const later = await queue.insertOne(jobFactory.build(tenant));
      expect(await transactionsOf([row!.id, later!.id])).toBe(2);
    });

    it('gives a repeated idempotency key in one group the first job only', async () => {
      const [first, second] = await Promise.all([
        queue.insertOne(jobFactory.build(tenant, { idempotencyKey: 'same', payload: { n: 1 } })),
        queue.insertOne(jobFactory.build(tenant, { idempotencyKey: 'same', payload: { n: 2 } })),
      ]);
      expect(first).toMatchObject({ payload: { n: 1 } });
      expect(second).toBeUndefined();
      expect(await sql(`SELECT id FROM jobs WHERE idempotency_key = 'same'`)).toHaveLength(1);
    });

    it('fails only the job PostgreSQL refuses, not the others of its group', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, n) =>
          queue.insertOne(jobFactory.build(tenant, { payload: n === 4 ? { text: 'nul \u0000' } : { n } })),
        ),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual(
        Array.from({ length: 10 }, (_, n) => (n === 4 ? 'rejected' : 'fulfilled')),
      );
      expect((outcomes[4] as PromiseRejectedResult).reason).toMatchObject({ code: '22P05' });
      expect(await sql(`SELECT id FROM jobs`)).toHaveLength(9);
    });
  });

  it('writes nothing when any job of a submitted batch is invalid', async () => {
    const types = Object.keys(JOB_HANDLERS);
    await expect(
      queue.submit(
        [
          { tenantId: tenant, type: 'sleep', payload: { seconds: 1 } },
          { tenantId: tenant, maxAttempts: 0 },
        ],
        types,
      ),
    ).rejects.toMatchObject({ code: QueueErrorCode.InvalidMaxAttempts, field: 'max_attempts' });
    expect(await sql('SELECT id FROM jobs')).toEqual([]);
    expect(
      await queue.submit([{ tenantId: tenant, type: 'sleep', payload: { seconds: 1 } }], types),
    ).toHaveLength(1);
  });

  it('schedules a job due later, and promotes it to pending, claimable, once due', async () => {
    const [later, now] = await queue.insertMany([jobFactory.delayed(tenant, 300), jobFactory.build(tenant)]);
    expect([later.status, now.status]).toEqual(['scheduled', 'pending']);
    expect(await queue.claim('w1', 10, LEASE_SECONDS)).toEqual([expect.objectContaining({ id: now.id })]);
    expect(await queue.promoteDue(100)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await queue.promoteDue(100)).toBe(1);
    expect(await sql('SELECT status FROM jobs WHERE id = $1', [later.id])).toEqual([{ status: 'pending' }]);
    expect(await queue.claim('w1', 10, LEASE_SECONDS)).toEqual([expect.objectContaining({ id: later.id })]);
  });

  it('promotes due jobs in batches, the longest overdue first, and cancels a scheduled job', async () => {
    const rows = await queue.insertMany(jobFactory.many(tenant, 5, { runAt: new Date(Date.now() + 200) }));
    await sql(
      `UPDATE jobs SET run_at = now() - make_interval(secs => (payload->>'n')::int) WHERE status = 'scheduled'`,
    );
    expect(await queue.cancel(tenant, rows[0].id)).toEqual({ previousStatus: 'scheduled', cancelled: true });
    expect(await queue.promoteDue(2)).toBe(2);
    const promoted = await sql<{ n: number }>(
      `SELECT (payload->>'n')::int AS n FROM jobs WHERE status = 'pending' ORDER BY 1`,
    );
    expect(promoted.map((row) => row.n)).toEqual([3, 4]);
    expect(await queue.promoteDue(2)).toBe(2);
    expect(await queue.promoteDue(2)).toBe(0);
  });

  it('promotes a batch of a large due backlog by id, without reading the whole table', async () => {
    // 100,000 jobs waiting and 20,000 come due at once (a schedule, or a storm of retries).
    await sql(
      `INSERT INTO jobs (tenant_id, status, payload) SELECT $1, 'pending', '{}'::jsonb FROM generate_series(1, 100000)`,
      [tenant],
    );
    await sql(
      `INSERT INTO jobs (tenant_id, status, run_at, payload)
       SELECT $1, 'scheduled', now() - interval '1 second', '{}'::jsonb FROM generate_series(1, 20000)`,
      [tenant],
    );
    await sql('ANALYZE jobs');
    // As a worker runs it: a prepared statement's generic plan (QUEUE_SESSION_OPTIONS).
    const session = new Client({ connectionString: db.url });
    await session.connect();
    try {
      await session.query('SET plan_cache_mode = force_generic_plan');
      await session.query(`PREPARE promote(int) AS ${jobPromoteDue(1_000).text}`);
      type PlanNode = { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] };
      const { rows } = await session.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        'EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE promote(1000)',
      );
      const scans = (node: PlanNode): string[] => [
        `${node['Node Type']} ${node['Relation Name'] ?? ''}`.trim(),
        ...(node.Plans ?? []).flatMap(scans),
      ];
      // The join it replaced hash-joined a sequential scan of all 120,000 rows to find 1,000.
      expect(scans(rows[0]['QUERY PLAN'][0].Plan)).not.toContain('Seq Scan jobs');
      expect(await sql(`SELECT count(*)::int AS n FROM jobs WHERE status = 'scheduled'`)).toEqual([
        { n: 19_000 },
      ]);
    } finally {
      await session.end();
    }
  });

  it("keeps a tenant's backlog scheduled a year ahead out of every claim's reads", async () => {
    const [{ id: hoarder }] = await sql<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('hoarder') RETURNING id`,
    );
    await queue.insertMany(
      jobFactory.many(hoarder, 1_000, { priority: 1_000, runAt: new Date(Date.now() + 365 * 86_400_000) }),
    );
    // The bulk of the backlog by copy, as a year's schedule would have accumulated it.
    await sql(
      `INSERT INTO jobs (tenant_id, status, priority, run_at, payload)
       SELECT $1, 'scheduled', 1000, now() + interval '1 year', '{}'::jsonb FROM generate_series(1, 100000)`,
      [hoarder],
    );
    const [mine] = await queue.insertMany([jobFactory.build(tenant)]);
    await sql('ANALYZE jobs');
    const claim = jobClaim('w1', 10, LEASE_SECONDS, 'r', 4);
    const [{ 'QUERY PLAN': plan }] = await sql<{ 'QUERY PLAN': Array<{ Plan: Record<string, number> }> }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${claim.text}`,
      claim.values,
    );
    const blocks = plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks'];
    // Walking the hoarder's 101,000 index entries would read hundreds of pages; a claim that
    // never sees them reads a few dozen (the new job, its tenant, the counters' insert).
    expect(blocks).toBeLessThan(150);
    expect(await sql('SELECT status FROM jobs WHERE id = $1', [mine.id])).toEqual([{ status: 'running' }]);
  });

  it("holds a tenant's file quota against a burst of concurrent uploads", async () => {
    const upload = (n: number) =>
      queue.insertWithFile(
        jobFactory.build(tenant, { type: 'analyze', payload: { n } }),
        {
          id: randomUUID(),
          tenantId: tenant,
          filename: `f${n}.log`,
          contentType: null,
          content: Buffer.alloc(1_000),
        },
        1_500,
      );
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, n) => upload(n)));
    expect(outcomes.filter((outcome) => 'job' in outcome)).toHaveLength(1);
    expect(outcomes.filter((outcome) => 'overQuota' in outcome)).toHaveLength(9);
    expect(await sql('SELECT count(*)::int AS n FROM jobs')).toEqual([{ n: 1 }]);
    await sql('DELETE FROM job_files');
  });

  it('claims no more than asked, highest priority (lowest number) first, never a future job', async () => {
    await queue.insertMany([
      jobFactory.build(tenant, { priority: 5, payload: { name: 'low' } }),
      jobFactory.build(tenant, { priority: -1, payload: { name: 'urgent' } }),
      jobFactory.build(tenant, { priority: 0, payload: { name: 'normal' } }),
      jobFactory.delayed(tenant, 60_000),
    ]);
    const claimed = await queue.claim('w1', 2, LEASE_SECONDS);
    expect(claimed.map((job) => (job.payload as { name: string }).name)).toEqual(['urgent', 'normal']);
    expect(claimed.every((job) => job.attempts === 1)).toBe(true);
    const rest = await queue.claim('w1', 10, LEASE_SECONDS);
    expect(rest.map((job) => (job.payload as { name: string }).name)).toEqual(['low']);
  });

  it('gives concurrent claimers disjoint jobs (SKIP LOCKED)', async () => {
    await queue.insertMany(jobFactory.many(tenant, 200));
    const batches = await Promise.all(
      Array.from({ length: 10 }, (_, i) => queue.claim(`w${i}`, 25, LEASE_SECONDS)),
    );
    const ids = batches.flat().map((job) => job.id);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
  });

  describe("the claim's round robin across tenants", () => {
    /** `count` new tenants, in id order (the order the claim walks them in). */
    const newTenants = async (count: number): Promise<string[]> =>
      (
        await sql<{ id: string }>(
          `INSERT INTO tenants (name) SELECT 'rr-' || g FROM generate_series(1, $1) g RETURNING id`,
          [count],
        )
      )
        .map((row) => row.id)
        .sort();
    /** Jobs claimed per tenant id. */
    const perTenant = (jobs: Array<{ tenant_id: string }>): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const job of jobs) counts.set(job.tenant_id, (counts.get(job.tenant_id) ?? 0) + 1);
      return counts;
    };

    it('serves 10 of 100 ready tenants per claim of 250, each in turn: all 100 within 10 claims', async () => {
      const tenants = await newTenants(100);
      await queue.insertMany(tenants.flatMap((id) => jobFactory.many(id, 30)));
      const claims: Array<Map<string, number>> = [];
      for (let i = 0; i < 11; i++) claims.push(perTenant(await queue.claim('rr-worker', 250, LEASE_SECONDS)));
      for (const claim of claims.slice(0, 10)) expect([...claim.values()]).toEqual(Array(10).fill(25));
      // No tenant served twice before every tenant was served once…
      const firstRound = claims.slice(0, 10).flatMap((claim) => [...claim.keys()]);
      expect(new Set(firstRound).size).toBe(100);
      // …and the eleventh claim starts the next round where the first began (5 jobs left each).
      expect([...claims[10].keys()].sort()).toEqual([...claims[0].keys()].sort());
    });

    it('serves tenants 25 jobs a turn in a claim larger than 250', async () => {
      const tenants = await newTenants(40);
      await queue.insertMany(tenants.flatMap((id) => jobFactory.many(id, 30)));
      const claimed = perTenant(await queue.claim('rr-large', 500, LEASE_SECONDS));
      expect([...claimed.values()]).toEqual(Array(20).fill(25));
    });

    it('spreads a claim of a few jobs across as many tenants, one job each', async () => {
      const tenants = await newTenants(5);
      await queue.insertMany(tenants.flatMap((id) => jobFactory.many(id, 3)));
      const claimed = perTenant(await new JobQueue(pool).claim('w1', 5, LEASE_SECONDS));
      expect([...claimed.keys()].sort()).toEqual(tenants);
      expect([...claimed.values()]).toEqual([1, 1, 1, 1, 1]);
    });

    it('does not count tenants at their cap among the tenants a claim visits', async () => {
      const tenants = await newTenants(15);
      await queue.insertMany(tenants.flatMap((id) => jobFactory.many(id, 2)));
      // The first 10 in the walk's order are full: a claim of 10 visits 10 tenants that can take a job.
      await sql(`UPDATE tenants SET max_concurrency = 1, running_jobs = 1 WHERE id = ANY($1::uuid[])`, [
        tenants.slice(0, 10),
      ]);
      const claimed = perTenant(await new JobQueue(pool).claim('w1', 10, LEASE_SECONDS));
      expect([...claimed.keys()].sort()).toEqual(tenants.slice(10));
    });

    it('does not count tenants at their fleet share among the tenants a claim visits', async () => {
      const tenants = await newTenants(12);
      await queue.insertMany(tenants.flatMap((id) => jobFactory.many(id, 2)));
      // The first 10 in the walk's order each hold 2 running jobs: their share, at 2 slots a tenant.
      await sql(
        `INSERT INTO jobs (tenant_id, status, attempts, lease_owner, lease_expires_at, started_at)
         SELECT t, 'running', 1, 'w0', now() + interval '1 minute', now()
         FROM unnest($1::uuid[]) t, generate_series(1, 2)`,
        [tenants.slice(0, 10)],
      );
      const claimed = perTenant(await new JobQueue(pool).claim('w1', 10, LEASE_SECONDS, 2));
      expect([...claimed.keys()].sort()).toEqual(tenants.slice(10));
    });

    it('starts the walk with the tenant it is asked to start with, wherever the round robin stood', async () => {
      const tenants = await newTenants(6);
      await queue.insertMany(tenants.flatMap((id) => jobFactory.many(id, 2)));
      const claimer = new JobQueue(pool);
      expect([...perTenant(await claimer.claim('w1', 1, LEASE_SECONDS)).keys()]).toEqual([tenants[0]]);
      // Its cursor now stands after tenants[0]: asked to, it starts with the last tenant instead.
      expect([...perTenant(await claimer.claim('w1', 1, LEASE_SECONDS, null, tenants[5])).keys()]).toEqual([
        tenants[5],
      ]);
      expect(
        [...perTenant(await claimer.claim('w1', 2, LEASE_SECONDS, null, tenants[3])).keys()].sort(),
      ).toEqual([tenants[3], tenants[4]]);
      // And the round robin goes on after the last tenant that claim visited.
      expect([...perTenant(await claimer.claim('w1', 1, LEASE_SECONDS)).keys()]).toEqual([tenants[5]]);
    });
  });

  it('wakes workers naming each tenant whose jobs are ready, and not for jobs scheduled ahead', async () => {
    const [{ id: other }] = await sql<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('ready-other') RETURNING id`,
    );
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', ({ payload }) => payloads.push(payload ?? ''));
    try {
      await listener.query(`LISTEN ${JOB_READY_CHANNEL}`);
      const later = new Date(Date.now() + 3_600_000);
      await queue.insertMany(jobFactory.many(tenant, 3, { runAt: later }));
      await queue.insertMany([...jobFactory.many(tenant, 3), ...jobFactory.many(other, 2)]);
      await waitUntil('two notifications', () => payloads.length >= 2, 5_000);
      await listener.query('SELECT 1'); // anything sent before this answer has arrived
      expect(payloads.sort()).toEqual([tenant, other].sort());
    } finally {
      await listener.end();
    }
  });

  it('names a uuid just below another in PostgreSQL order, borrowing across its groups', async () => {
    const cases = [
      randomUUID(),
      '00000000-0000-0000-0001-000000000000',
      '10000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
    ];
    expect(uuidBefore('00000000-0000-0000-0001-000000000000')).toBe('00000000-0000-0000-0000-ffffffffffff');
    expect(uuidBefore('00000000-0000-0000-0000-000000000000')).toBeNull();
    for (const id of cases) {
      const before = uuidBefore(id)!;
      // Nothing sorts between them: before < id, and the next uuid after `before` is id.
      const [row] = await sql<{ below: boolean }>(`SELECT $1::uuid < $2::uuid AS below`, [before, id]);
      expect(row.below).toBe(true);
      expect(BigInt(`0x${id.replace(/-/g, '')}`) - BigInt(`0x${before.replace(/-/g, '')}`)).toBe(1n);
    }
  });

  it('completes only jobs whose lease the caller holds', async () => {
    await queue.insertMany(jobFactory.many(tenant, 2));
    const [a, b] = await queue.claim('w1', 2, LEASE_SECONDS);
    expect(await queue.completeMany('intruder', [{ id: a.id, result: 1 }])).toEqual([]);
    const done = await queue.completeMany('w1', [
      { id: a.id, result: { ok: true } },
      { id: b.id, result: null },
    ]);
    expect(done.sort()).toEqual([a.id, b.id].sort());
    const rows = await sql(`SELECT status, result, progress, lease_owner FROM jobs WHERE id = $1`, [a.id]);
    expect(rows).toEqual([{ status: 'completed', result: { ok: true }, progress: 100, lease_owner: null }]);
    expect(await queue.completeMany('w1', [{ id: a.id, result: 2 }])).toEqual([]);
  });

  it('keeps only the newest 20 errors of a job however often it fails', async () => {
    const [{ id: keeper }] = await sql<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('error-keeper') RETURNING id`,
    );
    const [{ id }] = await queue.insertMany([jobFactory.build(keeper, { maxAttempts: 100 })]);
    for (let attempt = 1; attempt <= 25; attempt++) {
      // Straight to running under w1: a claim here could take another test's ready job.
      await sql(
        `UPDATE jobs SET status = 'running', lease_owner = 'w1', lease_expires_at = now() + interval '1 minute', started_at = now(), attempts = $2 WHERE id = $1`,
        [id, attempt],
      );
      await queue.failMany('w1', [{ id, error: `boom ${attempt}`, retryDelayMs: 60_000 }]);
    }
    const [job] = await sql<{ errors: Array<{ attempt: number; error: string }>; last_error: string }>(
      `SELECT errors, last_error FROM jobs WHERE id = $1`,
      [id],
    );
    expect(job.last_error).toBe('boom 25');
    expect(job.errors.map((e) => e.attempt)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
  });

  it('schedules a retry after a failure and moves the last failure to the DLQ with every error', async () => {
    const [{ id }] = await queue.insertMany([jobFactory.build(tenant, { maxAttempts: 2 })]);
    await queue.claim('w1', 1, LEASE_SECONDS);
    const [retry] = await queue.failMany('w1', [{ id, error: 'boom 1', retryDelayMs: 60_000 }]);
    expect(retry).toMatchObject({ id, status: 'failed', attempts: 1 });
    expect(await queue.claim('w1', 1, LEASE_SECONDS)).toEqual([]); // not before run_at
    expect(await queue.promoteDue(100)).toBe(0);
    // Its backoff over (moved, not waited for: a loaded machine can take longer than a short delay
    // between two statements).
    await sql(`UPDATE jobs SET run_at = now() - interval '1 second' WHERE id = $1`, [id]);
    // Due now, but not claimable until promoted: the claim's index holds pending jobs only.
    expect(await queue.claim('w1', 1, LEASE_SECONDS)).toEqual([]);
    expect(await queue.promoteDue(100)).toBe(1);
    expect(await queue.claim('w1', 1, LEASE_SECONDS)).toHaveLength(1);
    const [dead] = await queue.failMany('w1', [{ id, error: 'boom 2', retryDelayMs: 50 }]);
    expect(dead).toMatchObject({ status: 'dead', attempts: 2 });
    const [dlq] = await sql<{ errors: Array<{ attempt: number; error: string }>; last_error: string }>(
      `SELECT errors, last_error FROM dead_letter_jobs WHERE job_id = $1`,
      [id],
    );
    expect(dlq.last_error).toBe('boom 2');
    expect(dlq.errors.map((e) => [e.attempt, e.error])).toEqual([
      [1, 'boom 1'],
      [2, 'boom 2'],
    ]);
    expect(await queue.claim('w1', 1, LEASE_SECONDS)).toEqual([]);
  });

  it('rescues expired leases as failed attempts, and to the DLQ when none remain', async () => {
    const [retryable, lastTry] = await queue.insertMany([
      jobFactory.build(tenant),
      jobFactory.singleAttempt(tenant),
    ]);
    await queue.claim('lost-worker', 2, LEASE_SECONDS);
    expect(await queue.rescueExpired(100, { baseMs: 0, maxMs: 0 })).toEqual([]); // leases still valid
    await sql(`UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE status = 'running'`);
    const rescued = await queue.rescueExpired(100, { baseMs: 0, maxMs: 0 });
    const byId = Object.fromEntries(rescued.map((r) => [r.id, r.status]));
    expect(byId).toEqual({ [retryable.id]: 'failed', [lastTry.id]: 'dead' });
    // The lost worker can no longer complete what was taken from it.
    expect(await queue.completeMany('lost-worker', [{ id: retryable.id, result: 1 }])).toEqual([]);
    await queue.promoteDue(100);
    const [again] = await queue.claim('w2', 5, LEASE_SECONDS);
    expect(again).toMatchObject({ id: retryable.id, attempts: 2 });
  });

  it("waits each rescued job's retry by the backoff of its own attempt, as a reported failure would", async () => {
    const [first, third] = await queue.insertMany([jobFactory.build(tenant), jobFactory.build(tenant)]);
    await queue.claim('lost-worker', 2, LEASE_SECONDS);
    await sql(`UPDATE jobs SET attempts = 3 WHERE id = $1`, [third.id]);
    await sql(`UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE status = 'running'`);
    await queue.rescueExpired(100, { baseMs: 1_000, maxMs: 3_600_000 });
    const waits = await sql<{ id: string; secs: number }>(
      `SELECT id, extract(epoch FROM run_at - now())::float8 AS secs FROM jobs WHERE id = ANY($1)`,
      [[first.id, third.id]],
    );
    const secs = Object.fromEntries(waits.map((row) => [row.id, row.secs]));
    // Attempt 1: 2 s nominal, 1-2 s with jitter; attempt 3: 8 s nominal, 4-8 s.
    expect(secs[first.id]).toBeGreaterThan(0.5);
    expect(secs[first.id]).toBeLessThanOrEqual(2.05);
    expect(secs[third.id]).toBeGreaterThan(3.5);
    expect(secs[third.id]).toBeLessThanOrEqual(8.05);
  });

  it('extends leases by heartbeat only for the holder', async () => {
    const [{ id }] = await queue.insertMany([jobFactory.build(tenant)]);
    const [claimed] = await queue.claim('w1', 1, 1);
    expect(await queue.heartbeat('other', [id], 60)).toEqual([]);
    expect(await queue.heartbeat('w1', [id], 60)).toEqual([id]);
    const [row] = await sql<{ lease_expires_at: Date }>(`SELECT lease_expires_at FROM jobs WHERE id = $1`, [
      id,
    ]);
    expect(row.lease_expires_at.getTime()).toBeGreaterThan(claimed.lease_expires_at_ms + 50_000);
  });

  it('renews leases with HOT updates: no index of jobs reads a column a heartbeat writes', async () => {
    const definitions = await sql<{ definition: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indrelid = 'jobs'::regclass`,
    );
    for (const { definition } of definitions) expect(definition).not.toMatch(/lease_expires_at|updated_at/);

    const ids = (await queue.insertMany(jobFactory.many(tenant, 50))).map((job) => job.id);
    await queue.claim('w1', 50, LEASE_SECONDS);
    // Gives the pages back the room the claim's old row versions took, where it can: how much
    // room a page has decides how many renewals fit on it, not which indexes there are.
    await sql('VACUUM jobs');
    const client = await pool.connect();
    try {
      // This backend's own counts (pg_stat_xact_*, which also hold its not yet flushed earlier
      // ones, hence a difference): no other session's updates, no flush to wait for.
      const counts = async () => {
        const [row] = (
          await client.query<{ updates: string; hot: string }>(
            `SELECT n_tup_upd AS updates, n_tup_hot_upd AS hot FROM pg_stat_xact_user_tables
             WHERE relid = 'jobs'::regclass`,
          )
        ).rows;
        return { updates: Number(row?.updates ?? 0), hot: Number(row?.hot ?? 0) };
      };
      await client.query('BEGIN');
      const before = await counts();
      expect((await client.query(jobHeartbeat('w1', ids, 60))).rows).toHaveLength(50);
      const after = await counts();
      await client.query('COMMIT');
      expect(after.updates - before.updates).toBe(50);
      // HOT needs room on the row's page (fillfactor 70 leaves it, the claim's new versions take
      // some): 35-45 of 50 were HOT in quiet runs here, 8 in a full parallel run, where other
      // sessions' snapshots can keep a page from being pruned; with the lease indexed, none was.
      expect(after.hot - before.hot).toBeGreaterThanOrEqual(5);
    } finally {
      client.release();
    }
  });

  it('rescues expired leases through the running index, without an index on the lease', async () => {
    await sql(`INSERT INTO jobs (tenant_id, payload) SELECT $1, '{}'::jsonb FROM generate_series(1, 20000)`, [
      tenant,
    ]);
    await queue.claim('w1', 20, LEASE_SECONDS);
    await sql('ANALYZE jobs');
    const rescue = jobRescueExpired(100, { baseMs: 0, maxMs: 0 });
    const plan = await sql<{ 'QUERY PLAN': string }>(`EXPLAIN ${rescue.text}`, rescue.values);
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toContain('jobs_running_tenant_idx');
    expect(text).not.toMatch(/Seq Scan on jobs/);
  });

  it('releases held jobs without spending an attempt', async () => {
    const [{ id }] = await queue.insertMany([jobFactory.build(tenant)]);
    await queue.claim('w1', 1, LEASE_SECONDS);
    expect(await queue.releaseMany('w1', [id])).toEqual([id]);
    const [again] = await queue.claim('w2', 1, LEASE_SECONDS);
    expect(again).toMatchObject({ id, attempts: 1 });
  });

  it("cancels a pending job at once, refuses a finished one, and hides other tenants' jobs", async () => {
    const inserted = await queue.insertMany(jobFactory.many(tenant, 2));
    const [claimed] = await queue.claim('w1', 1, LEASE_SECONDS);
    await queue.completeMany('w1', [{ id: claimed.id, result: null }]);
    const pending = inserted.find((job) => job.id !== claimed.id)!;
    expect(await queue.cancel(tenant, pending.id)).toEqual({ previousStatus: 'pending', cancelled: true });
    expect(await queue.cancel(tenant, claimed.id)).toEqual({ previousStatus: 'completed', cancelled: false });
    const [{ id: other }] = await sql<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('other') RETURNING id`,
    );
    const [theirs] = await queue.insertMany([jobFactory.build(other)]);
    expect(await queue.cancel(tenant, theirs.id)).toBeNull();
    expect(await queue.claim('w1', 10, LEASE_SECONDS)).toEqual([expect.objectContaining({ id: theirs.id })]);
  });

  it('cancels a running job so that its worker can no longer complete it', async () => {
    const [{ id }] = await queue.insertMany([jobFactory.build(tenant)]);
    await queue.claim('w1', 1, LEASE_SECONDS);
    expect(await queue.cancel(tenant, id)).toEqual({ previousStatus: 'running', cancelled: true });
    expect(await queue.completeMany('w1', [{ id, result: 1 }])).toEqual([]);
    expect(await sql('SELECT status FROM jobs WHERE id = $1', [id])).toEqual([{ status: 'cancelled' }]);
  });

  it('prunes completed and cancelled jobs past retention in batches, keeping the rest', async () => {
    const jobs = await queue.insertMany(jobFactory.many(tenant, 6));
    const ids = jobs.map((job) => job.id);
    await sql(
      `UPDATE jobs SET status = 'completed', finished_at = now() - interval '10 days' WHERE id = ANY($1)`,
      [ids.slice(0, 3)],
    );
    await sql(`UPDATE jobs SET status = 'cancelled', finished_at = now() - interval '1 day' WHERE id = $1`, [
      ids[3],
    ]);
    await sql(`UPDATE jobs SET created_at = now() - interval '30 days' WHERE id = $1`, [ids[4]]); // old but pending
    expect(await queue.pruneFinishedExclusively(7, 2)).toBe(2);
    expect(await queue.pruneFinishedExclusively(7, 2)).toBe(1);
    expect(await queue.pruneFinishedExclusively(7, 2)).toBe(0);
    const left = await sql<{ id: string }>('SELECT id FROM jobs');
    expect(left.map((row) => row.id).sort()).toEqual(ids.slice(3).sort());
  });

  it('prunes by a retention shorter than a day', async () => {
    const ids = (await queue.insertMany(jobFactory.many(tenant, 3))).map((job) => job.id);
    await sql(
      `UPDATE jobs SET status = 'completed', finished_at = now() - interval '90 seconds' WHERE id = $1`,
      [ids[0]],
    );
    await sql(
      `UPDATE jobs SET status = 'completed', finished_at = now() - interval '30 seconds' WHERE id = $1`,
      [ids[1]],
    );
    expect(await queue.pruneFinishedExclusively(60 / 86_400, 10)).toBe(1); // a minute
    const left = await sql<{ id: string }>('SELECT id FROM jobs');
    expect(left.map((row) => row.id).sort()).toEqual(ids.slice(1).sort());
  });

  it('finds the jobs to prune through an index, not by reading every finished job', async () => {
    // A week of recent completions, none past retention, and three that are.
    await sql(
      `INSERT INTO jobs (tenant_id, status, payload, started_at, finished_at, attempts, progress)
       SELECT $1, 'completed', '{}'::jsonb, t, t, 1, 100
       FROM (SELECT now() - (i * interval '6 seconds') AS t FROM generate_series(1, 100000) i) recent`,
      [tenant],
    );
    await sql(
      `INSERT INTO jobs (tenant_id, status, payload, started_at, finished_at, attempts, progress)
       SELECT $1, 'completed', '{}'::jsonb, t, t, 1, 100
       FROM (SELECT now() - interval '8 days' - (i * interval '1 hour') AS t FROM generate_series(1, 3) i) old`,
      [tenant],
    );
    await sql('ANALYZE jobs');
    const prune = jobPruneFinished(7, 1_000);
    const [{ 'QUERY PLAN': plan }] = await sql<{ 'QUERY PLAN': Array<{ Plan: Record<string, number> }> }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${prune.text}`,
      prune.values,
    );
    const blocks = plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks'];
    // Reading the 100,000 recent jobs to find the three takes over a thousand pages (a sort of
    // the whole table, once per batch and once a minute when nothing is due).
    expect(blocks).toBeLessThan(200);
    expect(await sql(`SELECT count(*)::int AS n FROM jobs`)).toEqual([{ n: 100_000 }]);
  });
  describe('counters', () => {
    const tableCounts = async (): Promise<Record<string, number>> =>
      Object.fromEntries(
        (
          await sql<{ status: string; n: number }>(
            'SELECT status, count(*)::int AS n FROM jobs GROUP BY status',
          )
        ).map((row) => [row.status, row.n]),
      );
    const counters = async (): Promise<Record<string, number>> =>
      Object.fromEntries(Object.entries(await queue.countsByStatus(tenant)).filter(([, n]) => n !== 0));

    it('agree with the jobs table through every transition, before and after a roll', async () => {
      await queue.insertMany(jobFactory.many(tenant, 10));
      const [soon] = await queue.insertMany([
        jobFactory.delayed(tenant, 60_000),
        jobFactory.delayed(tenant, 60_000),
      ]);
      await sql(`UPDATE jobs SET run_at = now() WHERE id = $1`, [soon.id]);
      expect(await queue.promoteDue(10)).toBe(1);
      const claimed = await queue.claim('w1', 8, LEASE_SECONDS);
      await queue.completeMany(
        'w1',
        [claimed[0], claimed[1]].map((job) => ({ id: job.id, result: 1 })),
      );
      await queue.failMany('w1', [{ id: claimed[2].id, error: 'boom', retryDelayMs: 60_000 }]);
      await sql('UPDATE jobs SET attempts = max_attempts WHERE id = $1', [claimed[3].id]);
      await queue.failMany('w1', [{ id: claimed[3].id, error: 'boom', retryDelayMs: 0 }]);
      await queue.cancel(tenant, claimed[4].id);
      await queue.releaseMany('w1', [claimed[5].id]);
      await sql(`UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [
        claimed[6].id,
      ]);
      await queue.rescueExpired(10, { baseMs: 60_000, maxMs: 60_000 });
      await sql(`UPDATE jobs SET finished_at = now() - interval '30 days' WHERE id = $1`, [claimed[0].id]);
      expect(await queue.pruneFinishedExclusively(7, 10)).toBe(1);

      const expected = {
        scheduled: 1,
        pending: 4,
        running: 1,
        completed: 1,
        failed: 2,
        dead: 1,
        cancelled: 1,
      };
      expect(await tableCounts()).toEqual(expected);
      expect(await counters()).toEqual(expected);
      expect(await queue.rollCountsExclusively()).toBeGreaterThan(0);
      expect(await sql('SELECT 1 FROM job_transitions')).toEqual([]);
      expect(await counters()).toEqual(expected);
      expect(await queue.rollCountsExclusively()).toBe(0);
    });

    it('roll up per-minute metrics: submitted, started, completed, failed, retried, dead, run and wait time', async () => {
      const tenSecondsAgo = new Date(Date.now() - 10_000);
      await queue.insertMany(jobFactory.many(tenant, 3, { type: 'email', runAt: tenSecondsAgo }));
      const claimed = await queue.claim('w1', 3, LEASE_SECONDS);
      await sql(`UPDATE jobs SET started_at = started_at - interval '2 seconds' WHERE id = $1`, [
        claimed[0].id,
      ]);
      await queue.completeMany('w1', [{ id: claimed[0].id, result: null }]);
      await queue.failMany('w1', [{ id: claimed[1].id, error: 'boom', retryDelayMs: 0 }]);
      await queue.rollCountsExclusively();
      const rows = await sql(
        'SELECT type, submitted, started, completed, failed, retried, dead FROM job_metrics',
      );
      expect(rows).toEqual([
        { type: 'email', submitted: '3', started: '3', completed: '1', failed: '1', retried: '1', dead: '0' },
      ]);
      const [bucket] = await sql<{ minute: boolean }>(
        `SELECT bucket = date_trunc('minute', now()) AS minute FROM job_metrics`,
      );
      expect(bucket.minute).toBe(true);
      const [times] = await sql<{ wait_ms_sum: string; run_ms_sum: string }>(
        'SELECT wait_ms_sum, run_ms_sum FROM job_metrics',
      );
      expect(Number(times.wait_ms_sum)).toBeGreaterThanOrEqual(3 * 10_000);
      expect(Number(times.run_ms_sum)).toBeGreaterThanOrEqual(2_000);
    });
  });

  describe("a tenant's max_concurrency", () => {
    let capped: string;
    beforeEach(async () => {
      [{ id: capped }] = await sql<{ id: string }>(
        `INSERT INTO tenants (name, max_concurrency) VALUES ('capped', 3) RETURNING id`,
      );
    });
    const runningJobsOf = async (id: string) =>
      (await sql<{ running_jobs: number }>('SELECT running_jobs FROM tenants WHERE id = $1', [id]))[0]
        .running_jobs;

    it('caps claims across claimers and gives slots back on every way out of running', async () => {
      await queue.insertMany(jobFactory.many(capped, 10));
      const first = await queue.claim('w1', 10, LEASE_SECONDS);
      const second = await queue.claim('w2', 10, LEASE_SECONDS);
      expect(first.length + second.length).toBe(3);
      expect(await runningJobsOf(capped)).toBe(3);
      const held = [...first.map((job) => ['w1', job.id]), ...second.map((job) => ['w2', job.id])];
      const [[ownerA, a], [ownerB, b], [ownerC, c]] = held;
      await queue.completeMany(ownerA, [{ id: a, result: null }]);
      expect(await runningJobsOf(capped)).toBe(2);
      await queue.failMany(ownerB, [{ id: b, error: 'boom', retryDelayMs: 60_000 }]);
      await queue.releaseMany(ownerC, [c]);
      expect(await runningJobsOf(capped)).toBe(0);
      const third = await queue.claim('w3', 10, LEASE_SECONDS);
      expect(third).toHaveLength(3);
      await queue.cancel(capped, third[0].id);
      expect(await runningJobsOf(capped)).toBe(2);
    });

    it('does not hold back uncapped tenants, and a capped tenant another claimer has locked is skipped', async () => {
      await queue.insertMany(jobFactory.many(capped, 5));
      await queue.insertMany(jobFactory.many(tenant, 5));
      const holder = await pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [capped]);
        const claimed = await queue.claim('w1', 10, LEASE_SECONDS);
        expect(claimed.map((job) => job.tenant_id)).toEqual(Array(5).fill(tenant));
      } finally {
        await holder.query('ROLLBACK');
        holder.release();
      }
      expect((await queue.claim('w2', 10, LEASE_SECONDS)).map((job) => job.tenant_id)).toEqual(
        Array(3).fill(capped),
      );
    });

    it('re-counts running jobs when a cap is set on a tenant with jobs in flight', async () => {
      await queue.insertMany(jobFactory.many(tenant, 4));
      await queue.claim('w1', 4, LEASE_SECONDS);
      await sql('UPDATE tenants SET max_concurrency = 2 WHERE id = $1', [tenant]);
      expect(await runningJobsOf(tenant)).toBe(0); // claimed while uncapped: not counted
      expect(await queue.recountTenantSlots(null)).toEqual([{ id: tenant, running_jobs: 4 }]);
      await queue.insertMany(jobFactory.many(tenant, 2));
      expect(await queue.claim('w1', 10, LEASE_SECONDS)).toEqual([]);
      await sql('UPDATE tenants SET max_concurrency = NULL, running_jobs = 0 WHERE id = $1', [tenant]);
    });
  });

  it('lets only one process run a maintenance task at a time', async () => {
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [MAINTENANCE_LOCK_KEYS.pruner]);
      expect(await queue.pruneFinishedExclusively(7, 10)).toBeNull();
      expect(await queue.rescueExpiredExclusively(10, { baseMs: 0, maxMs: 0 })).toEqual([]); // another task's lock is free
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await queue.pruneFinishedExclusively(7, 10)).toBe(0);
  });

  describe('state-change events', () => {
    let listener: Client;
    let received: Array<{ bytes: number; event: JobEventNotification }>;

    beforeEach(async () => {
      received = [];
      listener = new Client({ connectionString: db.url });
      await listener.connect();
      listener.on('notification', ({ payload }) =>
        received.push({ bytes: Buffer.byteLength(payload!), event: JSON.parse(payload!) }),
      );
      await listener.query(`LISTEN ${JOB_EVENTS_CHANNEL}`);
    });
    afterEach(() => listener.end());

    const eventsOf = async (kind: JobEventKind, expectedRows: number) => {
      const rows = () => received.filter((r) => r.event.kind === kind).flatMap((r) => r.event.jobs);
      await waitUntil(`${expectedRows} ${kind} events`, () => rows().length >= expectedRows, 5_000);
      return rows();
    };

    it('publishes every change in batches that stay under the 8,000-byte NOTIFY limit', async () => {
      const long = 'q'.repeat(200);
      const inserted = await queue.insertMany(jobFactory.many(tenant, 60, { queue: long, type: long }));
      const submitted = await eventsOf('submitted', 60);
      expect(submitted.map((row) => row[0]).sort()).toEqual(inserted.map((job) => job.id).sort());
      expect(submitted[0]).toEqual([
        expect.any(String),
        tenant,
        'q'.repeat(64),
        'q'.repeat(64),
        'pending',
        0,
        0,
        null,
      ]);

      const claimed = await queue.claim('w1', 60, LEASE_SECONDS);
      expect((await eventsOf('started', 60)).every((row) => row[4] === 'running' && row[5] === 1)).toBe(true);

      await queue.completeMany(
        'w1',
        claimed.slice(0, 30).map((job) => ({ id: job.id, result: null })),
      );
      // The worst case for size: errors that JSON escaping grows sixfold.
      const nasty = '\u0001"'.repeat(150);
      await queue.failMany(
        'w1',
        claimed
          .slice(30, 59)
          .map((job, i) => ({ id: job.id, error: i === 0 ? 'x' : nasty, retryDelayMs: 1000 })),
      );
      expect(await queue.cancel(tenant, claimed[59].id)).toMatchObject({ cancelled: true });
      expect((await eventsOf('completed', 30)).every((row) => row[4] === 'completed' && row[6] === 100)).toBe(
        true,
      );
      const failed = await eventsOf('failed', 29);
      expect(failed.every((row) => row[4] === 'failed')).toBe(true);
      expect(failed.map((row) => row[7])).toEqual(['x', ...Array(28).fill(nasty.slice(0, 100))]);
      expect(await eventsOf('cancelled', 1)).toEqual([
        [claimed[59].id, tenant, expect.any(String), expect.any(String), 'cancelled', 1, 0, null],
      ]);

      expect(Math.max(...received.map((r) => r.bytes))).toBeLessThan(8_000);
      expect(received.every((r) => typeof r.event.at === 'number')).toBe(true);
      // 60 submitted, 60 started, 30 completed: 3 + 3 + 2 notifications, not one per job.
      expect(received.filter((r) => r.event.kind === 'started')).toHaveLength(3);
    });

    it('sends nothing when nothing changed', async () => {
      await queue.completeMany('nobody', [{ id: '00000000-0000-0000-0000-000000000000', result: null }]);
      await queue.claim('w1', 10, LEASE_SECONDS);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received).toEqual([]);
    });
  });

  it('claims through the pending index with a deep backlog', async () => {
    await sql(`INSERT INTO jobs (tenant_id, payload) SELECT $1, '{}'::jsonb FROM generate_series(1, 50000)`, [
      tenant,
    ]);
    await sql('ANALYZE jobs');
    const plan = await sql<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM jobs WHERE tenant_id = $1 AND status = 'pending' AND run_at <= now()
       ORDER BY priority, run_at, id LIMIT 10 FOR UPDATE SKIP LOCKED`,
      [tenant],
    );
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toContain('jobs_pending_idx');
    expect(text).not.toMatch(/Seq Scan|Sort/);
  });
});
