import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { HealthPanel } from '../components/HealthPanel';
import { WorkersPanel } from '../components/WorkersPanel';
import { JobsTable } from '../components/JobsTable';
import { ErrorMessage, Loading, QueryView } from '../components/QueryState';
import { SummaryCounters } from '../components/SummaryCounters';
import { usePollInterval } from '../lib/live';
import { useScope, useScopedPath } from '../lib/scope';
import { useHealth } from '../services/health';
import { fetchJobs } from '../services/jobs';
import { averageTimes, fetchQueueDepths, fetchSummary, fetchTimeseries } from '../services/metrics';
import { queryKeys } from '../services/queryKeys';
import { useWorkers } from '../services/workers';
import { CompactTable } from '../components/CompactTable';

// The chart library is the biggest dependency: its own chunk, loaded after the counters show.
const ThroughputChart = lazy(() =>
  import('../components/ThroughputChart').then((module) => ({ default: module.ThroughputChart })),
);

const RECENT = { limit: 10 };

const formatMs = (ms: number | null): string =>
  ms === null
    ? '—'
    : ms < 1_000
      ? `${ms} ms`
      : ms < 60_000
        ? `${(ms / 1000).toFixed(1)} s`
        : `${(ms / 60_000).toFixed(1)} min`;

export default function Overview() {
  const { scope, tenantId } = useScope();
  const scoped = useScopedPath();
  const poll = usePollInterval();
  const summary = useQuery({
    queryKey: queryKeys.metrics.summary(scope),
    queryFn: () => fetchSummary(tenantId),
    refetchInterval: poll,
  });
  const series = useQuery({
    queryKey: queryKeys.metrics.timeseries(scope),
    queryFn: () => fetchTimeseries(tenantId),
    refetchInterval: poll,
  });
  const queues = useQuery({
    queryKey: queryKeys.metrics.queues(scope),
    queryFn: () => fetchQueueDepths(tenantId),
    refetchInterval: poll,
  });
  const recent = useQuery({
    queryKey: queryKeys.jobs.list(scope, RECENT, null),
    queryFn: () => fetchJobs(tenantId, RECENT, null),
    refetchInterval: poll,
  });
  const health = useHealth();
  const workers = useWorkers();
  const times = series.data ? averageTimes(series.data.points) : null;

  return (
    <div className="overview">
      <h1>Overview</h1>
      <section aria-labelledby="counters-title" className="section">
        <h2 id="counters-title" className="visually-hidden">
          Counters
        </h2>
        {summary.data ? (
          <SummaryCounters summary={summary.data} />
        ) : summary.error ? (
          <ErrorMessage error={summary.error} retry={() => void summary.refetch()} />
        ) : (
          <Loading what="counters" />
        )}
      </section>

      <div className="grid-2">
        <section aria-labelledby="chart-title" className="panel wide">
          <h2 id="chart-title">Throughput and failures, last hour</h2>
          {series.data ? (
            <Suspense fallback={<Loading what="chart" />}>
              <ThroughputChart points={series.data.points} />
            </Suspense>
          ) : series.error ? (
            <ErrorMessage error={series.error} retry={() => void series.refetch()} />
          ) : (
            <Loading what="chart" />
          )}
          <dl className="inline-stats">
            <dt>Average wait</dt>
            <dd data-testid="avg-wait">{formatMs(times?.waitMs ?? null)}</dd>
            <dt>Average run</dt>
            <dd data-testid="avg-run">{formatMs(times?.runMs ?? null)}</dd>
          </dl>
        </section>

        <section aria-labelledby="queues-title" className="panel">
          <h2 id="queues-title">Queue depth</h2>
          <QueryView
            query={queues}
            what="queues"
            isEmpty={(data) => data.queues.length === 0}
            empty="No jobs in any queue yet."
          >
            {(data) => (
              <CompactTable columns={['Queue', 'Waiting', 'Running', 'Dead']}>
                {data.queues.map((queue) => (
                  <tr key={queue.queue}>
                    <td>{queue.queue}</td>
                    <td>{(queue.scheduled + queue.pending + queue.failed).toLocaleString('en')}</td>
                    <td>{queue.running.toLocaleString('en')}</td>
                    <td>{queue.dead.toLocaleString('en')}</td>
                  </tr>
                ))}
              </CompactTable>
            )}
          </QueryView>
        </section>
      </div>

      <div className="grid-2">
        <section aria-labelledby="recent-title" className="panel wide">
          <h2 id="recent-title">Most recent jobs</h2>
          <QueryView
            query={recent}
            what="jobs"
            isEmpty={(data) => data.jobs.length === 0}
            empty="No jobs yet. Submit one from Create job."
          >
            {(data) => (
              <JobsTable
                jobs={data.jobs}
                linkTo={(id) => scoped(`/jobs/${id}`)}
                showTenant={scope === 'all'}
                caption="Most recent jobs"
              />
            )}
          </QueryView>
        </section>
        <div className="stack">
          <WorkersPanel workers={workers.data ?? null} />
          <HealthPanel health={health.data ?? null} />
        </div>
      </div>
    </div>
  );
}
