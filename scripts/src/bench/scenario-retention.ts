import { startWorker } from '../bench-api';
import { fmt, sleep } from '../bench-stats';
import { CONVEYOR_TEMPLATE, ConveyorDatabase, noopJob, WORKER_ENV } from './conveyor';
import { type BenchContext, type Metric, type Scenario } from './model';
import { connect } from './server';

/** The queue's tables; job_files stays empty here (no uploads). */
const TABLES = ['jobs', 'job_transitions', 'job_counts', 'job_metrics'];

/** One sample: the tables' sizes (heap, TOAST and indexes) in bytes, and vacuums of jobs so far. */
interface SizeSample {
  at: number;
  jobs: number;
  jobsIndexes: number;
  all: number;
  vacuums: number;
}

const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(2);

export const firstVacuumMetric: Metric = {
  key: 'first_vacuum_seconds',
  label: "the jobs table's first autovacuum, seconds into the run",
  unit: 's',
  better: 'lower',
};

export const largestJobsMetric: Metric = {
  key: 'jobs_mib_largest',
  label: 'the jobs table with its indexes, largest after its first autovacuum: MiB',
  unit: 'MiB',
  better: 'lower',
};

const growthMetric = (what: string, key: string): Metric => ({
  key,
  label: `${what}: largest in the run's last quarter against largest from the first autovacuum until then`,
  unit: '%',
  better: 'lower',
  signed: true,
});

export const jobsGrowthMetric = growthMetric('the jobs table with its indexes', 'jobs_growth_percent');
export const indexGrowthMetric = growthMetric("the jobs table's indexes", 'jobs_indexes_growth_percent');
export const allGrowthMetric = growthMetric(
  `the queue's tables (${TABLES.join(', ')})`,
  'all_growth_percent',
);

export const keptMetric: Metric = {
  key: 'jobs_kept_end',
  label: 'jobs in the table at the end of the run (the retention window, and what is still queued)',
  unit: 'jobs',
  better: 'lower',
};

export const completedRateMetric: Metric = {
  key: 'completed_jobs_per_second',
  label: 'jobs completed per second over the run (the worker kept up when this is the submission rate)',
  unit: 'jobs/s',
  better: 'higher',
};

async function sampleSizes(client: Awaited<ReturnType<typeof connect>>, at: number): Promise<SizeSample> {
  const { rows } = await client.query<{ jobs: string; jobs_indexes: string; all: string; vacuums: string }>(
    `SELECT pg_total_relation_size('jobs') AS jobs, pg_indexes_size('jobs') AS jobs_indexes,
            (SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest($1::text[]) AS t) AS all,
            (SELECT autovacuum_count + vacuum_count FROM pg_stat_user_tables WHERE relid = 'jobs'::regclass) AS vacuums`,
    [TABLES],
  );
  const row = rows[0];
  return {
    at,
    jobs: Number(row.jobs),
    jobsIndexes: Number(row.jobs_indexes),
    all: Number(row.all),
    vacuums: Number(row.vacuums),
  };
}

/** The chart's lines, each a part of the sizes sampled. */
const CHART_LINES: Array<[string, (sample: SizeSample) => number]> = [
  ['jobs: heap and TOAST', (sample) => sample.jobs - sample.jobsIndexes],
  ['jobs: its indexes', (sample) => sample.jobsIndexes],
  ['the other queue tables', (sample) => sample.all - sample.jobs],
];

const largest = (samples: SizeSample[], size: (sample: SizeSample) => number) =>
  Math.max(...samples.map(size));
const growth = (from: number, to: number) => +(((to - from) / from) * 100).toFixed(1);

/** Compares sizes after the first vacuum of jobs: before it, dead row versions only pile up. */
function recordSizes(context: BenchContext, samples: SizeSample[]): void {
  const { results, sizes } = context;
  const vacuumed = samples.filter((sample) => sample.vacuums > 0);
  if (vacuumed.length === 0) {
    results.note(
      'retention',
      `No vacuum of the jobs table ran within the ${sizes.retentionRunSeconds} s run (autovacuum visits a ` +
        'database once per autovacuum_naptime, and not at all when off): sizes were not compared.',
    );
    return;
  }
  results.add('retention', firstVacuumMetric, 'conveyor', Math.round(vacuumed[0].at));
  results.add('retention', largestJobsMetric, 'conveyor', mib(largest(vacuumed, (s) => s.jobs)));
  const lastQuarter = sizes.retentionRunSeconds * 0.75;
  const before = vacuumed.filter((sample) => sample.at < lastQuarter);
  const after = vacuumed.filter((sample) => sample.at >= lastQuarter);
  if (before.length < 10 || after.length === 0) {
    results.note(
      'retention',
      `The jobs table was first vacuumed ${Math.round(vacuumed[0].at)} s into the run: too late to compare ` +
        `sizes before and in the run's last quarter.`,
    );
    return;
  }
  for (const [metric, size] of [
    [jobsGrowthMetric, (sample: SizeSample) => sample.jobs],
    [indexGrowthMetric, (sample: SizeSample) => sample.jobsIndexes],
    [allGrowthMetric, (sample: SizeSample) => sample.all],
  ] as const)
    results.add('retention', metric, 'conveyor', growth(largest(before, size), largest(after, size)));
}

/**
 * A long run with pruning: jobs are submitted at a steady rate that one worker keeps up with,
 * completed, and pruned once past a retention of seconds (RETENTION_DAYS as a fraction of a
 * day, the pruner every second), with autovacuum as the server has it. Once the table has been
 * vacuumed, it holds the retention window's jobs and the dead row versions of at most one
 * vacuum period; the freed space is reused, so its size, and its indexes', should stop growing.
 * One long round: what is measured is a trend within it.
 */
export const retentionScenario: Scenario = {
  id: 'retention',
  title: 'A long run with pruning: table and index sizes',
  rounds: 1,
  describe: (sizes) =>
    `One round, on a fresh database: one worker at concurrency 10 with RETENTION_DAYS set to ` +
    `${sizes.retentionSeconds} s (as a fraction of a day) and PRUNE_INTERVAL_MS 1000; no-op jobs inserted ` +
    `in process at ${fmt(sizes.retentionRate)} jobs/s (a statement every 100 ms) for ` +
    `${sizes.retentionRunSeconds} s; pg_total_relation_size of the jobs table, its indexes and every queue ` +
    `table sampled each second, with the table's vacuums. Sizes are compared from the table's first ` +
    `(auto)vacuum on: the largest in the run's last quarter against the largest before it. Autovacuum as ` +
    `the server's settings have it.`,
  systems: () => ['conveyor'],
  async run(context) {
    const { sizes, results } = context;
    const database = await context.server.database('retention', CONVEYOR_TEMPLATE);
    const conveyor = ConveyorDatabase.open(database.url);
    const monitor = await connect(database.url);
    const worker = startWorker(database.url, {
      ...WORKER_ENV,
      RETENTION_DAYS: String(sizes.retentionSeconds / 86_400),
      PRUNE_INTERVAL_MS: '1000',
    });
    try {
      const tenant = await conveyor.tenant('retention');
      await worker.ready;
      const samples: SizeSample[] = [];
      const started = performance.now();
      const elapsed = () => (performance.now() - started) / 1000;
      const perStatement = Math.max(1, Math.round(sizes.retentionRate / 10));
      let submitted = 0;
      const submitting = (async () => {
        for (let tick = 1; elapsed() < sizes.retentionRunSeconds; tick++) {
          await conveyor.queue.insertMany(Array.from({ length: perStatement }, () => noopJob(tenant.id)));
          submitted += perStatement;
          await sleep(Math.max(0, started + tick * 100 - performance.now()));
        }
      })();
      const sampling = (async () => {
        for (let second = 1; elapsed() < sizes.retentionRunSeconds; second++) {
          await sleep(Math.max(0, started + second * 1000 - performance.now()));
          samples.push(await sampleSizes(monitor, elapsed()));
        }
      })();
      await Promise.all([submitting, sampling]);
      const { rows } = await monitor.query<{ kept: number; unfinished: number }>(
        `SELECT count(*)::int AS kept, count(*) FILTER (WHERE status <> 'completed')::int AS unfinished FROM jobs`,
      );
      recordSizes(context, samples);
      results.series.set(
        'retention',
        samples.flatMap((sample) =>
          CHART_LINES.map(([line, size]) => ({
            line,
            second: Math.round(sample.at),
            value: mib(size(sample)),
          })),
        ),
      );
      results.add('retention', keptMetric, 'conveyor', rows[0].kept);
      // Completed over the run: what was submitted, less what is still queued or running.
      results.add(
        'retention',
        completedRateMetric,
        'conveyor',
        Math.round((submitted - rows[0].unfinished) / sizes.retentionRunSeconds),
      );
    } finally {
      await worker.stop(1_000);
      await monitor.end();
      await conveyor.close();
      await database.drop();
    }
  },
};
