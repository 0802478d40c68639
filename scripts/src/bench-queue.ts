import 'reflect-metadata';
import { fork } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { loadConfigOrExit } from '../../backend/src/common/process-lifecycle';
import { migrateUp } from '../../backend/src/database/migrator';
import { openDatabaseTarget } from '../../backend/src/launcher/database-target';
import { JobQueue } from '../../backend/src/queue/job-queue';
import { type NewJob } from '../../backend/src/queue/queue.sql';
import { percentile, sleep, waitFor } from './bench-stats';

const DRAIN_JOBS = 20_000;
const CONCURRENCY = 10;
const PICKUP_SAMPLES = 200;
const WORKER = path.resolve(__dirname, '../../backend/src/main.worker.js');
const BENCH_DB = 'conveyor_bench';

const noop = (tenantId: string): NewJob => ({
  tenantId,
  queue: 'default',
  type: 'default',
  payload: { duration_ms: 0 },
  priority: 0,
  runAt: null,
  maxAttempts: 4,
  idempotencyKey: null,
  traceId: null,
});

export interface QueueBenchResult {
  /** JOB_LOG_LEVEL the worker ran with, and the job lifecycle lines it wrote (to a file). */
  lifecycle_logs: { level: string; lines: number };
  drain: { jobs: number; concurrency: number; seconds: number; jobs_per_second: number };
  pickup_ms: { samples: number; p50: number; p95: number; p99: number };
}

/**
 * One worker process at concurrency 10 drains `jobs` no-op jobs, then the pickup latency of an
 * idle worker (insert commit → claim, both on the database clock), in a scratch database
 * `conveyor_bench` made (and dropped) on the server of `serverUrl`.
 */
export async function benchQueue(
  serverUrl: string,
  jobs = DRAIN_JOBS,
  jobLogLevel = 'info',
): Promise<QueueBenchResult> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${BENCH_DB}`);
  const url = new URL(serverUrl);
  url.pathname = `/${BENCH_DB}`;
  const benchUrl = url.toString();
  await migrateUp(benchUrl);
  const pool = new Pool({ connectionString: benchUrl, max: 4 });
  const queue = new JobQueue(pool);
  const [{ id: tenant }] = (await pool.query(`INSERT INTO tenants (name) VALUES ('bench') RETURNING id`))
    .rows;
  const count = async (status: string) =>
    Number((await pool.query('SELECT count(*) AS n FROM jobs WHERE status = $1', [status])).rows[0].n);
  // Polled every 20 ms during the drain, so it must cost next to nothing: a count(*) of completed
  // jobs scans the table and took half a core of the database here, away from the worker.
  // Both lookups are index scans of partial indexes (jobs_claim_idx, jobs_lease_idx).
  const anyLeft = async () =>
    (
      await pool.query(`
        SELECT EXISTS (SELECT 1 FROM jobs WHERE status IN ('pending', 'failed'))
            OR EXISTS (SELECT 1 FROM jobs WHERE status = 'running') AS left`)
    ).rows[0].left as boolean;
  const anyRunning = async () =>
    (await pool.query(`SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'running') AS running`)).rows[0]
      .running as boolean;

  for (let i = 0; i < jobs; i += 1_000)
    await queue.insertMany(Array.from({ length: Math.min(1_000, jobs - i) }, () => noop(tenant)));

  // The worker logs at info to a file, as it would to a container's log pipe: the job lifecycle
  // lines (JOB_LOG_LEVEL=info, the default) are part of what is measured; JOB_LOG_LEVEL=off
  // measures without them.
  const logFile = path.join(tmpdir(), `conveyor-bench-queue-${process.pid}.log`);
  const logFd = openSync(logFile, 'w');
  const worker = fork(WORKER, [], {
    env: {
      ...process.env,
      DATABASE_URL: benchUrl,
      WORKER_CONCURRENCY: String(CONCURRENCY),
      LOG_LEVEL: 'info',
      JOB_LOG_LEVEL: jobLogLevel,
    },
    stdio: ['ignore', logFd, 'inherit', 'ipc'],
  });
  await waitFor(anyRunning, 5);
  const drainStart = Date.now();
  await waitFor(async () => !(await anyLeft()), 20);
  const drainSeconds = (Date.now() - drainStart) / 1000;
  const completed = await count('completed');
  if (completed !== jobs) throw new Error(`drained ${completed} of ${jobs} jobs: the rest did not complete`);

  const latencies: number[] = [];
  for (let i = 0; i < PICKUP_SAMPLES; i++) {
    const [{ id }] = await queue.insertMany([noop(tenant)]);
    await waitFor(
      async () =>
        (await pool.query(`SELECT status FROM jobs WHERE id = $1`, [id])).rows[0].status === 'completed',
      1,
    );
    const { rows } = await pool.query(
      `SELECT extract(epoch FROM (started_at - created_at)) * 1000 AS ms FROM jobs WHERE id = $1`,
      [id],
    );
    latencies.push(Number(rows[0].ms));
    await sleep(20); // let the worker go idle again
  }
  latencies.sort((a, b) => a - b);

  worker.kill('SIGTERM');
  await new Promise((resolve) => worker.once('exit', resolve));
  closeSync(logFd);
  const lines = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"JobLifecycle"')).length;
  rmSync(logFile);
  await pool.end();
  await admin.query(`DROP DATABASE ${BENCH_DB} WITH (FORCE)`);
  await admin.end();
  return {
    lifecycle_logs: { level: jobLogLevel, lines },
    drain: {
      jobs,
      concurrency: CONCURRENCY,
      seconds: drainSeconds,
      jobs_per_second: Math.round(jobs / drainSeconds),
    },
    pickup_ms: {
      samples: PICKUP_SAMPLES,
      p50: +percentile(latencies, 50).toFixed(2),
      p95: +percentile(latencies, 95).toFixed(2),
      p99: +percentile(latencies, 99).toFixed(2),
    },
  };
}

/**
 * `npm run bench:queue`: one worker process at concurrency 10 drains 20,000 no-op jobs, then
 * the pickup latency of an idle worker (insert commit → claim, both on the database clock).
 * JOB_LOG_LEVEL=off runs it without the job lifecycle log lines (compare with the default, info).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const target = await openDatabaseTarget(config, (m) => console.error(m));
  console.log(JSON.stringify(await benchQueue(target.url, DRAIN_JOBS, config.JOB_LOG_LEVEL), null, 2));
  await target.release();
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
