import { type MetricsSummary, type Schemas } from '@conveyor/contracts';
import { api } from '../lib/api';
import { type TenantScope } from './jobs';

export type { MetricsSummary };
export type Timeseries = Schemas['TimeseriesDto'];
export type TimeseriesPoint = Schemas['TimeseriesPointDto'];
export type QueueDepth = Schemas['QueueDepthDto'];

export const CHART_MINUTES = 60;

export const fetchSummary = (tenantId: TenantScope) =>
  api<MetricsSummary>('GET', '/api/v1/jobs/metrics/summary', { query: { tenant_id: tenantId } });

export const fetchTimeseries = (tenantId: TenantScope) =>
  api<Timeseries>('GET', '/api/v1/jobs/metrics/timeseries', {
    query: { minutes: CHART_MINUTES, tenant_id: tenantId },
  });

export const fetchQueueDepths = (tenantId: TenantScope) =>
  api<Schemas['QueueDepthsDto']>('GET', '/api/v1/jobs/metrics/queues', { query: { tenant_id: tenantId } });

/** Mean wait and run time over the chart's points, weighted by how many jobs each minute had. */
export function averageTimes(points: TimeseriesPoint[]): { waitMs: number | null; runMs: number | null } {
  let wait = 0;
  let started = 0;
  let run = 0;
  let finished = 0;
  for (const point of points) {
    if (point.avg_wait_ms !== null) {
      wait += point.avg_wait_ms * point.started;
      started += point.started;
    }
    const ended = point.completed + point.failed;
    if (point.avg_run_ms !== null) {
      run += point.avg_run_ms * ended;
      finished += ended;
    }
  }
  return {
    waitMs: started > 0 ? Math.round(wait / started) : null,
    runMs: finished > 0 ? Math.round(run / finished) : null,
  };
}
