import { Injectable } from '@nestjs/common';
import { type AuthContext, tenantScope } from '../auth/auth-context';
import { JobQueue } from '../queue/job-queue';
import { type MetricsSummaryDto, type QueueDepthsDto, type TimeseriesDto } from './dto/list.dto';
import { JobStatsRepository } from './job-stats.repository';

const DEFAULT_MINUTES = 60;
const MAX_QUEUES_SHOWN = 100;

/** Summaries and charts from the counters and per-minute rollups; never a COUNT(*) over jobs. */
@Injectable()
export class JobStatsService {
  constructor(
    private readonly queue: JobQueue,
    private readonly repository: JobStatsRepository,
  ) {}

  summary(auth: AuthContext, tenantId?: string): Promise<MetricsSummaryDto> {
    return this.summaryOf(tenantScope(auth, tenantId));
  }

  /** One tenant's summary, or (null) every tenant's. */
  async summaryOf(scope: string | null): Promise<MetricsSummaryDto> {
    const [counts, window] = await Promise.all([
      this.queue.countsByStatus(scope),
      this.repository.lastMinute(scope),
    ]);
    const n = (status: keyof typeof counts): number => Math.max(0, counts[status] ?? 0);
    const completed = Number(window.completed);
    const failed = Number(window.failed);
    return {
      total_jobs:
        n('scheduled') +
        n('pending') +
        n('running') +
        n('failed') +
        n('completed') +
        n('dead') +
        n('cancelled'),
      scheduled_jobs: n('scheduled'),
      pending_jobs: n('pending'),
      running_jobs: n('running'),
      completed_jobs: n('completed'),
      failed_jobs: n('failed'),
      dlq_jobs: n('dead'),
      cancelled_jobs: n('cancelled'),
      active_jobs: n('running'),
      queue_length: n('scheduled') + n('pending') + n('failed'),
      throughput_per_second: Math.round((completed / window.window_seconds) * 100) / 100,
      failure_rate:
        completed + failed === 0 ? 0 : Math.round((failed / (completed + failed)) * 10_000) / 10_000,
      completed_per_minute: Math.round((completed * 60) / window.window_seconds),
      failed_per_minute: Math.round((failed * 60) / window.window_seconds),
    };
  }

  async queues(auth: AuthContext, tenantId?: string): Promise<QueueDepthsDto> {
    const rows = await this.queue.countsByQueue(tenantScope(auth, tenantId), MAX_QUEUES_SHOWN);
    const queues = rows.map(({ queue, counts }) => {
      const n = (status: keyof typeof counts): number => Math.max(0, counts[status] ?? 0);
      return {
        queue,
        scheduled: n('scheduled'),
        pending: n('pending'),
        running: n('running'),
        failed: n('failed'),
        dead: n('dead'),
        completed: n('completed'),
        cancelled: n('cancelled'),
      };
    });
    const waiting = (q: { scheduled: number; pending: number; failed: number }): number =>
      q.scheduled + q.pending + q.failed;
    queues.sort((a, b) => waiting(b) - waiting(a) || a.queue.localeCompare(b.queue));
    return { queues };
  }

  async timeseries(auth: AuthContext, minutes = DEFAULT_MINUTES, tenantId?: string): Promise<TimeseriesDto> {
    const rows = await this.repository.timeseries(tenantScope(auth, tenantId), minutes);
    return {
      minutes,
      points: rows.map((row) => {
        const started = Number(row.started);
        const finished = Number(row.completed) + Number(row.failed);
        return {
          minute: row.minute.toISOString(),
          submitted: Number(row.submitted),
          started,
          completed: Number(row.completed),
          failed: Number(row.failed),
          retried: Number(row.retried),
          dead: Number(row.dead),
          avg_run_ms: finished > 0 ? Math.round(Number(row.run_ms_sum) / finished) : null,
          avg_wait_ms: started > 0 ? Math.round(Number(row.wait_ms_sum) / started) : null,
        };
      }),
    };
  }
}
