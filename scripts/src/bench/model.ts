import { type PeerSetup } from '../bench-peer-harness';
import { median } from '../bench-stats';
import { type BenchServer } from './server';

/** Every column of the report: Conveyor in process (its JobQueue and worker process), over HTTP, and the peers. */
export const SYSTEMS = [
  'conveyor',
  'conveyor-http',
  'pg-boss',
  'pg-boss-default',
  'graphile-worker',
  'graphile-worker-default',
] as const;
export type SystemId = (typeof SYSTEMS)[number];

export const PEERS: ReadonlyArray<{
  id: SystemId;
  library: 'pg-boss' | 'graphile-worker';
  setup: PeerSetup;
}> = [
  { id: 'pg-boss', library: 'pg-boss', setup: 'best' },
  { id: 'pg-boss-default', library: 'pg-boss', setup: 'default' },
  { id: 'graphile-worker', library: 'graphile-worker', setup: 'best' },
  { id: 'graphile-worker-default', library: 'graphile-worker', setup: 'default' },
];

export const isPeer = (system: SystemId) => PEERS.some((peer) => peer.id === system);

export const SYSTEM_LABELS: Record<SystemId, string> = {
  conveyor: 'Conveyor',
  'conveyor-http': 'Conveyor API',
  'pg-boss': 'pg-boss best',
  'pg-boss-default': 'pg-boss default',
  'graphile-worker': 'graphile-worker best',
  'graphile-worker-default': 'graphile-worker default',
};

export type Mode = 'full' | 'quick' | 'smoke';

/** How much each scenario does; `full` is the real run, `quick` and `smoke` shrink it. */
export interface Sizes {
  rounds: number;
  /** Concurrent callers of the one-job enqueue APIs. */
  callers: number;
  singleCalls: number;
  batchSize: number;
  batchCallers: number;
  batches: number;
  drains: [number, number];
  /** A drain stops after this long even if jobs are left (pg-boss's defaults take 0.5 jobs/s per loop). */
  drainBoxSeconds: number;
  pickupSamples: number;
  eventsAtRest: number;
  eventsLoadSeconds: number;
  eventsPerSecond: number;
  /** Jobs queued for the scale scenario; null: not run (quick; smoke runs it small, to test it). */
  scaleJobs: number | null;
  scaleWindow: number;
  fairnessJobs: number;
  fairnessSamples: number;
  /** The pgbench ceiling's backlog: the large drain's, so that both do the same work on as many rows. */
  pgbenchJobs: number;
  /**
   * The backlog of the pgbench runs that price fairness: a run must last seconds, not one, for the
   * cost to come out within a few points between rounds (at 50,000 jobs rounds swung 6-29 %).
   */
  pgbenchFairnessJobs: number;
  rssSettleSeconds: number;
  /** The retention scenario: finished jobs kept this long, submitted at this rate, for this long. */
  retentionSeconds: number;
  retentionRate: number;
  retentionRunSeconds: number;
}

export const SIZES: Record<Mode, Sizes> = {
  full: {
    rounds: 3,
    callers: 20,
    singleCalls: 10_000,
    batchSize: 1_000,
    batchCallers: 4,
    batches: 20,
    drains: [20_000, 100_000],
    drainBoxSeconds: 60,
    pickupSamples: 50,
    eventsAtRest: 200,
    eventsLoadSeconds: 10,
    eventsPerSecond: 1_000,
    scaleJobs: 1_000_000,
    scaleWindow: 20_000,
    fairnessJobs: 100_000,
    fairnessSamples: 200,
    pgbenchJobs: 100_000,
    pgbenchFairnessJobs: 200_000,
    rssSettleSeconds: 10,
    retentionSeconds: 20,
    retentionRate: 2_000,
    retentionRunSeconds: 360,
  },
  quick: {
    rounds: 3,
    callers: 20,
    singleCalls: 300,
    batchSize: 1_000,
    batchCallers: 4,
    batches: 2,
    drains: [1_000, 3_000],
    drainBoxSeconds: 2,
    pickupSamples: 3,
    eventsAtRest: 15,
    eventsLoadSeconds: 1,
    eventsPerSecond: 1_000,
    scaleJobs: null,
    scaleWindow: 20_000,
    fairnessJobs: 2_000,
    fairnessSamples: 15,
    pgbenchJobs: 10_000,
    pgbenchFairnessJobs: 10_000,
    rssSettleSeconds: 0.5,
    retentionSeconds: 4,
    retentionRate: 1_000,
    retentionRunSeconds: 15,
  },
  smoke: {
    rounds: 1,
    callers: 5,
    singleCalls: 60,
    batchSize: 100,
    batchCallers: 2,
    batches: 2,
    drains: [150, 300],
    drainBoxSeconds: 2,
    pickupSamples: 2,
    eventsAtRest: 5,
    eventsLoadSeconds: 1,
    eventsPerSecond: 100,
    scaleJobs: 1_000,
    scaleWindow: 100,
    fairnessJobs: 300,
    fairnessSamples: 8,
    pgbenchJobs: 2_000,
    pgbenchFairnessJobs: 2_000,
    rssSettleSeconds: 0.5,
    retentionSeconds: 2,
    retentionRate: 200,
    retentionRunSeconds: 6,
  },
};

export interface Metric {
  /** Stable key within its scenario (JSON). */
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  /** A difference between two measurements, which noise may put below 0 when they are close. */
  signed?: boolean;
}

/** One point of a line: `line` at `second` of the run. */
export interface SeriesPoint {
  line: string;
  second: number;
  value: number;
}

export interface MetricResult extends Metric {
  scenario: string;
  /** Each round's value per system, in round order. */
  rounds: Partial<Record<SystemId, number[]>>;
}

/** Every figure of a run, per scenario, metric, system and round. */
export class Results {
  readonly metrics: MetricResult[] = [];
  readonly notes = new Map<string, string[]>();
  /** Points over time of a scenario's run, for its line chart (the retention scenario's sizes). */
  readonly series = new Map<string, SeriesPoint[]>();
  /** Each system's distinct settings, with the scenarios that ran it so (pool sizes follow the callers). */
  readonly setups = new Map<SystemId, Array<{ scenarios: string[]; settings: Record<string, unknown> }>>();

  add(scenario: string, metric: Metric, system: SystemId, value: number | undefined): void {
    if (value === undefined || !Number.isFinite(value)) return;
    let entry = this.metrics.find((m) => m.scenario === scenario && m.key === metric.key);
    if (!entry) {
      entry = { ...metric, scenario, rounds: {} };
      this.metrics.push(entry);
    }
    (entry.rounds[system] ??= []).push(value);
  }

  setup(scenario: string, system: SystemId, settings: Record<string, unknown>): void {
    const known = this.setups.get(system) ?? [];
    const same = known.find((entry) => JSON.stringify(entry.settings) === JSON.stringify(settings));
    if (!same) known.push({ scenarios: [scenario], settings });
    else if (!same.scenarios.includes(scenario)) same.scenarios.push(scenario);
    this.setups.set(system, known);
  }

  note(scenario: string, line: string): void {
    const lines = this.notes.get(scenario) ?? [];
    if (!lines.includes(line)) lines.push(line);
    this.notes.set(scenario, lines);
  }

  /** The median of a metric's rounds for a system, if it was measured. */
  median(scenario: string, key: string, system: SystemId): number | undefined {
    const values = this.metrics.find((m) => m.scenario === scenario && m.key === key)?.rounds[system];
    return values && values.length > 0 ? median(values) : undefined;
  }
}

export interface BenchContext {
  server: BenchServer;
  mode: Mode;
  sizes: Sizes;
  results: Results;
  /** A line for the person watching (above the progress bar). */
  log(message: string): void;
}

export interface Scenario<State = unknown> {
  id: string;
  title: string;
  /** What it does, with this run's sizes, for the report. */
  describe(sizes: Sizes): string;
  systems(sizes: Sizes): readonly SystemId[];
  /** Rounds of this scenario when not the run's (a soak measures a trend within one long round). */
  rounds?: number;
  /** Skipped in this mode (the scale scenario in quick and smoke runs). */
  skip?(sizes: Sizes): string | undefined;
  setup?(context: BenchContext): Promise<State>;
  /** One round of one system; figures go to context.results. */
  run(context: BenchContext, system: SystemId, round: number, state: State): Promise<void>;
  teardown?(context: BenchContext, state: State): Promise<void>;
}
