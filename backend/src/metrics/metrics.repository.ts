import { Inject, Injectable } from '@nestjs/common';
import { inTransaction } from '../database/in-transaction';
import { AppConfig } from '../config/app-config';
import { PgPool } from '../database/pg-pool';
import { type TimeseriesRow } from '../jobs/job-stats.repository';
import { jobCountsByGroup, jobMetricsLastMinute, type Statement } from '../queue/queue.sql';
import { workerFleet } from '../workers/workers.sql';

/**
 * Both reads take a few milliseconds on small tables; a scrape that waits longer than this is
 * better answered with conveyor_metrics_database_up 0 than held until Prometheus gives up on it
 * (its default scrape timeout is 10 s). SET LOCAL keeps the limit inside this transaction, so the
 * pooled connection goes back with the pool's own settings.
 */
const STATEMENT_TIMEOUT_MS = 2_000;

/** A row of jobCountsByGroup (bigints arrive as strings). */
export interface JobCountRow {
  tenant_id: string;
  queue: string;
  type: string;
  status: string;
  jobs: string;
}

/** A row of jobMetricsLastMinute: one (tenant, queue, type) in the last complete minute. */
export interface JobMinuteRow extends Omit<TimeseriesRow, 'minute'> {
  tenant_id: string;
  queue: string;
  type: string;
}

export interface JobMetricsRows {
  counts: JobCountRow[];
  lastMinute: JobMinuteRow[];
  fleet: { workers: number; slots: number };
  oldestReadySeconds: number | null;
}

/**
 * Age of the oldest due job across every tenant, without scanning the backlog. Pending jobs are
 * all due (jobs due later are scheduled), and within one (tenant, priority) jobs_pending_idx is
 * ordered by run_at, so the first entry of each such group is its oldest: a recursive skip scan
 * visits one entry per (tenant, priority) group, not one per waiting job.
 */
export function jobOldestReadyAge(): Statement {
  return {
    name: 'jobOldestReadyAge',
    text: `
      WITH RECURSIVE heads AS (
        (SELECT tenant_id, priority, run_at FROM jobs WHERE status = 'pending'
         ORDER BY tenant_id, priority, run_at, id LIMIT 1)
        UNION ALL
        SELECT next.tenant_id, next.priority, next.run_at
        FROM heads h
        CROSS JOIN LATERAL (
          SELECT j.tenant_id, j.priority, j.run_at FROM jobs j
          WHERE j.status = 'pending' AND (j.tenant_id, j.priority) > (h.tenant_id, h.priority)
          ORDER BY j.tenant_id, j.priority, j.run_at, j.id LIMIT 1
        ) next
      )
      SELECT extract(epoch FROM now() - min(run_at))::float8 AS seconds FROM heads WHERE run_at <= now()`,
    values: [],
  };
}

/** What a Prometheus scrape reads from the database: the counters and the per-minute rollups. */
@Injectable()
export class MetricsRepository {
  constructor(
    private readonly pg: PgPool,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  jobMetrics(): Promise<JobMetricsRows> {
    const begin = `BEGIN READ ONLY; SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`;
    return inTransaction(
      this.pg.pool,
      async ({ client }) => {
        const counts = (await client.query<JobCountRow>(jobCountsByGroup())).rows;
        const lastMinute = (await client.query<JobMinuteRow>(jobMetricsLastMinute())).rows;
        const [fleet] = (
          await client.query<{ workers: number; slots: number }>(
            workerFleet(this.config.WORKERS_STALE_SECONDS),
          )
        ).rows;
        const [oldest] = (await client.query<{ seconds: number | null }>(jobOldestReadyAge())).rows;
        return { counts, lastMinute, fleet, oldestReadySeconds: oldest.seconds };
      },
      begin,
    );
  }
}
