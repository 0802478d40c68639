import os from 'node:os';
import { MultiBar, Presets } from 'cli-progress';
import { describeMachine } from './machine';
import {
  type BenchContext,
  type Mode,
  Results,
  type Scenario,
  SIZES,
  type SystemId,
  SYSTEM_LABELS,
} from './model';
import { type Report, type ScenarioReport, writeReport } from './output';
import { eventsScenario } from './scenario-events';
import { fairnessScenario } from './scenario-fairness';
import { ceilingCpuMetric, ceilingMetric, pgbenchScenario } from './scenario-pgbench';
import { drainCpuMetric, drainMetric, QUEUE_SYSTEMS, queueScenario } from './scenario-queue';
import { retentionScenario } from './scenario-retention';
import { rssScenario } from './scenario-rss';
import { busyTwinMetric, quietTenantMetric, scaleRateMetric, scaleScenario } from './scenario-scale';
import { submitScenario } from './scenario-submit';
import { openBenchServer } from './server';

/** Every scenario, in the order they run and appear in the report. */
export const SCENARIOS: ReadonlyArray<Scenario<never>> = [
  submitScenario,
  queueScenario,
  eventsScenario,
  fairnessScenario,
  scaleScenario,
  retentionScenario,
  pgbenchScenario,
  rssScenario,
] as unknown as ReadonlyArray<Scenario<never>>;

export interface RunOptions {
  mode: Mode;
  /** Scenario ids to run; all when empty. */
  only: string[];
  rounds?: number;
  out: string;
  command: string;
}

/** Settings of Conveyor's processes, the same in every scenario. */
const CONVEYOR_SETUP = {
  worker: 'one process (dist/backend/src/main.worker.js), WORKER_CONCURRENCY 10; defaults otherwise',
  defaults:
    'WORKER_PREFETCH 500, TENANT_MAX_SHARE 0.5, POLL_INTERVAL_MS 2000, LOG_LEVEL info, JOB_LOG_LEVEL info',
  in_process: 'JobQueue on a pg pool as the API makes it (createPgPool: max 20, jit off)',
};
const API_SETUP = {
  api: 'one process (dist/backend/src/main.api.js), LOG_LEVEL warn, no dashboard; defaults otherwise',
  tenant: 'rate limit raised to 1,000,000/s (its bucket is still consulted per request)',
};

/**
 * Figures derived from two measurements: the scale drain against the small one, another tenant's
 * pickup beside the backlog against its quiet twin, Conveyor's drain against pgbench.
 */
function derive(results: Results, mode: Mode): void {
  const sizes = SIZES[mode];
  const small = drainMetric(sizes.drains[0], 0);
  const large = drainMetric(sizes.drains[1], 1);
  for (const system of ['conveyor', 'pg-boss', 'graphile-worker'] as SystemId[]) {
    const scaled = results.median('scale', scaleRateMetric(sizes).key, system);
    const base = results.median('queue', small.key, system);
    if (scaled !== undefined && base !== undefined && base > 0)
      results.add(
        'scale',
        {
          key: 'rate_vs_small_drain',
          label: `drain rate with the backlog ÷ rate draining ${sizes.drains[0].toLocaleString('en')} jobs`,
          unit: '×',
          better: 'higher',
        },
        system,
        +(scaled / base).toFixed(2),
      );
  }
  const floor = results.median('queue', 'pickup_floor_db_p50_ms', 'conveyor');
  for (const system of QUEUE_SYSTEMS) {
    const pickup = results.median('queue', 'pickup_db_p50_ms', system);
    if (floor !== undefined && floor > 0 && pickup !== undefined)
      results.add(
        'queue',
        {
          key: 'pickup_db_p50_vs_floor',
          label: 'idle pickup p50 (database clock) ÷ the floor p50 on the same server',
          unit: '×',
          better: 'lower',
        },
        system,
        +(pickup / floor).toFixed(2),
      );
  }
  const busy = results.median('scale', 'other_tenant_p95_ms', 'conveyor');
  const quiet = results.median('scale', quietTenantMetric.key, 'conveyor');
  if (busy !== undefined && quiet !== undefined && quiet > 0)
    results.add(
      'scale',
      {
        key: 'other_tenant_p95_vs_quiet',
        label: "another tenant's pickup p95 with the backlog ÷ the same on the quiet database",
        unit: '×',
        better: 'lower',
      },
      'conveyor',
      +(busy / quiet).toFixed(2),
    );
  const twin = results.median('scale', busyTwinMetric(sizes).key, 'conveyor');
  if (busy !== undefined && twin !== undefined && twin > 0)
    results.add(
      'scale',
      {
        key: 'other_tenant_p95_vs_busy_twin',
        label: `another tenant's pickup p95 with the backlog ÷ the same beside a drain of ${sizes.drains[1].toLocaleString('en')} jobs`,
        unit: '×',
        better: 'lower',
      },
      'conveyor',
      +(busy / twin).toFixed(2),
    );
  const ceiling = results.median('pgbench', ceilingMetric.key, 'conveyor');
  const drained = results.median('queue', large.key, 'conveyor');
  if (ceiling !== undefined && drained !== undefined && drained > ceiling)
    results.note(
      'pgbench',
      'Conveyor drained faster than pgbench claimed: the worker claims its free slots plus a prefetch ' +
        '(up to WORKER_PREFETCH, 500) per statement and completes in groups, pgbench 10 per claim from 10 ' +
        'clients, so per job it pays for more statements than the worker does.',
    );
  deriveCpuShares(results, mode);
  for (const drain of [small, large]) {
    const rate = results.median('queue', drain.key, 'conveyor');
    if (ceiling !== undefined && rate !== undefined)
      results.add(
        'pgbench',
        {
          key: `${drain.key.replace('_jobs_per_second', '')}_fraction`,
          label: `Conveyor's ${drain.label.replace(': jobs/s', '')} as a fraction of the ceiling`,
          unit: '×',
          better: 'higher',
        },
        'conveyor',
        +(rate / ceiling).toFixed(2),
      );
  }
}

/**
 * Where a drain's CPU goes, for each system: the share of the machine's cores it kept busy (its
 * jobs/s ÷ cores × its jobs per CPU-second: below 1, the drain waited on round trips and commits,
 * not on CPU); and for Conveyor, its jobs per CPU-second ÷ pgbench's per CPU-second of PostgreSQL
 * doing the same statements alone (what the worker process and the drain's statement sizes add).
 */
function deriveCpuShares(results: Results, mode: Mode): void {
  const sizes = SIZES[mode];
  const cores = os.cpus().length;
  const perCpuAlone = results.median('pgbench', ceilingCpuMetric.key, 'conveyor');
  for (const index of [0, 1] as const) {
    const drain = drainMetric(sizes.drains[index], index);
    const cpu = drainCpuMetric(sizes.drains[index], index);
    const what = drain.label.replace(': jobs/s', '');
    for (const system of QUEUE_SYSTEMS) {
      const rate = results.median('queue', drain.key, system);
      const perCpu = results.median('queue', cpu.key, system);
      if (rate === undefined || perCpu === undefined || perCpu <= 0) continue;
      results.add(
        'queue',
        {
          key: `${cpu.key}_busy_share`,
          label: `${what}: share of the ${cores} cores busy (jobs/s ÷ cores × jobs per CPU-second)`,
          unit: '×',
          better: 'higher',
        },
        system,
        +(rate / (cores * perCpu)).toFixed(2),
      );
      if (system === 'conveyor' && perCpuAlone !== undefined && perCpuAlone > 0)
        results.add(
          'pgbench',
          {
            key: `${cpu.key}_vs_ceiling`,
            label: `Conveyor's ${what}: jobs per CPU-second of worker and PostgreSQL ÷ pgbench's of PostgreSQL alone`,
            unit: '×',
            better: 'higher',
          },
          system,
          +(perCpu / perCpuAlone).toFixed(2),
        );
    }
  }
}

/** Runs the chosen scenarios, round by round with the systems interleaved, and writes the report. */
export async function runBench(
  options: RunOptions,
): Promise<{ report: Report; files: string[]; failed: string[] }> {
  const started = performance.now();
  const sizes = { ...SIZES[options.mode], ...(options.rounds && { rounds: options.rounds }) };
  const chosen = SCENARIOS.filter((s) => options.only.length === 0 || options.only.includes(s.id));
  const bars = new MultiBar(
    {
      format: '{bar} {value}/{total} steps | {duration_formatted} | {step}',
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  const tty = process.stderr.isTTY === true;
  const log = (message: string) => (tty ? bars.log(`${message}\n`) : console.error(message));
  const server = await openBenchServer(log);
  const results = new Results();
  const failed: string[] = [];
  const reports: ScenarioReport[] = [];
  try {
    const machine = describeMachine(server);
    results.setup('all', 'conveyor', CONVEYOR_SETUP);
    results.setup('all', 'conveyor-http', API_SETUP);
    const context: BenchContext = { server, mode: options.mode, sizes, results, log };
    const steps = chosen.reduce(
      (n, s) => n + (s.skip?.(sizes) ? 0 : (s.rounds ?? sizes.rounds) * s.systems(sizes).length),
      0,
    );
    const bar = bars.create(steps, 0, { step: 'starting' });
    const startedAt = Date.now();
    try {
      for (const scenario of chosen) {
        const report: ScenarioReport = {
          id: scenario.id,
          title: scenario.title,
          description: scenario.describe(sizes),
          notes: [],
        };
        reports.push(report);
        report.skipped = scenario.skip?.(sizes);
        if (report.skipped) continue;
        let state: never | undefined;
        try {
          state = (await scenario.setup?.(context)) as never;
          const rounds = scenario.rounds ?? sizes.rounds;
          for (let round = 1; round <= rounds; round++)
            for (const system of scenario.systems(sizes)) {
              bar.update({
                step: `${scenario.id}: round ${round}/${rounds}, ${SYSTEM_LABELS[system]}`,
              });
              await scenario.run(context, system, round, state as never);
              bar.increment();
            }
        } catch (error) {
          failed.push(scenario.id);
          report.skipped = `failed: ${(error as Error).message}`;
          log(`${scenario.id} failed: ${(error as Error).stack ?? String(error)}`);
        } finally {
          if (state !== undefined) await scenario.teardown?.(context, state).catch(() => undefined);
        }
        log(`${scenario.id}: done (${Math.round((Date.now() - startedAt) / 1000)} s so far)`);
      }
    } finally {
      bars.stop();
    }
    derive(results, options.mode);
    for (const report of reports) report.notes = results.notes.get(report.id) ?? [];
    machine.load_average_end = os.loadavg();
    const report: Report = {
      mode: options.mode,
      command: options.command,
      machine,
      seconds: (performance.now() - started) / 1000,
      sizes,
      scenarios: reports,
      results,
    };
    const files = await writeReport(report, options.out);
    return { report, files, failed };
  } finally {
    await server.release();
  }
}
