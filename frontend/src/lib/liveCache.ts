import { type JobEvent, type JobEventType } from '@conveyor/contracts';
import { type QueryClient, type QueryKey } from '@tanstack/react-query';
import { type DeadJobFilters, type DeadJobPage } from '../services/deadLetters';
import { isFinished, type Job, type JobListFilters, type JobPage, type JobSummary } from '../services/jobs';
import { CHART_MINUTES, type Timeseries, type TimeseriesPoint } from '../services/metrics';
import { queryKeys } from '../services/queryKeys';

/*
 * The one place live events change the query cache. Events patch what is already loaded (a
 * row's status, progress, attempts); what they cannot build (a new row, with fields events do
 * not carry) is answered by naming the queries to refetch, which the caller throttles. See
 * docs/dashboard.md for why rows are never made up from events.
 */

const time = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : Number.NEGATIVE_INFINITY);

/** An event older than what the row already shows (a page fetched after it was sent) changes nothing. */
function isStale(job: JobSummary, event: JobEvent): boolean {
  return time(event.at) < time(job.updated_at);
}

/** One job after one event. */
export function patchJob<T extends JobSummary>(job: T, event: JobEvent): T {
  if (job.id !== event.job_id || isStale(job, event)) return job;
  const next: T = {
    ...job,
    status: event.status,
    progress: event.progress,
    attempts: event.attempt,
    updated_at: event.at,
  };
  if (event.type === 'job.started') next.started_at = event.at;
  if (event.error !== null) next.last_error = event.error;
  if (isFinished(event.status)) next.finished_at = event.at;
  else if (event.type === 'job.submitted') next.finished_at = null;
  return next;
}

/** What a list shows apart from its status: its tenant scope ('all' or an id), type and queue. */
function inScope(event: JobEvent, scope: string, filters: { type?: string; queue?: string }): boolean {
  return (
    (scope === 'all' || event.tenant_id === scope) &&
    (filters.type === undefined || event.job_type === filters.type) &&
    (filters.queue === undefined || event.queue === filters.queue)
  );
}

/**
 * A page of the jobs list after a batch of events. Rows on the page are patched; a row whose new
 * status leaves the status tab goes; `missed` says a job not on the page now matches it (only
 * the first page can take new rows, so the caller refetches that one).
 */
export function patchJobPage(
  page: JobPage,
  events: JobEvent[],
  scope: string,
  filters: JobListFilters,
): { page: JobPage; missed: boolean } {
  const index = new Map(page.jobs.map((job, i) => [job.id, i]));
  let jobs = page.jobs;
  let missed = false;
  for (const event of events) {
    if (!inScope(event, scope, filters)) continue;
    const i = index.get(event.job_id);
    if (i === undefined) {
      if (filters.status === undefined || filters.status === event.status) missed = true;
      continue;
    }
    const patched = patchJob(jobs[i], event);
    if (patched === jobs[i]) continue;
    if (jobs === page.jobs) jobs = [...jobs];
    jobs[i] = patched;
  }
  if (jobs === page.jobs) return { page, missed };
  if (filters.status !== undefined) jobs = jobs.filter((job) => job.status === filters.status);
  return { page: { ...page, jobs }, missed };
}

/** A page of the DLQ: entries that left it (redriven) go; a new death means the first page is behind. */
export function patchDeadJobPage(
  page: DeadJobPage,
  events: JobEvent[],
  scope: string,
  filters: DeadJobFilters,
): { page: DeadJobPage; missed: boolean } {
  const gone = new Set<string>();
  let missed = false;
  for (const event of events) {
    if (!inScope(event, scope, filters)) continue;
    if (event.type === 'job.dead') missed = true;
    else if (event.type === 'job.submitted') gone.add(event.job_id);
  }
  if (gone.size === 0) return { page, missed };
  const jobs = page.jobs.filter((job) => !gone.has(job.job_id));
  return { page: jobs.length === page.jobs.length ? page : { ...page, jobs }, missed };
}

const COUNTED: Partial<Record<JobEventType, keyof TimeseriesPoint>> = {
  'job.submitted': 'submitted',
  'job.started': 'started',
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.retry': 'retried',
  'job.dead': 'dead',
};

const minuteOf = (iso: string): string =>
  new Date(Math.floor(Date.parse(iso) / 60_000) * 60_000).toISOString();

const emptyPoint = (minute: string): TimeseriesPoint => ({
  minute,
  submitted: 0,
  started: 0,
  completed: 0,
  failed: 0,
  retried: 0,
  dead: 0,
  avg_run_ms: null,
  avg_wait_ms: null,
});

/**
 * The per-minute chart after a batch of events: each event counts in its minute; a new minute
 * is appended and the oldest dropped, so the chart keeps its hour and grows live. Mean run and
 * wait times are not in events: they come with the next fetch.
 */
export function patchTimeseries(series: Timeseries, events: JobEvent[], scope: string): Timeseries {
  let points: TimeseriesPoint[] | null = null;
  for (const event of events) {
    const field = COUNTED[event.type];
    if (!field || (scope !== 'all' && event.tenant_id !== scope)) continue;
    points ??= [...series.points];
    const minute = minuteOf(event.at);
    let i = points.findLastIndex((point) => point.minute === minute);
    if (i === -1) {
      const last = points[points.length - 1];
      if (last && minute < last.minute) continue; // older than the chart: already in a fetched minute
      points.push(emptyPoint(minute));
      i = points.length - 1;
    }
    points[i] = { ...points[i], [field]: (points[i][field] as number) + 1 };
  }
  if (points === null) return series;
  const window = series.minutes || CHART_MINUTES;
  return { ...series, points: points.slice(-window) };
}

/** Detail pages refetch on these: the result, the error history and finished_at come with the job. */
const REFETCH_DETAIL_ON: ReadonlySet<JobEventType> = new Set([
  'job.completed',
  'job.failed',
  'job.dead',
  'job.cancelled',
  'job.submitted',
]);

/**
 * Applies a batch of job events (oldest first) to every loaded query and returns the keys of
 * the queries the events showed to be behind, for the caller to refetch.
 */
export function applyJobEvents(client: QueryClient, events: JobEvent[]): QueryKey[] {
  const behind: QueryKey[] = [];
  if (events.length === 0) return behind;
  const cache = client.getQueryCache();

  // A query being fetched may have read the database before these events: its answer would
  // undo them, so it is named behind too, and refetched once that answer is in.
  const fetching = (query: { state: { fetchStatus: string } }) => query.state.fetchStatus === 'fetching';

  for (const query of cache.findAll({ queryKey: queryKeys.jobs.lists })) {
    const [, , scope, filters, cursor] = query.queryKey as ReturnType<typeof queryKeys.jobs.list>;
    const page = query.state.data as JobPage | undefined;
    if (!page) {
      if (fetching(query) && events.some((event) => inScope(event, scope, filters)))
        behind.push(query.queryKey);
      continue;
    }
    const patched = patchJobPage(page, events, scope, filters);
    if (patched.page !== page) client.setQueryData(query.queryKey, patched.page);
    if ((patched.missed && cursor === null) || (fetching(query) && patched.page !== page))
      behind.push(query.queryKey);
  }

  const byJob = new Map<string, JobEvent[]>();
  for (const event of events) {
    const list = byJob.get(event.job_id);
    if (list) list.push(event);
    else byJob.set(event.job_id, [event]);
  }
  for (const query of cache.findAll({ queryKey: queryKeys.jobs.details })) {
    const id = query.queryKey[2] as string;
    const own = byJob.get(id);
    const job = query.state.data as Job | undefined;
    if (!own) continue;
    if (!job || fetching(query)) {
      behind.push(query.queryKey);
      if (!job) continue;
    }
    client.setQueryData(query.queryKey, own.reduce(patchJob, job));
    if (own.some((event) => REFETCH_DETAIL_ON.has(event.type))) behind.push(query.queryKey);
  }

  for (const query of cache.findAll({ queryKey: queryKeys.deadLetters.lists })) {
    const [, , scope, filters, cursor] = query.queryKey as ReturnType<typeof queryKeys.deadLetters.list>;
    const page = query.state.data as DeadJobPage | undefined;
    if (!page) continue;
    const patched = patchDeadJobPage(page, events, scope, filters);
    if (patched.page !== page) client.setQueryData(query.queryKey, patched.page);
    if (patched.missed && cursor === null) behind.push(query.queryKey);
  }

  for (const query of cache.findAll({ queryKey: queryKeys.metrics.allTimeseries })) {
    const series = query.state.data as Timeseries | undefined;
    if (!series) continue;
    const patched = patchTimeseries(series, events, query.queryKey[2] as string);
    if (patched === series) continue;
    client.setQueryData(query.queryKey, patched);
    // A new minute: the finished one's mean wait and run times, and its exact counts, come
    // from the rollups, which events do not carry.
    if (patched.points.at(-1)?.minute !== series.points.at(-1)?.minute) behind.push(query.queryKey);
  }

  // Depths and DLQ counts move with every event; they are small reads, refetched at the caller's pace.
  for (const prefix of [queryKeys.metrics.allQueues, queryKeys.deadLetters.counts])
    for (const query of cache.findAll({ queryKey: prefix })) behind.push(query.queryKey);
  return behind;
}
