import { freePort } from '../../../backend/src/database/embedded/embedded-database';
import {
  type Api,
  type ChaosContext,
  type Cleanup,
  type Findings,
  type Tenant,
  runScenario,
  scrapeWorker,
  sleep,
  spread,
  sql,
  stage,
  startWorkers,
  submitBatch,
  waitUntil,
  workersRegistered,
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
    const fleet = await startFleet(context, cleanup, options);
    await checkTimeLimit(fleet, findings);
    const longIds = await fillFleet(fleet);
    const watched = await submitShortJobsAndWatch(fleet);
    const outcome = measure(fleet, longIds, watched);
    report(findings, fleet, watched, outcome);
    check(findings, fleet, watched, outcome);
  });
}

/** The scenario's fleet and tenants; `share` is the long tenant's share of the `slots`. */
interface Fleet {
  options: LongJobsOptions;
  databaseUrl: string;
  api: Api;
  long: Tenant;
  short: Tenant;
  metricsPorts: number[];
  slots: number;
  share: number;
}

async function startFleet(context: ChaosContext, cleanup: Cleanup, options: LongJobsOptions): Promise<Fleet> {
  const slots = options.workers * options.concurrency;
  const { database, tenants, api } = await stage(context, cleanup, { long: {}, short: {} });
  const metricsPorts = await Promise.all(Array.from({ length: options.workers }, () => freePort()));
  startWorkers(database.url, cleanup, options.workers, (i) => ({
    WORKER_METRICS_PORT: String(metricsPorts[i]),
    WORKER_CONCURRENCY: String(options.concurrency),
    POLL_INTERVAL_MS: '200',
    // The fleet is read every heartbeat: a short one, so both workers count from the start.
    WORKERS_HEARTBEAT_SECONDS: '1',
    WORKERS_STALE_SECONDS: '5',
    SHUTDOWN_GRACE_SECONDS: '1',
  }));
  await workersRegistered(database.url, options.workers);
  await sleep(1_500); // each worker's next read of the fleet
  return {
    options,
    databaseUrl: database.url,
    api,
    long: tenants.long,
    short: tenants.short,
    metricsPorts,
    slots,
    share: Math.max(1, Math.floor(SHARE * slots)),
  };
}

const sleeps = (count: number, seconds: number) =>
  Array.from({ length: count }, () => ({ type: 'sleep', payload: { seconds }, max_attempts: 1 }));

/** The time limit: an image job of 10,000,000 iterations is tens of seconds of one core. */
async function checkTimeLimit(fleet: Fleet, findings: Findings): Promise<void> {
  const { timeoutMs } = fleet.options;
  const [cut] = await submitBatch(fleet.api, fleet.long.bearer, [
    {
      type: 'image',
      payload: { iterations: 10_000_000, failure_rate: 0 },
      timeout_ms: timeoutMs,
      max_attempts: 1,
    },
  ]);
  let ended:
    { status: string; ran_ms: number; errors: Array<{ error?: string; message?: string }> } | undefined;
  await waitUntil(
    'the job past its time limit has ended',
    async () => {
      [ended] = await sql(
        fleet.databaseUrl,
        `SELECT status, extract(epoch FROM finished_at - started_at) * 1000 AS ran_ms, errors
         FROM jobs WHERE id = $1 AND finished_at IS NOT NULL`,
        [cut],
      );
      return ended !== undefined;
    },
    timeoutMs + 30_000,
  );
  const ranMs = Math.round(Number(ended!.ran_ms));
  const lastError = JSON.stringify(ended!.errors.at(-1) ?? null);
  findings.set(
    `job past its limit (timeout_ms ${timeoutMs}): status, ran ms, error`,
    `${ended!.status}, ${ranMs}, ${lastError}`,
  );
  findings.expect(
    ended!.status === 'dead' && lastError.includes(`timed out after ${timeoutMs} ms`),
    `the job past its time limit ended ${ended!.status} with ${lastError}`,
  );
  findings.expect(
    ranMs >= timeoutMs - 100 && ranMs <= timeoutMs + SLACK_MS,
    `the job past its time limit ran ${ranMs} ms against a limit of ${timeoutMs}`,
  );
}

/** The long tenant alone fills the fleet, in this order: long sleeps, turning ones, the backlog. */
async function fillFleet(fleet: Fleet): Promise<string[]> {
  const { api, long, options, slots, share } = fleet;
  const longIds = await submitBatch(api, long.bearer, sleeps(share, options.longSeconds));
  await submitBatch(api, long.bearer, sleeps(slots - share, options.turnSeconds));
  await submitBatch(api, long.bearer, sleeps(options.backlog, options.longSeconds));
  await waitUntil(
    'the long tenant holds every slot',
    async () => (await runningOf(fleet.databaseUrl, long.id)) >= slots,
    30_000,
  );
  return longIds;
}

/** Jobs each worker claimed ahead and holds waiting for a slot of its own (its /metrics). */
async function claimedAhead(fleet: Fleet): Promise<string> {
  const perWorker = await Promise.all(
    fleet.metricsPorts.map(
      async (port) => (await scrapeWorker(port))('conveyor_worker_jobs{state="prefetched"}') ?? '?',
    ),
  );
  return perWorker.join(' + ');
}

interface Watched {
  heldAtSubmission: number;
  aheadAtSubmission: string;
  aheadAtEnd: string;
  /** The database's clock as the short tenant submitted. */
  submittedMs: number;
  shortIds: Set<string>;
  /** The long tenant's running jobs, every 500 ms from the submission. */
  series: Array<{ at: number; running: number }>;
  drainBoundMs: number;
  shortJobs: TenantJob[];
  longJobsNow: TenantJob[];
}

/**
 * The short tenant submits its jobs at once while the long tenant holds every slot; the long
 * tenant's running count is read every 500 ms until the short jobs are all done (or past the bound).
 */
async function submitShortJobsAndWatch(fleet: Fleet): Promise<Watched> {
  const { databaseUrl, options, long, short, slots, share } = fleet;
  await sleep(1_000); // a claim ahead of the slots, if a worker makes one, lands too
  const heldAtSubmission = await runningOf(databaseUrl, long.id);
  const aheadAtSubmission = await claimedAhead(fleet);
  const submittedMs = await nowMs(databaseUrl);
  const shortIds = new Set(
    await submitBatch(fleet.api, short.bearer, sleeps(options.shortJobs, options.shortMs / 1000)),
  );
  const series: Array<{ at: number; running: number }> = [];
  const drainBoundMs =
    options.turnSeconds * 1000 + 2 * ((options.shortJobs * options.shortMs) / (slots - share)) + SLACK_MS;
  const deadline = performance.now() + drainBoundMs + 10_000;
  let shortJobs: TenantJob[];
  for (;;) {
    series.push({ at: Date.now(), running: await runningOf(databaseUrl, long.id) });
    shortJobs = await jobsOf(databaseUrl, short.id);
    if (shortJobs.every((job) => job.status === 'completed') || performance.now() > deadline) break;
    await sleep(500);
  }
  return {
    heldAtSubmission,
    aheadAtSubmission,
    aheadAtEnd: await claimedAhead(fleet),
    submittedMs,
    shortIds,
    series,
    drainBoundMs,
    shortJobs,
    longJobsNow: await jobsOf(databaseUrl, long.id),
  };
}

interface Outcome {
  completed: TenantJob[];
  /** The short jobs' pickups, sorted (never started: infinity). */
  pickups: number[];
  lastEnd: number;
  startedMeanwhile: TenantJob[];
  longStillRunning: number;
  /** The long tenant's held counts while the other waited, and the rises among them. */
  window: number[];
  rises: number[];
}

function measure(fleet: Fleet, longIds: string[], watched: Watched): Outcome {
  const { shortJobs, longJobsNow, submittedMs } = watched;
  const completed = shortJobs.filter((job) => job.status === 'completed');
  const lastStart = Math.max(...shortJobs.map((job) => job.started_ms ?? Number.POSITIVE_INFINITY));
  // Claims of the long tenant while the other waited: its held count (running or claimed ahead)
  // may only fall from the other's submission until the other's last job started.
  const window = watched.series
    .filter(({ at }) => at > submittedMs && at < lastStart)
    .map(({ running }) => running);
  return {
    completed,
    pickups: shortJobs
      .map((job) => (job.started_ms === null ? Number.POSITIVE_INFINITY : job.started_ms - job.created_ms))
      .sort((a, b) => a - b),
    lastEnd: Math.max(...completed.map((job) => job.finished_ms!)),
    startedMeanwhile: longJobsNow.filter(
      (job) => job.started_ms !== null && job.started_ms > submittedMs && job.started_ms < lastStart,
    ),
    longStillRunning: longJobsNow.filter((job) => longIds.includes(job.id) && job.status === 'running')
      .length,
    window,
    rises: window.filter((n, i) => i > 0 && n > window[i - 1]),
  };
}

function report(findings: Findings, fleet: Fleet, watched: Watched, outcome: Outcome): void {
  const { options, slots, share } = fleet;
  const { completed, pickups, lastEnd } = outcome;
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
    `${spread(pickups)} (${Math.round(pickups[0])})`,
  );
  findings.set(
    'short tenant: all done after ms (bound)',
    `${completed.length === options.shortJobs ? Math.round(lastEnd - watched.submittedMs) : 'never'} (${Math.round(watched.drainBoundMs)})`,
  );
  findings.set(
    'long tenant jobs held (running or claimed ahead) as the other submits',
    watched.heldAtSubmission,
  );
  findings.set(
    'jobs claimed ahead, waiting for a slot, per worker: at that moment / at the end',
    `${watched.aheadAtSubmission} / ${watched.aheadAtEnd}`,
  );
  findings.set('long tenant running, every 500 ms', watched.series.map(({ running }) => running).join(' '));
  findings.set('long tenant jobs started while the other waited', outcome.startedMeanwhile.length);
  findings.set('long tenant long jobs still running at the end', `${outcome.longStillRunning} of ${share}`);
}

function check(findings: Findings, fleet: Fleet, watched: Watched, outcome: Outcome): void {
  const { options, share } = fleet;
  const { completed, pickups, lastEnd, startedMeanwhile, longStillRunning, window, rises } = outcome;
  const watchedMs = lastEnd - watched.submittedMs;
  findings.expect(
    completed.length === options.shortJobs && watched.shortIds.size === options.shortJobs,
    `${options.shortJobs - completed.length} of the short tenant's jobs did not complete within ${Math.round((watched.drainBoundMs + 10_000) / 1000)} s`,
  );
  findings.expect(
    pickups[0] <= options.turnSeconds * 1000 + SLACK_MS,
    `the short tenant's first job started ${Math.round(pickups[0])} ms after submission, not with the first slot that freed (${options.turnSeconds} s)`,
  );
  findings.expect(
    watchedMs <= watched.drainBoundMs,
    `the short tenant's jobs took ${Math.round(watchedMs)} ms, over ${Math.round(watched.drainBoundMs)} (the turnover, then its jobs on half the fleet, twice over)`,
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
}
