import { Logger, makeWorkerUtils, run, type Runner } from 'graphile-worker';
import { Pool } from 'pg';
import { installedVersion, PEER_CONCURRENCY, type PeerOptions, type PeerQueue } from './bench-peer-harness';

const TASK = 'bench';

/** Warnings and errors only: at `info` graphile-worker logs a line for every completed job. */
const logger = new Logger(() => (level, message) => {
  const severity: string = level;
  if (severity === 'error' || severity === 'warning') console.error(`graphile-worker: ${message}`);
});

/**
 * graphile-worker 0.17 as its performance page configures it for throughput, scaled to
 * PEER_CONCURRENCY: a local queue of 500 jobs fetched and locked in one query, job completions
 * and failures batched (delay 0: flushed on the next tick), prepared statements, a pool of
 * concurrency + 2 (or one per enqueuing caller). `useNodeTime` stays off: the database and this
 * process share one clock, which its documentation says makes the setting moot. New jobs wake
 * the worker by LISTEN/NOTIFY.
 */
function bestSettings(callers: number) {
  return {
    setup: 'best',
    version: installedVersion('graphile-worker'),
    concurrentJobs: PEER_CONCURRENCY,
    maxPoolSize: Math.max(PEER_CONCURRENCY + 2, callers),
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
    preparedStatements: true,
    useNodeTime: false,
    pollInterval: 2000,
  };
}

/**
 * graphile-worker's defaults (pool of 10, no local queue: one fetch per job, each completion its
 * own statement, prepared statements, 2 s poll behind LISTEN/NOTIFY) at PEER_CONCURRENCY.
 */
const DEFAULT_SETTINGS = {
  setup: 'default',
  version: installedVersion('graphile-worker'),
  concurrentJobs: PEER_CONCURRENCY,
  maxPoolSize: 10,
};

export async function openGraphileWorker(url: string, options: PeerOptions): Promise<PeerQueue> {
  const settings = options.setup === 'best' ? bestSettings(options.callers ?? 0) : { ...DEFAULT_SETTINGS };
  const { setup: _setup, version: _version, ...workerOptions } = settings;
  // Our own pool, shared by the worker and the utils, so that close() knows every connection has ended.
  const pgPool = new Pool({ connectionString: url, max: settings.maxPoolSize });
  const onError = (error: Error) => console.error('graphile-worker pool:', error.message);
  pgPool.on('error', onError);
  pgPool.on('connect', (client) => client.on('error', onError));
  const preset = { worker: { ...workerOptions, logger } };
  const utils = await makeWorkerUtils({ preset, pgPool });
  await utils.migrate();
  const payload = { duration_ms: 0 };
  let runner: Runner | undefined;
  let enqueued = 0;
  // Completed jobs are deleted, so a pickup job's lock time is read inside its own handler.
  let pickupPhase = false;
  const databasePickup = new Map<string, number>();

  return {
    settings,
    async enqueueBulk(count) {
      pickupPhase = false;
      await utils.addJobs(Array.from({ length: count }, () => ({ identifier: TASK, payload })));
      enqueued += count;
    },
    async enqueueOne() {
      pickupPhase = true;
      const { id } = await utils.addJob(TASK, payload);
      enqueued++;
      return id;
    },
    async anyUnfinished() {
      // Completed jobs are deleted: any row left is unfinished.
      const { rows } = await utils.withPgClient((client) =>
        client.query<{ left: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM graphile_worker._private_jobs) AS left`,
        ),
      );
      return rows[0].left;
    },
    async completedCount() {
      const { rows } = await utils.withPgClient((client) =>
        client.query<{ n: number }>(`SELECT count(*)::int AS n FROM graphile_worker._private_jobs`),
      );
      return enqueued - rows[0].n;
    },
    async discardWaiting() {
      const { rowCount } = await utils.withPgClient((client) =>
        client.query(`DELETE FROM graphile_worker._private_jobs WHERE locked_at IS NULL`),
      );
      enqueued -= rowCount ?? 0;
      return rowCount ?? 0;
    },
    async startWorker(onJobStart) {
      runner = await run({
        preset,
        pgPool,
        noHandleSignals: true,
        taskList: {
          [TASK]: async (_payload, helpers) => {
            onJobStart(helpers.job.id);
            if (!pickupPhase) return;
            const { rows } = await helpers.withPgClient((client) =>
              client.query<{ ms: string }>(
                `SELECT extract(epoch FROM (locked_at - created_at)) * 1000 AS ms
                   FROM graphile_worker._private_jobs WHERE id = $1`,
                [helpers.job.id],
              ),
            );
            databasePickup.set(helpers.job.id, Number(rows[0].ms));
          },
        },
      });
    },
    async stopWorker() {
      await runner?.stop();
      await runner?.promise;
      runner = undefined;
    },
    async databasePickupMs(jobId) {
      const ms = databasePickup.get(jobId);
      if (ms === undefined) throw new Error(`graphile-worker job ${jobId} did not record its pickup`);
      return ms;
    },
    async close() {
      await runner?.stop();
      await runner?.promise;
      await utils.release();
      await pgPool.end();
    },
  };
}
