import { Pool } from 'pg';
import { type JobHandler } from '../src/handlers/job-handler';
import { NO_LIFECYCLE_LOG } from '../src/logging/job-lifecycle';
import { type ClaimedJob, JobQueue } from '../src/queue/job-queue';
import { ClaimLoop } from '../src/worker/claim-loop';
import { HandlerThreads } from '../src/worker/handler-threads';
import { JobExecutor } from '../src/worker/job-executor';
import { jobFileReader } from '../src/worker/job-file-reader';
import { LeaseKeeper } from '../src/worker/lease-keeper';
import { LocalQueue } from '../src/worker/local-queue';
import { Maintenance, type MaintenanceOptions } from '../src/worker/maintenance';
import { ResultWriter } from '../src/worker/result-writer';
import { NO_OBSERVER } from '../src/worker/runtime-observer';
import { type RuntimeLogger } from '../src/worker/worker-runtime';
import { jobFactory } from './support/job-factory';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/**
 * The worker's parts one round at a time, in this process, against a real PostgreSQL: what the
 * forked-worker tests see only by polling, here step by step and without waiting on timers.
 */
describe('the worker parts, one round at a time', () => {
  let db: TestDatabase;
  let pool: Pool;
  let queue: JobQueue;
  let tenant: string;
  const threads = new HandlerThreads(1);
  const lines: string[] = [];
  const logger: RuntimeLogger = {
    log: (message) => lines.push(`log ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
    queue = new JobQueue(pool);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('parts') RETURNING id`,
    );
    tenant = rows[0].id;
  });
  afterAll(async () => {
    await threads.close();
    await pool.end();
    await db.drop();
  });
  beforeEach(async () => {
    lines.length = 0;
    await pool.query('DELETE FROM jobs');
  });

  const rowsOf = async (ids: string[]) =>
    (
      await pool.query<{ id: string; status: string; lease_owner: string | null; last_error: string | null }>(
        'SELECT id, status, lease_owner, last_error FROM jobs WHERE id = ANY($1) ORDER BY id',
        [ids],
      )
    ).rows;
  const statusOf = async (id: string) => (await rowsOf([id]))[0].status;
  const claim = async (count: number, overrides = {}): Promise<ClaimedJob[]> => {
    await queue.insertMany(jobFactory.many(tenant, count, overrides));
    return queue.claim('w1', count, 30);
  };
  const writer = () =>
    new ResultWriter(queue, 'w1', (what) => lines.push(`writer ${what}`), { baseMs: 60_000, maxMs: 60_000 });

  describe('ClaimLoop.claimOnce', () => {
    const loop = (local: LocalQueue, running = 0, pollIntervalMs = 1_000) =>
      new ClaimLoop(
        queue,
        local,
        writer(),
        { running: () => running, claimed: () => undefined },
        { workerId: 'w1', concurrency: 2, prefetch: 10, leaseSeconds: 30, pollIntervalMs },
        NO_OBSERVER,
        logger,
      );
    /** A second tenant, and 40 jobs of the first; a local queue whose prefetch is 10 (room for 12). */
    const twoTenants = async (name: string) => {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO tenants (name) VALUES ($1) RETURNING id`,
        [name],
      );
      await queue.insertMany(jobFactory.many(tenant, 40));
      const local = new LocalQueue(2, 10);
      local.ran(1);
      return { other: rows[0].id, local };
    };

    it('claims the free slots plus the prefetch into the local queue, under its lease, and no more while the queue is full', async () => {
      await queue.insertMany(jobFactory.many(tenant, 30));
      const local = new LocalQueue(2, 10);
      const wanted = local.wanted(0);
      const claims = loop(local);

      expect(await claims.claimOnce()).toBe(wanted);
      expect(local.length).toBe(wanted);
      const rows = await rowsOf(local.ids());
      expect(rows.map((row) => [row.status, row.lease_owner])).toEqual(
        Array.from({ length: wanted }, () => ['running', 'w1']),
      );
      // Full: no claim is due until half of it has started.
      expect(await claims.claimOnce()).toBeUndefined();
    });

    it('claims nothing while every slot runs and the local queue is not low, and says an empty queue is empty', async () => {
      const local = new LocalQueue(2, 0);
      expect(await loop(local, 2).claimOnce()).toBeUndefined();
      expect(await loop(local, 0).claimOnce()).toBe(0);
    });

    it("claims a new tenant's job at once beside a full local queue, and starts it before the batch", async () => {
      const { other, local } = await twoTenants('parts-express');
      const claims = loop(local, 2, 60_000); // every slot runs
      let going = true;
      const loopDone = claims.run(() => going);
      try {
        await waitUntil('the first batch', () => local.length === 10, 5_000);
        // Full and not low: the loop sleeps (a minute) and claims nothing more, woken or not.
        const [job] = await queue.insertMany([jobFactory.build(other)]);
        claims.wake(tenant);
        await sleep(100);
        expect(local.length).toBe(10);
        // Told of the other tenant's job, it claims once there is room: one place, then its job.
        claims.wake(other);
        await sleep(100);
        expect(local.length).toBe(10);
        local.next(performance.now(), () => undefined);
        claims.expressClaim();
        await waitUntil("the other tenant's job", () => local.holds(other), 5_000);
        expect(local.length).toBe(10);
        expect(await rowsOf([job.id])).toEqual([
          expect.objectContaining({ status: 'running', lease_owner: 'w1' }),
        ]);
        expect(local.next(performance.now(), () => undefined)?.id).toBe(job.id);
        expect(lines).toEqual([]);
      } finally {
        going = false;
        claims.wake();
        await loopDone;
      }
    });

    it("claims no more beside the loop's claim under way than the room both were sized from", async () => {
      const { other, local } = await twoTenants('parts-room');
      const claims = loop(local, 0, 60_000); // both slots free
      // The loop's claim of 12 waits behind a lock on jobs while another tenant's job is told of.
      const blocker = await pool.connect();
      await blocker.query('BEGIN; LOCK TABLE jobs IN EXCLUSIVE MODE');
      let going = true;
      const loopDone = claims.run(() => going);
      try {
        await waitUntil('the claim under way', () => claims.health().waitingMs > 0, 5_000);
        // Told of another tenant's job (which another worker may have taken since): the room is
        // the claim under way's, so no express claim goes out beside it.
        claims.wake(other);
        await sleep(100);
        await blocker.query('COMMIT');
        await waitUntil('the claim landed', () => local.length > 0, 5_000);
        await sleep(200);
        expect(local.length).toBe(12);
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM jobs WHERE status = 'running' AND lease_owner = 'w1'`,
        );
        expect(rows[0].n).toBe(12);
      } finally {
        blocker.release();
        going = false;
        claims.wake();
        await loopDone;
      }
    });
  });

  describe('JobExecutor.run', () => {
    const handler = (run: JobHandler['run'], defaultTimeoutMs = 60_000): JobHandler => ({
      description: 'test',
      examplePayload: {},
      defaultTimeoutMs,
      run,
    });
    const executor = (handlers: Record<string, JobHandler>, results = writer()) => {
      const ran: number[] = [];
      const instance = new JobExecutor(
        handlers,
        { workerId: 'w1', backoff: { baseMs: 60_000, maxMs: 60_000 } },
        {
          queue,
          writer: results,
          threads,
          logger,
          filesOf: (tenantId) => jobFileReader(pool, tenantId),
          observer: NO_OBSERVER,
          lifecycle: NO_LIFECYCLE_LOG,
          ran: (ms) => ran.push(ms),
        },
      );
      return { instance, results, ran };
    };

    it('hands a completed job to the writer, with its result', async () => {
      const [job] = await claim(1, { type: 'echo' });
      const { instance, results, ran } = executor({
        echo: handler(async ({ payload }) => ({ echoed: payload })),
      });
      await instance.run(job);
      expect(instance.size).toBe(0);
      expect(ran).toHaveLength(1);
      await results.flush();
      const { rows } = await pool.query('SELECT status, result FROM jobs WHERE id = $1', [job.id]);
      expect(rows).toEqual([{ status: 'completed', result: { echoed: { n: 0 } } }]);
    });

    it('fails a throwing handler into a retry, with its message, and a job of an unknown type likewise', async () => {
      const [thrower, unknown] = await claim(2, { type: 'boom' });
      await pool.query(`UPDATE jobs SET type = 'nobody' WHERE id = $1`, [unknown.id]);
      const { instance, results } = executor({
        boom: handler(() => Promise.reject(new Error('it broke'))),
      });
      await instance.run(thrower);
      await instance.run({ ...unknown, type: 'nobody' });
      await results.flush();
      expect((await rowsOf([thrower.id])).map((r) => [r.status, r.last_error])).toEqual([
        ['failed', 'it broke'],
      ]);
      expect((await rowsOf([unknown.id])).map((r) => [r.status, r.last_error])).toEqual([
        ['failed', 'no handler for job type "nobody"'],
      ]);
    });

    it('fails a job that outlives its time limit as soon as the limit passes, even when its handler ignores the signal', async () => {
      const [job] = await claim(1, { type: 'deaf', timeoutMs: 200 });
      let release: () => void = () => undefined;
      const { instance, results, ran } = executor({
        deaf: handler(() => new Promise<void>((resolve) => (release = resolve))),
      });
      const started = performance.now();
      await instance.run(job);
      const tookMs = performance.now() - started;
      release();
      expect(tookMs).toBeGreaterThanOrEqual(190);
      expect(ran).toEqual([]); // an aborted run does not size the prefetch
      await results.flush();
      expect((await rowsOf([job.id])).map((r) => [r.status, r.last_error])).toEqual([
        ['failed', 'timed out after 200 ms'],
      ]);
    });

    it('writes nothing for a job taken away while it runs: it stays as the canceller or rescuer left it', async () => {
      const [job] = await claim(1, { type: 'slow' });
      const { instance, results } = executor({
        slow: handler(({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', reject))),
      });
      const done = instance.run(job);
      instance.takeAway(job.id, 'lease lost');
      await done;
      await results.flush();
      expect(results.unwritten).toBe(0);
      expect(await statusOf(job.id)).toBe('running');
      expect(lines).toContain(`log job ${job.id} stopped: lease lost`);
    });

    it('releases the jobs it aborts at shutdown, without spending their attempt', async () => {
      const [job] = await claim(1, { type: 'slow' });
      const { instance, results } = executor({
        slow: handler(() => new Promise(() => undefined)),
      });
      const done = instance.run(job);
      instance.abortAll();
      await done;
      await results.flush();
      const { rows } = await pool.query('SELECT status, attempts FROM jobs WHERE id = $1', [job.id]);
      expect(rows).toEqual([{ status: 'pending', attempts: 0 }]);
    });
  });

  describe('jobFileReader', () => {
    const store = async (owner: string, content: Buffer): Promise<string> => {
      const [job] = await queue.insertMany(jobFactory.many(owner, 1, { type: 'analyze' }));
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO job_files (tenant_id, job_id, filename, content_type, size, content)
         VALUES ($1, $2, 'f.log', 'text/plain', $3, $4) RETURNING id`,
        [owner, job.id, content.length, content],
      );
      return rows[0].id;
    };

    it('reads a file slice by slice, byte for byte, at every boundary, into a buffer of its own', async () => {
      const reader = jobFileReader(pool, tenant, 1_000);
      for (const size of [0, 1, 999, 1_000, 1_001, 2_500, 3_000]) {
        const content = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + size) % 256));
        const read = await reader.read(await store(tenant, content));
        expect(read.filename).toBe('f.log');
        expect(read.content.equals(content)).toBe(true);
        expect([read.content.byteOffset, read.content.buffer.byteLength]).toEqual([0, size]);
      }
    });

    it("refuses another tenant's file, and a file deleted before or while it is read", async () => {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO tenants (name) VALUES ('parts-other') RETURNING id`,
      );
      const theirs = await store(rows[0].id, Buffer.alloc(10, 1));
      await expect(jobFileReader(pool, tenant).read(theirs)).rejects.toThrow(`file ${theirs} not found`);

      const gone = await store(tenant, Buffer.alloc(3_000, 2));
      // Deleted (its job pruned) between the reader's first statement and its slices.
      const deleting = {
        query: async (...args: Parameters<Pool['query']>) => {
          const result = await pool.query(...args);
          await pool.query('DELETE FROM job_files WHERE id = $1', [gone]);
          return result;
        },
      } as unknown as Pool;
      await expect(jobFileReader(deleting, tenant, 1_000).read(gone)).rejects.toThrow(
        `file ${gone} not found`,
      );
      await expect(jobFileReader(pool, tenant).read(gone)).rejects.toThrow(`file ${gone} not found`);
    });
  });

  describe('LeaseKeeper.runOnce', () => {
    it('renews the leases still ours and reports the ones another worker now holds as lost', async () => {
      const jobs = await claim(3);
      const ids = jobs.map((job) => job.id);
      await pool.query(`UPDATE jobs SET lease_expires_at = now() + interval '1 second' WHERE id = ANY($1)`, [
        ids,
      ]);
      await pool.query(`UPDATE jobs SET lease_owner = 'w2' WHERE id = $1`, [ids[2]]);
      const renewed: string[] = [];
      const lost: string[] = [];
      const keeper = new LeaseKeeper(
        queue,
        'w1',
        30,
        {
          heldIds: () => ids,
          renewed: (held) => renewed.push(...held),
          lost: (gone) => lost.push(...gone),
        },
        logger,
      );

      await keeper.runOnce();

      expect(renewed.sort()).toEqual([ids[0], ids[1]].sort());
      expect(lost).toEqual([ids[2]]);
      const { rows } = await pool.query<{ id: string; secs: number }>(
        `SELECT id, extract(epoch FROM lease_expires_at - now())::float8 AS secs FROM jobs WHERE id = ANY($1)`,
        [ids],
      );
      const secs = Object.fromEntries(rows.map((row) => [row.id, row.secs]));
      expect(secs[ids[0]]).toBeGreaterThan(25);
      expect(secs[ids[1]]).toBeGreaterThan(25);
      expect(secs[ids[2]]).toBeLessThan(2);
    });

    it('logs a failed heartbeat and lets the next round try again, reporting nothing lost', async () => {
      const lost: string[] = [];
      const broken = new Pool({ connectionString: db.url, max: 1 });
      await broken.end();
      const keeper = new LeaseKeeper(
        new JobQueue(broken),
        'w1',
        30,
        {
          heldIds: () => ['00000000-0000-0000-0000-000000000000'],
          renewed: () => undefined,
          lost: (g) => lost.push(...g),
        },
        logger,
      );
      await keeper.runOnce();
      expect(lost).toEqual([]);
      expect(lines.some((line) => /heartbeat failed/.test(line))).toBe(true);
    });
  });

  describe('Maintenance.runOnce', () => {
    const options: MaintenanceOptions = {
      rescueIntervalMs: 60_000,
      promoteIntervalMs: 60_000,
      pruneIntervalMs: 60_000,
      rollIntervalMs: 60_000,
      retentionDays: 1,
      backoff: { baseMs: 1_000, maxMs: 1_000 },
      workersStaleSeconds: 60,
      workersPruneIntervalMs: 60_000,
    };
    const rescued: Array<[number, number]> = [];
    const maintenance = () =>
      new Maintenance(queue, options, logger, { rescued: (retried, dead) => rescued.push([retried, dead]) });

    it('the rescuer returns a job whose lease ran out to the queue for a retry, and one on its last attempt to the DLQ', async () => {
      const [retried, last] = await claim(2);
      await pool.query(`UPDATE jobs SET max_attempts = 1 WHERE id = $1`, [last.id]);
      await pool.query(`UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [
        [retried.id, last.id],
      ]);
      rescued.length = 0;
      await maintenance().runOnce('rescuer');
      expect(await statusOf(retried.id)).toBe('failed');
      expect(await statusOf(last.id)).toBe('dead');
      expect(rescued).toEqual([[1, 1]]);
      expect(lines).toContain('warn rescued 2 job(s) with expired leases (1 to the DLQ)');
    });

    it('the promoter makes due scheduled jobs pending and leaves those not yet due', async () => {
      const [due] = await queue.insertMany([jobFactory.delayed(tenant, 60_000)]);
      const [later] = await queue.insertMany([jobFactory.delayed(tenant, 3_600_000)]);
      await pool.query(`UPDATE jobs SET run_at = now() - interval '1 second' WHERE id = $1`, [due.id]);
      await maintenance().runOnce('promoter');
      expect(await statusOf(due.id)).toBe('pending');
      expect(await statusOf(later.id)).toBe('scheduled');
    });

    it('the pruner deletes finished jobs past retention and keeps the rest', async () => {
      const [old, recent] = await claim(2);
      await queue.completeMany('w1', [
        { id: old.id, result: null },
        { id: recent.id, result: null },
      ]);
      await pool.query(`UPDATE jobs SET finished_at = now() - interval '2 days' WHERE id = $1`, [old.id]);
      await maintenance().runOnce('pruner');
      expect((await rowsOf([old.id, recent.id])).map((row) => row.id)).toEqual([recent.id]);
    });

    it('the roller folds recorded transitions into the counters', async () => {
      await pool.query('DELETE FROM job_transitions');
      await queue.insertMany(jobFactory.many(tenant, 3, { queue: 'rolled' }));
      const pendingBefore = await pool.query(
        `SELECT coalesce(sum(jobs), 0)::int AS n FROM job_counts WHERE queue = 'rolled' AND status = 'pending'`,
      );
      expect(pendingBefore.rows).toEqual([{ n: 0 }]);
      await maintenance().runOnce('roller');
      const { rows } = await pool.query(
        `SELECT coalesce(sum(jobs), 0)::int AS n FROM job_counts WHERE queue = 'rolled' AND status = 'pending'`,
      );
      expect(rows).toEqual([{ n: 3 }]);
      expect((await pool.query('SELECT count(*)::int AS n FROM job_transitions')).rows).toEqual([{ n: 0 }]);
    });

    it('the registry pruner deletes workers that stopped heartbeating and keeps live ones', async () => {
      await pool.query(
        `INSERT INTO workers (id, host, pid, version, concurrency, last_seen_at)
         VALUES ('gone', 'h', 1, 'v', 1, now() - interval '10 minutes'), ('live', 'h', 2, 'v', 1, now())`,
      );
      await maintenance().runOnce('workers registry pruner');
      const { rows } = await pool.query(`SELECT id FROM workers ORDER BY id`);
      expect(rows).toEqual([{ id: 'live' }]);
      expect(lines).toContain('warn pruned 1 stale worker(s) from the registry: gone');
    });
  });
});
