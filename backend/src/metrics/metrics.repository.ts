import { Injectable } from '@nestjs/common';
import { PgPool } from '../database/pg-pool';
import { type TimeseriesRow } from '../jobs/jobs.repository';
import { jobCountsByGroup, jobMetricsLastMinute } from '../queue/queue.sql';

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
}

/** What a Prometheus scrape reads from the database: the counters and the per-minute rollups. */
@Injectable()
export class MetricsRepository {
  constructor(private readonly pg: PgPool) {}

  async jobMetrics(): Promise<JobMetricsRows> {
    const client = await this.pg.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
      const counts = (await client.query<JobCountRow>(jobCountsByGroup())).rows;
      const lastMinute = (await client.query<JobMinuteRow>(jobMetricsLastMinute())).rows;
      await client.query('COMMIT');
      return { counts, lastMinute };
    } catch (error) {
      failure = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // With an error the connection is discarded rather than trusted again.
      client.release(failure);
    }
  }
}
