import PgBoss from 'pg-boss';
import { Pool } from 'pg';
import { installedVersion, PEER_CONCURRENCY, type PeerOptions, type PeerQueue } from './bench-peer-harness';

const QUEUE = 'bench';

/**
 * pg-boss 10 for throughput. It has no LISTEN/NOTIFY wake-up and no teamSize any more, so
 * concurrency is PEER_CONCURRENCY `work()` loops, each fetching a batch per poll and completing
 * the whole batch in one statement. A loop that found jobs still waits out the rest of its polling
 * interval, so the interval is pg-boss's minimum (0.5 s) and the batch is the size that drained
 * fastest here (2 cores, 60,000 jobs; batches of 100 to 2,000 tried): below ~250 the wait caps a
 * loop at batch/0.5 s, above ~350 a round of fetches and completions no longer fits in 0.5 s.
 * Cron scheduling, unused here, is off; supervision (maintenance) keeps its defaults. The pool
 * has a connection per worker loop and per enqueuing caller.
 */
function bestSettings(callers: number) {
  return {
    setup: 'best',
    version: installedVersion('pg-boss'),
    workers: PEER_CONCURRENCY,
    batchSize: 300,
    pollingIntervalSeconds: 0.5,
    max: Math.max(PEER_CONCURRENCY + 2, callers),
    schedule: false,
  };
}

/**
 * pg-boss as `new PgBoss(url)` and `work(queue, handler)` give it: pool of 10, cron and
 * supervision on, one job per fetch and a poll every 2 s; PEER_CONCURRENCY `work()` loops.
 */
const DEFAULT_SETTINGS = {
  setup: 'default',
  version: installedVersion('pg-boss'),
  workers: PEER_CONCURRENCY,
  batchSize: 1,
  pollingIntervalSeconds: 2,
  max: 10,
  schedule: true,
};

export async function openPgBoss(url: string, options: PeerOptions): Promise<PeerQueue> {
  const best = options.setup === 'best';
  const settings = best ? bestSettings(options.callers ?? 0) : DEFAULT_SETTINGS;
  const boss = best
    ? new PgBoss({ connectionString: url, max: settings.max, schedule: settings.schedule })
    : new PgBoss({ connectionString: url });
  boss.on('error', (error) => console.error('pg-boss:', error));
  await boss.start();
  await boss.createQueue(QUEUE);
  const pool = new Pool({ connectionString: url, max: 2 });
  pool.on('error', (error) => console.error('pg-boss bench pool:', error.message));
  const payload = { duration_ms: 0 };

  return {
    settings,
    idlePollMs: settings.pollingIntervalSeconds * 1000,
    async enqueueBulk(count) {
      await boss.insert(Array.from({ length: count }, () => ({ name: QUEUE, data: payload })));
    },
    async enqueueOne() {
      const id = await boss.send(QUEUE, payload);
      if (!id) throw new Error('pg-boss did not create the job');
      return id;
    },
    async anyUnfinished() {
      const { rows } = await pool.query(
        `SELECT EXISTS (SELECT 1 FROM pgboss.job WHERE name = $1 AND state <> 'completed') AS left`,
        [QUEUE],
      );
      return rows[0].left as boolean;
    },
    async completedCount() {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'`,
        [QUEUE],
      );
      return rows[0].n as number;
    },
    async discardWaiting() {
      const { rowCount } = await pool.query(
        `DELETE FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry')`,
        [QUEUE],
      );
      return rowCount ?? 0;
    },
    async startWorker(onJobStart) {
      const work = best
        ? { batchSize: settings.batchSize, pollingIntervalSeconds: settings.pollingIntervalSeconds }
        : {};
      for (let i = 0; i < settings.workers; i++)
        await boss.work(QUEUE, work, async (jobs) => {
          for (const job of jobs) onJobStart(job.id);
        });
    },
    async stopWorker() {
      await boss.offWork(QUEUE);
      // offWork stops the loops without waiting; one in the middle of a fetch finishes it first.
      await new Promise((resolve) => setTimeout(resolve, 300));
    },
    async databasePickupMs(jobId) {
      const { rows } = await pool.query(
        `SELECT extract(epoch FROM (started_on - created_on)) * 1000 AS ms FROM pgboss.job WHERE id = $1`,
        [jobId],
      );
      return Number(rows[0].ms);
    },
    async close() {
      await boss.stop({ graceful: true, wait: true });
      await pool.end();
    },
  };
}
