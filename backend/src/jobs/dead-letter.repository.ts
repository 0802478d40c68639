import { Injectable } from '@nestjs/common';
import { PgPool } from '../database/pg-pool';
import { type JobFilters } from './jobs.repository';
import { type PagePosition } from './page-cursor';
import { Where } from './where-clause';

export interface DeadJobRow {
  job_id: string;
  tenant_id: string;
  queue: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  errors: unknown[];
  trace_id: string | null;
  job_created_at: Date;
  died_at: Date;
  position_at: string;
}

/** Reads of the dead-letter queue for the REST API; its writes go through JobQueue. */
@Injectable()
export class DeadLetterRepository {
  constructor(private readonly pg: PgPool) {}

  async listDead(filters: JobFilters, limit: number, after?: PagePosition): Promise<DeadJobRow[]> {
    const where = new Where()
      .add((p) => `tenant_id = ${p}`, filters.tenantId)
      .add((p) => `type = ${p}`, filters.type)
      .add((p) => `queue = ${p}`, filters.queue)
      .addPosition('died_at, job_id', after);
    const limitSql = where.limit(limit);
    const { rows } = await this.pg.pool.query<DeadJobRow>(
      `SELECT job_id, tenant_id, queue, type, payload, attempts, max_attempts, last_error, errors, trace_id,
              job_created_at, died_at, died_at::text AS position_at
       FROM dead_letter_jobs ${where.sql} ORDER BY died_at DESC, job_id DESC ${limitSql}`,
      where.values,
    );
    return rows;
  }

  /** Which of `ids` are DLQ entries in the scope (a tenant, or every tenant for null). */
  async deadJobIdsAmong(tenantId: string | null, ids: string[]): Promise<string[]> {
    const where = new Where()
      .add((p) => `job_id = ANY(${p}::uuid[])`, ids)
      .add((p) => `tenant_id = ${p}`, tenantId);
    const { rows } = await this.pg.pool.query<{ job_id: string }>(
      `SELECT job_id FROM dead_letter_jobs ${where.sql}`,
      where.values,
    );
    return rows.map((row) => row.job_id);
  }

  /**
   * How many DLQ entries match a filter, counting at most `cap` + 1 of them: a confirmation needs
   * the number, and a count is never allowed to read an unbounded DLQ.
   */
  async countDead(filters: JobFilters & { diedBy?: string }, cap: number): Promise<number> {
    const where = new Where()
      .add((p) => `tenant_id = ${p}`, filters.tenantId)
      .add((p) => `type = ${p}`, filters.type)
      .add((p) => `queue = ${p}`, filters.queue)
      .add((p) => `died_at <= ${p}::timestamptz`, filters.diedBy);
    const limitSql = where.limit(cap + 1);
    const { rows } = await this.pg.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM dead_letter_jobs ${where.sql} ${limitSql}) matching`,
      where.values,
    );
    return rows[0].n;
  }

  /** The database's clock: a bulk action's snapshot is taken on the clock died_at was written with. */
  async databaseNow(): Promise<string> {
    const { rows } = await this.pg.pool.query<{ now: string }>('SELECT now()::text AS now');
    return rows[0].now;
  }

  /**
   * Ids of DLQ entries matching a filter that died at or before `diedBy`, oldest first, after
   * `after` (keyset): a bulk action walks them a batch at a time and never sees an entry twice,
   * nor one that died (again) after it began.
   */
  async deadJobIds(
    filters: JobFilters & { diedBy: string },
    limit: number,
    after?: PagePosition,
  ): Promise<Array<{ job_id: string; position_at: string }>> {
    const where = new Where()
      .add((p) => `tenant_id = ${p}`, filters.tenantId)
      .add((p) => `type = ${p}`, filters.type)
      .add((p) => `queue = ${p}`, filters.queue)
      .add((p) => `died_at <= ${p}::timestamptz`, filters.diedBy);
    where.addPosition('died_at, job_id', after, '>');
    const limitSql = where.limit(limit);
    const { rows } = await this.pg.pool.query<{ job_id: string; position_at: string }>(
      `SELECT job_id, died_at::text AS position_at FROM dead_letter_jobs ${where.sql}
       ORDER BY died_at, job_id ${limitSql}`,
      where.values,
    );
    return rows;
  }
}
