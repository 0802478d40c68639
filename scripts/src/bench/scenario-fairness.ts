import { randomUUID } from 'node:crypto';
import { startWorker } from '../bench-api';
import { fmt, latencySummary, sleep } from '../bench-stats';
import {
  CONVEYOR_TEMPLATE,
  ConveyorDatabase,
  JobEventCounter,
  LOWEST_PRIORITY,
  noopJob,
  WORKER_ENV,
} from './conveyor';
import { type Metric, type Scenario, type Sizes } from './model';

const CASES = ['alone', 'flood', 'scheduled'] as const;
type Case = (typeof CASES)[number];

const caseLabel = (name: Case, sizes: Sizes) =>
  name === 'alone'
    ? 'alone'
    : name === 'flood'
      ? `while another tenant floods ${fmt(sizes.fairnessJobs)} jobs`
      : `with another tenant's ${fmt(sizes.fairnessJobs)} jobs scheduled a year ahead at the lowest priority`;

const floodRateMetric: Metric = {
  key: 'flood_jobs_per_second',
  label: "the flooding tenant's jobs completed per second while the other tenant's were timed",
  unit: 'jobs/s',
  better: 'higher',
};

export const fairnessMetric = (name: Case, p: 'p50' | 'p95' | 'p99', sizes: Sizes): Metric => ({
  key: `${name}_${p}_ms`,
  label: `a tenant's wait (insert → lock), ${caseLabel(name, sizes)}: ${p}`,
  unit: 'ms',
  better: 'lower',
});

/** The victim tenant's jobs, one every 10 ms, until `enough()`; each waited for until it completes. */
async function sample(
  conveyor: ConveyorDatabase,
  events: JobEventCounter,
  tenantId: string,
  enough: (taken: number) => boolean,
  timeoutMs: number,
): Promise<number[]> {
  const ids: string[] = [];
  const completions: Array<Promise<boolean>> = [];
  while (!enough(ids.length)) {
    const id = randomUUID();
    completions.push(events.completion(id, timeoutMs));
    await conveyor.queue.insertMany([noopJob(tenantId)], [id]);
    ids.push(id);
    await sleep(10);
  }
  const done = (await Promise.all(completions)).filter(Boolean).length;
  if (done < ids.length)
    throw new Error(`${ids.length - done} of the tenant's ${ids.length} jobs did not complete`);
  return conveyor.databasePickupMs(ids);
}

/**
 * Fairness: the wait of a tenant's jobs (insert → lock on the database clock) when it is alone,
 * while another tenant floods the queue (its jobs inserted as fast as statements of 1,000 go),
 * and while another tenant has jobs scheduled a year ahead at the lowest priority. One worker
 * process at concurrency 10, TENANT_MAX_SHARE at its default; a fresh database per round.
 */
export const fairnessScenario: Scenario = {
  id: 'fairness',
  title: 'Fairness between tenants',
  describe: (sizes) =>
    `Per round, on a fresh database with one worker process (concurrency 10, fleet share at its default ` +
    `0.5): tenant B submits one job every 10 ms and each job's wait is insert → lock on the database ` +
    `clock. Alone: ${sizes.fairnessSamples} jobs. Flood: tenant A inserts ${fmt(sizes.fairnessJobs)} jobs ` +
    `(statements of 1,000, as fast as they go, then ANALYZE) while B submits ${sizes.fairnessSamples} jobs, ` +
    `A's rate over that time beside them; then A's rest drains alone. ` +
    `Scheduled: A inserts ${fmt(sizes.fairnessJobs)} jobs due in a year at priority ${fmt(LOWEST_PRIORITY)} ` +
    `(the lowest), ANALYZE, then B submits ${sizes.fairnessSamples} jobs.`,
  systems: () => ['conveyor'],
  async run(context, system) {
    const { sizes, results } = context;
    const database = await context.server.database('fairness', CONVEYOR_TEMPLATE);
    const conveyor = ConveyorDatabase.open(database.url);
    const events = await JobEventCounter.listen(database.url);
    const worker = startWorker(database.url, WORKER_ENV);
    // The flood's jobs drain first: allow 5 ms a job (200 jobs/s), far below any drain rate seen.
    const timeoutMs = Math.max(60_000, sizes.fairnessJobs * 5);
    try {
      const flooder = await conveyor.tenant('flooder');
      const victim = await conveyor.tenant('victim');
      await worker.ready;
      const waits: Record<Case, number[]> = { alone: [], flood: [], scheduled: [] };

      waits.alone = await sample(conveyor, events, victim.id, (n) => n >= sizes.fairnessSamples, timeoutMs);

      // B's jobs are timed while A's flood goes in and runs; then A's rest drains on its own.
      const flood = (async () => {
        await conveyor.insertBacklog(flooder.id, sizes.fairnessJobs);
        await conveyor.analyze();
      })();
      const floodCompleted = () => events.completedBy.get(flooder.id) ?? 0;
      const before = { at: performance.now(), jobs: floodCompleted() };
      waits.flood = await sample(conveyor, events, victim.id, (n) => n >= sizes.fairnessSamples, timeoutMs);
      const seconds = (performance.now() - before.at) / 1000;
      results.add(this.id, floodRateMetric, system, Math.round((floodCompleted() - before.jobs) / seconds));
      await flood;
      if (!(await events.until(floodCompleted, sizes.fairnessJobs, timeoutMs)))
        throw new Error(`the flood of ${sizes.fairnessJobs} jobs did not drain within ${timeoutMs} ms`);

      await conveyor.insertBacklog(flooder.id, sizes.fairnessJobs, {
        runAt: new Date(Date.now() + 365 * 24 * 3_600_000),
        priority: LOWEST_PRIORITY,
      });
      await conveyor.analyze();
      waits.scheduled = await sample(
        conveyor,
        events,
        victim.id,
        (n) => n >= sizes.fairnessSamples,
        timeoutMs,
      );

      for (const name of CASES) {
        const summary = latencySummary(waits[name]);
        for (const p of ['p50', 'p95', 'p99'] as const)
          results.add(this.id, fairnessMetric(name, p, sizes), system, summary[p]);
      }
    } finally {
      await worker.stop(1_000);
      await events.close();
      await conveyor.close();
      await database.drop();
    }
  },
};
