import { freePort } from '../../../backend/src/database/embedded/embedded-database';
import {
  type ChaosContext,
  type Findings,
  type Proc,
  http,
  jsonInit,
  percentile,
  runScenario,
  sleep,
  sql,
  stage,
  startWorker,
  stop,
  waitUntil,
} from './harness';

export interface LongJobsOptions {
  workers: number;
  /** WORKER_CONCURRENCY of each: the fleet has workers × concurrency slots. */
  concurrency: number;
  /** The long tenant's long sleeps: they outlast the scenario (cleanup aborts them). */
  longSeconds: number;
  /** The long tenant's other jobs on the fleet, sleeping this long: the slots that turn over. */
  turnSeconds: number;
  /** Long sleeps the long tenant keeps waiting behind the ones running. */
  backlog: number;
  /** Short sleeps the other tenant submits at once, each `shortMs` long. */
  shortJobs: number;
  shortMs: number;
  /** timeout_ms of an image job of 10,000,000 iterations (tens of seconds of CPU): it must be cut there. */
  timeoutMs: number;
}

export const LONG_JOBS_FULL: LongJobsOptions = {
  workers: 2,
  concurrency: 8,
  longSeconds: 600,
  turnSeconds: 5,
  backlog: 64,
  shortJobs: 400,
  shortMs: 100,
  timeoutMs: 2_000,
};

/** TENANT_MAX_SHARE's default (docs/fairness.md). */
const SHARE = 0.5;
/** A claim, a NOTIFY or a 200 ms poll, on a loaded 2-core machine: what a start may lag a free slot. */
const SLACK_MS = 2_000;

interface TenantJob {
  id: string;
  status: string;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
}

const jobsOf = (url: string, tenantId: string) =>
  sql<TenantJob>(
    url,
    `SELECT id, status, extract(epoch FROM created_at) * 1000 AS created_ms,
            extract(epoch FROM started_at) * 1000 AS started_ms,
            extract(epoch FROM finished_at) * 1000 AS finished_ms
     FROM jobs WHERE tenant_id = $1`,
    [tenantId],
  );

const runningOf = async (url: string, tenantId: string): Promise<number> =>
  Number(
    (
      await sql<{ n: string }>(
        url,
        `SELECT count(*) AS n FROM jobs WHERE tenant_id = $1 AND status = 'running'`,
        [tenantId],
      )
    )[0].n,
  );

const nowMs = async (url: string): Promise<number> =>
  Number((await sql<{ ms: string }>(url, 'SELECT extract(epoch FROM now()) * 1000 AS ms'))[0].ms);

/**
 * One tenant's long jobs on every slot of the fleet. First a job that runs past its time limit
 * (an image job of tens of seconds of CPU with a short timeout_ms) must be cut at the limit. Then
 * the long tenant, alone, fills the fleet: half of it with sleeps that outlast the scenario, half
 * with sleeps of `turnSeconds`, and keeps a backlog of long ones waiting. Once it holds every
 * slot, another tenant submits short jobs. With the fleet-share rule (TENANT_MAX_SHARE 0.5) the
 * long tenant starts no job while the other has one waiting, is down to its share once its short
 * sleeps end, and keeps its long jobs (nothing is preempted); the other tenant's first job starts
 * as the first slot frees and all of them run on the half of the fleet the long tenant gave up.
 * Without the rule the long tenant's backlog takes part of every slot that frees and the other
 * tenant's jobs end up waiting for the long ones.
 */
export function longJobs(context: ChaosContext, options: LongJobsOptions): Promise<Findings> {
  return runScenario("one tenant's long jobs on every slot", async (findings, cleanup) => {
    const slots = options.workers * options.concurrency;
    const share = Math.max(1, Math.floor(SHARE * slots));
    const { database, tenants, api } = await stage(context, cleanup, { long: {}, short: {} });
    const { long, short } = tenants;
    const metricsPorts = await Promise.all(Array.from({ length: options.workers }, () => freePort()));
    const workers: Proc[] = metricsPorts.map((port) =>
      startWorker(database.url, {
        WORKER_METRICS_PORT: String(port),
        WORKER_CONCURRENCY: String(options.concurrency),
        POLL_INTERVAL_MS: '200',
        // The fleet is read every heartbeat: a short one, so both workers count from the start.
        WORKERS_HEARTBEAT_SECONDS: '1',
        WORKERS_STALE_SECONDS: '5',
        SHUTDOWN_GRACE_SECONDS: '1',
      }),
    );
    cleanup.push(() => Promise.all(workers.map((worker) => stop(worker))));
    await waitUntil(
      'every worker is in the registry',
      async () =>
        Number((await sql<{ n: string }>(database.url, 'SELECT count(*) AS n FROM workers'))[0].n) ===
        options.workers,
      60_000,
    );
    await sleep(1_500); // each worker's next read of the fleet

    const submit = async (bearer: string, jobs: Array<Record<string, unknown>>): Promise<string[]> => {
      const result = await http(`${api.base}/api/v1/jobs/batch`, jsonInit(bearer, { jobs }));
      if (result.status !== 201)
        throw new Error(`batch answered ${result.status}: ${JSON.stringify(result.body)}`);
      return (result.body as { jobs: Array<{ id: string }> }).jobs.map((job) => job.id);
    };
    const sleeps = (count: number, seconds: number) =>
      Array.from({ length: count }, () => ({ type: 'sleep', payload: { seconds }, max_attempts: 1 }));

    // The time limit: an image job of 10,000,000 iterations is tens of seconds of one core.
    const [cut] = await submit(long.bearer, [
      {
        type: 'image',
        payload: { iterations: 10_000_000, failure_rate: 0 },
        timeout_ms: options.timeoutMs,
        max_attempts: 1,
      },
    ]);
    let ended:
      { status: string; ran_ms: number; errors: Array<{ error?: string; message?: string }> } | undefined;
    await waitUntil(
      'the job past its time limit has ended',
      async () => {
        [ended] = await sql(
          database.url,
          `SELECT status, extract(epoch FROM finished_at - started_at) * 1000 AS ran_ms, errors
           FROM jobs WHERE id = $1 AND finished_at IS NOT NULL`,
          [cut],
        );
        return ended !== undefined;
      },
      options.timeoutMs + 30_000,
    );
    const ranMs = Math.round(Number(ended!.ran_ms));
    const lastError = JSON.stringify(ended!.errors.at(-1) ?? null);
    findings.set(
      `job past its limit (timeout_ms ${options.timeoutMs}): status, ran ms, error`,
      `${ended!.status}, ${ranMs}, ${lastError}`,
    );
    findings.expect(
      ended!.status === 'dead' && lastError.includes(`timed out after ${options.timeoutMs} ms`),
      `the job past its time limit ended ${ended!.status} with ${lastError}`,
    );
    findings.expect(
      ranMs >= options.timeoutMs - 100 && ranMs <= options.timeoutMs + SLACK_MS,
      `the job past its time limit ran ${ranMs} ms against a limit of ${options.timeoutMs}`,
    );

    // The long tenant alone fills the fleet, in this order: long sleeps, turning ones, the backlog.
    const longIds = await submit(long.bearer, sleeps(share, options.longSeconds));
    await submit(long.bearer, sleeps(slots - share, options.turnSeconds));
    await submit(long.bearer, sleeps(options.backlog, options.longSeconds));
    await waitUntil(
      'the long tenant holds every slot',
      async () => (await runningOf(database.url, long.id)) >= slots,
      30_000,
    );

    await sleep(1_000); // a claim ahead of the slots, if a worker makes one, lands too
    const heldAtSubmission = await runningOf(database.url, long.id);
    // Jobs each worker claimed ahead and holds waiting for a slot of its own (its /metrics).
    const claimedAhead = async (): Promise<string> =>
      (
        await Promise.all(
          metricsPorts.map(async (port) => {
            const metrics = await http(`http://127.0.0.1:${port}/metrics`);
            return (
              /^conveyor_worker_jobs\{state="prefetched"\} (\d+)$/m.exec(String(metrics.body))?.[1] ?? '?'
            );
          }),
        )
      ).join(' + ');
    const aheadAtSubmission = await claimedAhead();
    const submittedMs = await nowMs(database.url);
    const shortIds = new Set(await submit(short.bearer, sleeps(options.shortJobs, options.shortMs / 1000)));
    const series: Array<{ at: number; running: number }> = [];
    const drainBoundMs =
      options.turnSeconds * 1000 + 2 * ((options.shortJobs * options.shortMs) / (slots - share)) + SLACK_MS;
    const deadline = performance.now() + drainBoundMs + 10_000;
    let shortJobs: TenantJob[];
    for (;;) {
      series.push({ at: Date.now(), running: await runningOf(database.url, long.id) });
      shortJobs = await jobsOf(database.url, short.id);
      if (shortJobs.every((job) => job.status === 'completed') || performance.now() > deadline) break;
      await sleep(500);
    }
    const aheadAtEnd = await claimedAhead();
    const longJobsNow = await jobsOf(database.url, long.id);

    const completed = shortJobs.filter((job) => job.status === 'completed');
    const pickups = shortJobs
      .map((job) => (job.started_ms === null ? Number.POSITIVE_INFINITY : job.started_ms - job.created_ms))
      .sort((a, b) => a - b);
    const lastStart = Math.max(...shortJobs.map((job) => job.started_ms ?? Number.POSITIVE_INFINITY));
    const lastEnd = Math.max(...completed.map((job) => job.finished_ms!));
    const startedMeanwhile = longJobsNow.filter(
      (job) => job.started_ms !== null && job.started_ms > submittedMs && job.started_ms < lastStart,
    );
    const longStillRunning = longJobsNow.filter(
      (job) => longIds.includes(job.id) && job.status === 'running',
    ).length;
    // Claims of the long tenant while the other waited: its held count (running or claimed ahead)
    // may only fall from the other's submission until the other's last job started.
    const window = series
      .filter(({ at }) => at > submittedMs && at < lastStart)
      .map(({ running }) => running);
    const rises = window.filter((n, i) => i > 0 && n > window[i - 1]);

    findings.set(
      'fleet: workers × concurrency = slots (share)',
      `${options.workers} × ${options.concurrency} = ${slots} (${share})`,
    );
    findings.set(
      'long tenant: long / turning / backlog sleeps',
      `${share} × ${options.longSeconds} s / ${slots - share} × ${options.turnSeconds} s / ${options.backlog} × ${options.longSeconds} s`,
    );
    findings.set(
      'short tenant: jobs (sleep ms), completed',
      `${options.shortJobs} (${options.shortMs}), ${completed.length}`,
    );
    findings.set(
      'short tenant pickup ms p50 / p95 / max (first)',
      `${Math.round(percentile(pickups, 50))} / ${Math.round(percentile(pickups, 95))} / ${Math.round(pickups.at(-1)!)} (${Math.round(pickups[0])})`,
    );
    findings.set(
      'short tenant: all done after ms (bound)',
      `${completed.length === options.shortJobs ? Math.round(lastEnd - submittedMs) : 'never'} (${Math.round(drainBoundMs)})`,
    );
    findings.set('long tenant jobs held (running or claimed ahead) as the other submits', heldAtSubmission);
    findings.set(
      'jobs claimed ahead, waiting for a slot, per worker: at that moment / at the end',
      `${aheadAtSubmission} / ${aheadAtEnd}`,
    );
    findings.set('long tenant running, every 500 ms', series.map(({ running }) => running).join(' '));
    findings.set('long tenant jobs started while the other waited', startedMeanwhile.length);
    findings.set('long tenant long jobs still running at the end', `${longStillRunning} of ${share}`);

    findings.expect(
      completed.length === options.shortJobs && shortIds.size === options.shortJobs,
      `${options.shortJobs - completed.length} of the short tenant's jobs did not complete within ${Math.round((drainBoundMs + 10_000) / 1000)} s`,
    );
    findings.expect(
      pickups[0] <= options.turnSeconds * 1000 + SLACK_MS,
      `the short tenant's first job started ${Math.round(pickups[0])} ms after submission, not with the first slot that freed (${options.turnSeconds} s)`,
    );
    findings.expect(
      lastEnd - submittedMs <= drainBoundMs,
      `the short tenant's jobs took ${Math.round(lastEnd - submittedMs)} ms, over ${Math.round(drainBoundMs)} (the turnover, then its jobs on half the fleet, twice over)`,
    );
    findings.expect(
      startedMeanwhile.length === 0,
      `the long tenant started ${startedMeanwhile.length} jobs while the other tenant had jobs waiting`,
    );
    findings.expect(
      rises.length === 0,
      `the long tenant's held jobs rose while the other tenant had jobs waiting: ${window.join(' ')}`,
    );
    findings.expect(
      longStillRunning === share,
      `only ${longStillRunning} of the long tenant's ${share} long jobs were still running: a job was taken away`,
    );
  });
}
