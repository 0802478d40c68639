import { Injectable } from '@nestjs/common';
import { PgPool } from '../database/pg-pool';
import { Where } from './where-clause';

export interface MetricsWindowRow {
  completed: string;
  failed: string;
  window_seconds: number;
}

export interface TimeseriesRow {
  minute: Date;
  submitted: string;
  started: string;
  completed: string;
  failed: string;
  retried: string;
  dead: string;
  run_ms_sum: string;
  wait_ms_sum: string;
}

/** Reads of the per-minute rollups for summaries and charts; never a count over jobs. */
@Injectable()
export class JobStatsRepository {
  constructor(private readonly pg: PgPool) {}

  /**
   * Completions and failed attempts in the current and the previous minute bucket, and how many
   * seconds those span: a sliding window of 60-120 s read from the rollups, never from jobs.
   */
  async lastMinute(tenantId: string | null): Promise<MetricsWindowRow> {
    const where = new Where()
      .raw(`bucket >= date_trunc('minute', now()) - interval '1 minute'`)
      .add((p) => `tenant_id = ${p}`, tenantId);
    const { rows } = await this.pg.pool.query<MetricsWindowRow>(
      `SELECT coalesce(sum(completed), 0) AS completed, coalesce(sum(failed), 0) AS failed,
              extract(epoch FROM now() - (date_trunc('minute', now()) - interval '1 minute'))::float8 AS window_seconds
       FROM job_metrics ${where.sql}`,
      where.values,
    );
    return rows[0];
  }

  async timeseries(tenantId: string | null, minutes: number): Promise<TimeseriesRow[]> {
    const values: unknown[] = [minutes];
    if (tenantId) values.push(tenantId);
    const { rows } = await this.pg.pool.query<TimeseriesRow>(
      `WITH minutes AS (
         SELECT generate_series(date_trunc('minute', now()) - make_interval(mins => $1 - 1),
                                date_trunc('minute', now()), interval '1 minute') AS minute
       )
       SELECT m.minute,
              coalesce(sum(x.submitted), 0) AS submitted, coalesce(sum(x.started), 0) AS started,
              coalesce(sum(x.completed), 0) AS completed, coalesce(sum(x.failed), 0) AS failed,
              coalesce(sum(x.retried), 0) AS retried, coalesce(sum(x.dead), 0) AS dead,
              coalesce(sum(x.run_ms_sum), 0) AS run_ms_sum, coalesce(sum(x.wait_ms_sum), 0) AS wait_ms_sum
       FROM minutes m
       LEFT JOIN job_metrics x ON x.bucket = m.minute ${tenantId ? 'AND x.tenant_id = $2' : ''}
       GROUP BY m.minute
       ORDER BY m.minute`,
      values,
    );
    return rows;
  }
}
