import { randomUUID } from 'node:crypto';
import { startWorker, type WorkerProcess } from '../bench-api';
import { fmt, latencySummary, sleep } from '../bench-stats';
import {
  CONVEYOR_TEMPLATE,
  ConveyorDatabase,
  JobEventCounter,
  LOWEST_PRIORITY,
  noopJob,
  WORKER_ENV,
} from './conveyor';
import { type Metric, type Scenario, type Sizes, type SystemId } from './model';
import { openPeer } from './peers';
import { analyze, within } from './scenario-queue';

export const scaleRateMetric = (sizes: Sizes): Metric => ({
  key: 'drain_jobs_per_second',
  label: `drain with ${fmt(sizes.scaleJobs ?? 0)} queued, first ${fmt(sizes.scaleWindow)} jobs: jobs/s`,
  unit: 'jobs/s',
  better: 'higher',
});

const otherTenantMetric = (p: 'p50' | 'p95' | 'p99', sizes: Sizes): Metric => ({
  key: `other_tenant_${p}_ms`,
  label: `another tenant's pickup (insert → lock) with ${fmt(sizes.scaleJobs ?? 0)} queued: ${p}`,
  unit: 'ms',
  better: 'lower',
});

export const quietTenantMetric: Metric = {
  key: 'other_tenant_quiet_p95_ms',
  label: "the same tenant's pickup on the same worker before the backlog (quiet): p95",
  unit: 'ms',
  better: 'lower',
};

export const busyTwinMetric = (sizes: Sizes): Metric => ({
  key: 'other_tenant_busy_twin_p95_ms',
  label: `the same tenant's pickup on the same worker beside a drain of ${fmt(sizes.drains[1])} jobs: p95`,
  unit: 'ms',
  better: 'lower',
});

/** The other tenant's jobs come one every this many ms while the window lasts. */
const OTHER_EVERY_MS = 100;
/** Jobs the other tenant submits on the quiet database, before the backlog, at the same pace. */
const QUIET_PROBES = 30;
/** After the window, how long the other tenant's jobs get to start before their wait is read. */
const OTHER_GRACE_MS = 30_000;

/** Submits one job of `tenantId` every OTHER_EVERY_MS while `more()` holds. */
async function submitProbes(
  conveyor: ConveyorDatabase,
  events: JobEventCounter,
  tenantId: string,
  more: () => boolean,
  /** How long the probes may wait behind the backlog, besides OTHER_GRACE_MS. */
  boxMs: number,
): Promise<{ ids: string[]; completions: Array<Promise<boolean>> }> {
  const ids: string[] = [];
  const completions: Array<Promise<boolean>> = [];
  while (more()) {
    const id = randomUUID();
    completions.push(events.completion(id, OTHER_GRACE_MS + boxMs));
    await conveyor.queue.insertMany([noopJob(tenantId)], [id]);
    ids.push(id);
    await sleep(OTHER_EVERY_MS);
  }
  return { ids, completions };
}

/** Insert → lock of each job on the database clock; a job not started yet counts with its wait so far (a lower bound). */
async function pickupWaits(
  conveyor: ConveyorDatabase,
  ids: string[],
): Promise<{ waits: number[]; unstarted: number }> {
  const { rows } = await conveyor.pool.query<{ ms: string; started: boolean }>(
    `SELECT extract(epoch FROM (coalesce(started_at, now()) - created_at)) * 1000 AS ms,
            started_at IS NOT NULL AS started
     FROM jobs WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return { waits: rows.map((row) => Number(row.ms)), unstarted: rows.filter((row) => !row.started).length };
}

/** Probes while `more()` holds, each then waited for (at most OTHER_GRACE_MS in all), and their waits. */
async function probePickups(
  conveyor: ConveyorDatabase,
  events: JobEventCounter,
  tenantId: string,
  more: () => boolean,
  boxMs: number,
): Promise<{ waits: number[]; unstarted: number }> {
  const { ids, completions } = await submitProbes(conveyor, events, tenantId, more, boxMs);
  await within(Promise.all(completions), OTHER_GRACE_MS);
  return pickupWaits(conveyor, ids);
}

/** `count` probes on the quiet database. */
async function quietWaits(
  conveyor: ConveyorDatabase,
  url: string,
  tenantId: string,
  count: number,
): Promise<{ waits: number[]; unstarted: number }> {
  const events = await JobEventCounter.listen(url);
  try {
    let sent = 0;
    return await probePickups(conveyor, events, tenantId, () => sent++ < count, 0);
  } finally {
    await events.close();
  }
}

/**
 * The busy twin: the other tenant's probes while the worker drains `backlog` jobs of `bigId`, a
 * backlog the queue scenario also drains, so that set against the large backlog the ratio is the
 * backlog's size alone (a busy worker picks a new job up at its next claim, an idle one at once).
 */
async function busyTwinWaits(
  conveyor: ConveyorDatabase,
  worker: WorkerProcess,
  url: string,
  ids: { big: string; other: string },
  backlog: number,
  boxMs: number,
): Promise<{ waits: number[]; unstarted: number }> {
  worker.child.kill('SIGSTOP');
  await conveyor.insertBacklog(ids.big, backlog, {}, 2);
  await conveyor.analyze();
  const events = await JobEventCounter.listen(url);
  try {
    worker.child.kill('SIGCONT');
    const drained = events.until(() => events.completedBy.get(ids.big) ?? 0, backlog, boxMs);
    let finished = false;
    void drained.then(() => (finished = true));
    return await probePickups(conveyor, events, ids.other, () => !finished, boxMs);
  } finally {
    await events.close();
  }
}

async function conveyorScale(context: Parameters<Scenario['run']>[0], system: SystemId): Promise<void> {
  const { sizes, results } = context;
  const jobs = sizes.scaleJobs!;
  const database = await context.server.database('scale', CONVEYOR_TEMPLATE);
  const conveyor = ConveyorDatabase.open(database.url);
  let worker: WorkerProcess | undefined;
  let listening: JobEventCounter | undefined;
  try {
    const big = await conveyor.tenant('big');
    const other = await conveyor.tenant('other');
    const hoarder = await conveyor.tenant('hoarder');
    // The quiet twin: the other tenant's pickup on this worker and database before the backlog.
    worker = startWorker(database.url, WORKER_ENV);
    await worker.ready;
    const quiet = await quietWaits(conveyor, database.url, other.id, QUIET_PROBES);
    results.add('scale', quietTenantMetric, system, latencySummary(quiet.waits).p95);
    const boxMs = sizes.drainBoxSeconds * 1000;
    const twinIds = { big: big.id, other: other.id };
    const twin = await busyTwinWaits(conveyor, worker, database.url, twinIds, sizes.drains[1], boxMs);
    results.add('scale', busyTwinMetric(sizes), system, latencySummary(twin.waits).p95);
    worker.child.kill('SIGSTOP'); // held while the backlog goes in, as the queue scenario does
    await conveyor.insertBacklog(big.id, jobs, {}, 2);
    // As many again scheduled a year ahead at the lowest priority, by a third tenant: a claim must
    // not read them (docs/storage.md).
    const yearAhead = new Date(Date.now() + 365 * 86_400_000);
    await conveyor.insertBacklog(hoarder.id, jobs, { runAt: yearAhead, priority: LOWEST_PRIORITY }, 2);
    await conveyor.analyze();
    const events = (listening = await JobEventCounter.listen(database.url));
    worker.child.kill('SIGCONT');
    if (
      !(await within(
        events.firstStarted.then(() => true),
        120_000,
      ))
    )
      throw new Error('the worker started no job within 120 s');
    const start = events.firstStartedAt!;
    const bigCompleted = () => events.completedBy.get(big.id) ?? 0;
    // The window's end is read where it resolves, not after the probes below have wound down.
    let ended: { at: number; completed: number } | undefined;
    const windowDone = events
      .until(bigCompleted, sizes.scaleWindow, sizes.drainBoxSeconds * 1000)
      .then((complete) => {
        ended = { at: performance.now(), completed: bigCompleted() };
        return complete;
      });
    // Meanwhile another tenant submits a job every OTHER_EVERY_MS: its pickup with the backlog in front.
    const { ids, completions } = await submitProbes(
      conveyor,
      events,
      other.id,
      () => ended === undefined,
      sizes.drainBoxSeconds * 1000,
    );
    const complete = await windowDone;
    const { at, completed } = ended!;
    const seconds = (at - start) / 1000;
    results.add('scale', scaleRateMetric(sizes), system, Math.round(completed / seconds));
    if (!complete)
      results.note(
        'scale',
        `Conveyor: the window was cut at ${sizes.drainBoxSeconds} s with ${fmt(completed)} of ` +
          `${fmt(sizes.scaleWindow)} jobs done (its rate is those over the time).`,
      );
    await within(Promise.all(completions), OTHER_GRACE_MS);
    const { waits, unstarted } = await pickupWaits(conveyor, ids);
    const summary = latencySummary(waits);
    for (const p of ['p50', 'p95', 'p99'] as const)
      results.add('scale', otherTenantMetric(p, sizes), system, summary[p]);
    if (unstarted + quiet.unstarted + twin.unstarted > 0)
      results.note(
        'scale',
        `Conveyor: ${unstarted} of the other tenant's ${ids.length} jobs (and ${quiet.unstarted} of its ` +
          `${QUIET_PROBES} quiet ones, ${twin.unstarted} of those beside the smaller drain) had not started ` +
          `${OTHER_GRACE_MS / 1000} s after they were due; their ` +
          `wait is counted as what it was then (a lower bound).`,
      );
  } finally {
    await worker?.stop(1_000);
    await listening?.close();
    await conveyor.close();
    await database.drop();
  }
}

async function peerScale(context: Parameters<Scenario['run']>[0], system: SystemId): Promise<void> {
  const { sizes, results } = context;
  const jobs = sizes.scaleJobs!;
  const { peer, database, close } = await openPeer(context.server, system, 'scale');
  try {
    context.results.setup('scale', system, peer.settings);
    let next = 0;
    await Promise.all(
      [0, 1].map(async () => {
        for (let start = (next += 1_000) - 1_000; start < jobs; start = (next += 1_000) - 1_000)
          await peer.enqueueBulk(Math.min(1_000, jobs - start));
      }),
    );
    await analyze(database);
    let started = 0;
    let first = 0;
    let reachedAt = 0;
    let firstStart!: () => void;
    const firstStarted = new Promise<void>((resolve) => (firstStart = resolve));
    await peer.startWorker(() => {
      if (started++ === 0) {
        first = performance.now();
        firstStart();
      }
      if (started === sizes.scaleWindow) reachedAt = performance.now();
    });
    if (
      (await within(
        firstStarted.then(() => true),
        120_000,
      )) === undefined
    )
      throw new Error(`${system} started no job within 120 s`);
    const deadline = first + sizes.drainBoxSeconds * 1000;
    while (reachedAt === 0 && performance.now() < deadline) await sleep(20);
    const done = reachedAt > 0 ? Math.min(started, sizes.scaleWindow) : started;
    const seconds = ((reachedAt || performance.now()) - first) / 1000;
    results.add('scale', scaleRateMetric(sizes), system, Math.round(done / seconds));
    if (reachedAt === 0)
      results.note(
        'scale',
        `${system}: the window was cut at ${sizes.drainBoxSeconds} s with ${fmt(done)} jobs started.`,
      );
  } finally {
    await close();
  }
}

/**
 * Scale: the drain rate with a large backlog queued (over its first jobs), to compare with the
 * same system's rate on a small backlog, and another tenant's pickup meanwhile (Conveyor; the
 * peers have no tenants). Best setups only: the defaults are measured by the queue scenario.
 */
export const scaleScenario: Scenario = {
  id: 'scale',
  title: 'Scale: a large backlog',
  describe: (sizes) =>
    `Per round, on a fresh database: first the other tenant's pickup with nothing queued (its quiet twin: ` +
    `${QUIET_PROBES} jobs, one every ${OTHER_EVERY_MS} ms, on the same worker) and beside a drain of ` +
    `${fmt(sizes.drains[1])} jobs (its busy twin, the same pace), then ` +
    `${fmt(sizes.scaleJobs ?? 0)} no-op jobs queued (statements of 1,000, ` +
    `two at a time; for Conveyor, as many again scheduled a year ahead at the lowest priority by a third ` +
    `tenant), ANALYZE, then one worker at concurrency 10; the rate is taken over the first ` +
    `${fmt(sizes.scaleWindow)} jobs (Conveyor: completed, heard as job events; peers: handler calls), cut at ` +
    `${sizes.drainBoxSeconds} s, and ` +
    `compared with the same system's rate draining ${fmt(sizes.drains[0])} jobs. Meanwhile another ` +
    `Conveyor tenant submits one job every ${OTHER_EVERY_MS} ms (insert → lock on the database clock; a job ` +
    `not started ${OTHER_GRACE_MS / 1000} s after the window counts with the wait it had by then). Best ` +
    `setups of the peers only.`,
  systems: () => ['conveyor', 'pg-boss', 'graphile-worker'],
  skip: (sizes) => (sizes.scaleJobs === null ? 'not in quick runs' : undefined),
  async run(context, system) {
    if (system === 'conveyor') await conveyorScale(context, system);
    else await peerScale(context, system);
  },
};
