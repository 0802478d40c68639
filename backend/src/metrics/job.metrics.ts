import { Gauge, type GaugeConfiguration, register } from 'prom-client';
import { JOB_STATES, type JobState } from '../queue/job-states';
import { type JobCountRow, type JobMinuteRow } from './metrics.repository';

export const JOB_METRICS = Object.freeze({
  jobs: 'conveyor_jobs',
  queueDepth: 'conveyor_queue_depth',
  events: 'conveyor_job_events_last_minute',
  waitSeconds: 'conveyor_job_wait_seconds_last_minute',
  runSeconds: 'conveyor_job_run_seconds_last_minute',
  databaseUp: 'conveyor_metrics_database_up',
  workers: 'conveyor_workers',
  workerSlots: 'conveyor_worker_slots',
  oldestReady: 'conveyor_oldest_ready_job_age_seconds',
});

/** The per-minute columns of job_metrics, as the `event` label of conveyor_job_events_last_minute. */
export const JOB_EVENTS = ['submitted', 'started', 'completed', 'failed', 'retried', 'dead'] as const;
export type JobEvent = (typeof JOB_EVENTS)[number];

/** Jobs waiting to run, as the summary's queue_length counts them: due or scheduled, or failed awaiting a retry. */
const WAITING: ReadonlySet<string> = new Set<JobState>([
  JOB_STATES.scheduled,
  JOB_STATES.pending,
  JOB_STATES.failed,
]);

type GroupLabels = { tenant_id: string; queue: string; type: string };

/** One (tenant, queue, type): its jobs per status and its last complete minute. */
export interface JobGroupValues {
  labels: GroupLabels;
  jobs: Record<string, number>;
  events: Record<JobEvent, number>;
  waitSeconds: number;
  runSeconds: number;
}

/** What one scrape exports, built once from the database's rows and shared by every job gauge. */
export interface JobMetricsSnapshot {
  groups: JobGroupValues[];
  queueDepth: Map<string, number>;
  /** Live worker processes in the registry and their summed concurrency. */
  fleet?: { workers: number; slots: number };
  /** How long the job that has waited longest since it became due has waited; null: none is due. */
  oldestReadySeconds?: number | null;
}

/**
 * Every (tenant, queue, type) with counters gets every status and every per-minute value, 0 when
 * it has none, so an idle queue reads 0 rather than a series that vanishes and comes back.
 */
export function toJobMetricsSnapshot(counts: JobCountRow[], lastMinute: JobMinuteRow[]): JobMetricsSnapshot {
  const groups = new Map<string, JobGroupValues>();
  const groupOf = (row: GroupLabels): JobGroupValues => {
    const key = JSON.stringify([row.tenant_id, row.queue, row.type]);
    let group = groups.get(key);
    if (!group) {
      group = {
        labels: { tenant_id: row.tenant_id, queue: row.queue, type: row.type },
        jobs: Object.fromEntries(Object.values(JOB_STATES).map((state) => [state, 0])),
        events: Object.fromEntries(JOB_EVENTS.map((event) => [event, 0])) as Record<JobEvent, number>,
        waitSeconds: 0,
        runSeconds: 0,
      };
      groups.set(key, group);
    }
    return group;
  };
  const queueDepth = new Map<string, number>();
  for (const row of counts) {
    const group = groupOf(row);
    const jobs = Number(row.jobs);
    group.jobs[row.status] = (group.jobs[row.status] ?? 0) + jobs;
    if (WAITING.has(row.status)) queueDepth.set(row.queue, (queueDepth.get(row.queue) ?? 0) + jobs);
  }
  for (const row of lastMinute) {
    const group = groupOf(row);
    for (const event of JOB_EVENTS) group.events[event] += Number(row[event]);
    group.waitSeconds += Number(row.wait_ms_sum) / 1000;
    group.runSeconds += Number(row.run_ms_sum) / 1000;
  }
  return { groups: [...groups.values()], queueDepth };
}

/** The scrape's snapshot, or null when the database did not answer. Must not reject. */
export type JobSnapshotSource = () => Promise<JobMetricsSnapshot | null>;

const sources: JobSnapshotSource[] = [];

/**
 * Makes `source` the one the job gauges read, until the returned function is called. The gauges
 * live in prom-client's process-wide registry while a source belongs to one Nest app: with
 * several apps in one process (tests), the newest one still running answers.
 */
export function useJobSnapshotSource(source: JobSnapshotSource): () => void {
  sources.push(source);
  return () => {
    const index = sources.lastIndexOf(source);
    if (index >= 0) sources.splice(index, 1);
  };
}

function currentSnapshot(): Promise<JobMetricsSnapshot | null> {
  const source = sources.at(-1);
  return source ? source().catch(() => null) : Promise.resolve(null);
}

/** Get-or-create, as a second Nest app in one process must reuse what the first registered. */
function gauge<T extends string>(configuration: GaugeConfiguration<T>): Gauge<T> {
  return (register.getSingleMetric(configuration.name) as Gauge<T> | undefined) ?? new Gauge(configuration);
}

/**
 * A gauge filled at scrape time from the shared snapshot. Its old values are dropped first, so a
 * scrape the database did not answer exports no job series at all (and database_up 0) rather
 * than the last values as if they were current.
 */
function snapshotGauge<T extends string>(
  configuration: Omit<GaugeConfiguration<T>, 'collect'>,
  fill: (gauge: Gauge<T>, snapshot: JobMetricsSnapshot) => void,
): Gauge<T> {
  return gauge<T>({
    ...configuration,
    async collect() {
      const snapshot = await currentSnapshot();
      this.reset();
      if (snapshot) fill(this, snapshot);
    },
  });
}

/** One value per (tenant, queue, type) group. */
function groupSumGauge(name: string, help: string, valueOf: (group: JobGroupValues) => number): void {
  snapshotGauge<keyof GroupLabels>(
    { name, help, labelNames: ['tenant_id', 'queue', 'type'] },
    (gauge, snapshot) => {
      for (const group of snapshot.groups) gauge.set(group.labels, valueOf(group));
    },
  );
}

/** Per (tenant, queue, type) group, one value for each value of one more label (a status, an event). */
function groupGauge<L extends string>(
  name: string,
  help: string,
  label: L,
  valuesOf: (group: JobGroupValues) => Array<[string, number]>,
): void {
  snapshotGauge<keyof GroupLabels | L>(
    { name, help, labelNames: ['tenant_id', 'queue', 'type', label] },
    (gauge, snapshot) => {
      for (const group of snapshot.groups)
        for (const [value, n] of valuesOf(group))
          gauge.set({ ...group.labels, [label]: value } as Record<keyof GroupLabels | L, string>, n);
    },
  );
}

/** One unlabelled value; undefined: the snapshot did not read it, so no series this scrape. */
function singleGauge(
  name: string,
  help: string,
  valueOf: (snapshot: JobMetricsSnapshot) => number | undefined,
): void {
  snapshotGauge({ name, help }, (gauge, snapshot) => {
    const value = valueOf(snapshot);
    if (value !== undefined) gauge.set(value);
  });
}

/**
 * The job gauges, read from the database at scrape time; every API replica exports the same
 * values (aggregate replicas with max, not sum).
 *
 * Why "the last complete minute" rather than counters: job_metrics holds per-minute rollups with
 * no running totals, and summing its whole history on every scrape would cost more each minute
 * forever; a counter kept in this process would only count what this replica saw, and the work
 * is done by the workers. So the outcomes, and the summed wait and run times with them, are the
 * previous minute's bucket exactly as the roller wrote it: each value holds for a minute, lags the
 * roller by its interval (1 s by default), and is what `GET /api/v1/jobs/metrics/timeseries`
 * shows for that minute. The roller runs in the workers: while none runs, nothing is claimed,
 * and submissions are missing here until a worker rolls them into their own minute, which may be
 * past by then (conveyor_jobs does not lag: it adds the unrolled transitions). Mean wait = wait_seconds / events{event="started"}; mean
 * run = run_seconds / events{event=~"completed|failed"}.
 */
export function jobGauges(): void {
  groupGauge(
    JOB_METRICS.jobs,
    'Jobs by tenant, queue, type and status, from the counters (not a count of the jobs table); completed and cancelled ones until retention prunes them',
    'status',
    (group) => Object.entries(group.jobs),
  );
  snapshotGauge<'queue'>(
    {
      name: JOB_METRICS.queueDepth,
      help: 'Jobs waiting to run per queue, every tenant: pending (delayed ones included) and failed ones awaiting a retry',
      labelNames: ['queue'],
    },
    (gauge, snapshot) => {
      for (const [queue, value] of snapshot.queueDepth) gauge.set({ queue }, value);
    },
  );
  groupGauge(
    JOB_METRICS.events,
    'Jobs submitted, started (claimed), completed, failed (attempts, retried or dead), retried and dead in the last complete minute',
    'event',
    (group) => JOB_EVENTS.map((event) => [event, group.events[event]]),
  );
  groupSumGauge(
    JOB_METRICS.waitSeconds,
    'Summed wait from due (run_at) to claim of the jobs started in the last complete minute',
    (group) => group.waitSeconds,
  );
  groupSumGauge(
    JOB_METRICS.runSeconds,
    'Summed run time, claim to outcome, of the attempts that completed or failed in the last complete minute',
    (group) => group.runSeconds,
  );
  singleGauge(
    JOB_METRICS.workers,
    'Worker processes in the workers registry seen within WORKERS_STALE_SECONDS (GET /api/v1/workers)',
    (snapshot) => snapshot.fleet?.workers,
  );
  singleGauge(
    JOB_METRICS.workerSlots,
    'Summed concurrency of the live worker processes: jobs the fleet can run at once',
    (snapshot) => snapshot.fleet?.slots,
  );
  singleGauge(
    JOB_METRICS.oldestReady,
    'Seconds since the longest-waiting ready job (pending, or failed with its retry due) became due; 0 when none is due',
    (snapshot) =>
      snapshot.oldestReadySeconds === undefined ? undefined : (snapshot.oldestReadySeconds ?? 0),
  );
  gauge({
    name: JOB_METRICS.databaseUp,
    help: 'Whether this scrape read the job metrics from the database (0: down, or no answer in time)',
    async collect() {
      this.set((await currentSnapshot()) ? 1 : 0);
    },
  });
}
