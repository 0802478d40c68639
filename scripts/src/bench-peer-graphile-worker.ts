import { Logger, makeWorkerUtils, run, type Runner } from 'graphile-worker';
import { Pool } from 'pg';
import { installedVersion, PEER_CONCURRENCY, type PeerQueue } from './bench-peer-harness';

export const GRAPHILE_WORKER_DATABASE = 'bench_graphile';
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
 * concurrency + 2. `useNodeTime` stays off: the database and this process share one clock, which
 * its documentation says makes the setting moot. New jobs wake the worker by LISTEN/NOTIFY.
 */
const SETTINGS = {
  version: installedVersion('graphile-worker'),
  concurrentJobs: PEER_CONCURRENCY,
  maxPoolSize: PEER_CONCURRENCY + 2,
  localQueue: { size: 500 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
  preparedStatements: true,
  useNodeTime: false,
  pollInterval: 2000,
};

export async function openGraphileWorker(url: string): Promise<PeerQueue> {
  // Our own pool, shared by the worker and the utils, so that close() knows every connection has ended.
  const pgPool = new Pool({ connectionString: url, max: SETTINGS.maxPoolSize });
  const onError = (error: Error) => console.error('graphile-worker pool:', error.message);
  pgPool.on('error', onError);
  pgPool.on('connect', (client) => client.on('error', onError));
  const preset = { worker: { ...SETTINGS, logger } };
  const utils = await makeWorkerUtils({ preset, pgPool });
  await utils.migrate();
  const payload = { duration_ms: 0 };
  let runner: Runner | undefined;
  // Completed jobs are deleted, so a pickup job's lock time is read inside its own handler.
  let pickupPhase = false;
  const databasePickup = new Map<string, number>();

  return {
    settings: SETTINGS,
    async enqueueBulk(count) {
      await utils.addJobs(Array.from({ length: count }, () => ({ identifier: TASK, payload })));
    },
    async enqueueOne() {
      pickupPhase = true;
      return (await utils.addJob(TASK, payload)).id;
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
