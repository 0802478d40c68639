import { Injectable } from '@nestjs/common';
import { PgPool } from '../database/pg-pool';
import { type JobState } from '../queue/job-states';
import { type PagePosition } from './page-cursor';

const SUMMARY_COLUMNS = `id, tenant_id, queue, type, status, priority, attempts, max_attempts, progress, last_error,
  idempotency_key, trace_id, run_at, created_at, updated_at, started_at, finished_at, created_at::text AS position_at`;
const DETAIL_COLUMNS = `${SUMMARY_COLUMNS}, payload, result, errors`;

export interface JobRow {
  id: string;
  tenant_id: string;
  queue: string;
  type: string;
  status: JobState;
  priority: number;
  attempts: number;
  max_attempts: number;
  progress: number;
  last_error: string | null;
  idempotency_key: string | null;
  trace_id: string | null;
  run_at: Date;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  position_at: string;
  payload?: Record<string, unknown>;
  result?: unknown;
  errors?: Array<{ attempt: number; error: string; at: string }>;
}

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

export interface JobFilters {
  tenantId: string | null;
  status?: string;
  type?: string;
  queue?: string;
}

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

/** Builds `WHERE` clauses for the filters given (only those, so each shape gets its own plan). */
class Where {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];

  add(clause: (placeholder: string) => string, value: unknown): this {
    if (value === undefined || value === null) return this;
    this.values.push(value);
    this.clauses.push(clause(`$${this.values.length}`));
    return this;
  }

  raw(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  /** Rows past a keyset position: `<` for newest-first pages, `>` for oldest-first walks. */
  addPosition(columns: string, position: PagePosition | undefined, direction: '<' | '>' = '<'): this {
    if (!position) return this;
    this.values.push(position.at, position.id);
    const n = this.values.length;
    this.clauses.push(`(${columns}) ${direction} ($${n - 1}::timestamptz, $${n}::uuid)`);
    return this;
  }

  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }

  limit(n: number): string {
    this.values.push(n);
    return `LIMIT $${this.values.length}`;
  }
}

/** Reads of jobs, the DLQ and the rollups for the REST API; every write goes through JobQueue. */
@Injectable()
export class JobsRepository {
  constructor(private readonly pg: PgPool) {}

  async find(tenantId: string | null, id: string): Promise<JobRow | null> {
    const where = new Where().add((p) => `id = ${p}`, id).add((p) => `tenant_id = ${p}`, tenantId);
    const { rows } = await this.pg.pool.query<JobRow>(
      `SELECT ${DETAIL_COLUMNS} FROM jobs ${where.sql}`,
      where.values,
    );
    return rows[0] ?? null;
  }

  /** Whether a job exists in the scope (a tenant, or every tenant for null): one index probe, no row read. */
  async exists(tenantId: string | null, id: string): Promise<boolean> {
    const where = new Where().add((p) => `id = ${p}`, id).add((p) => `tenant_id = ${p}`, tenantId);
    const { rows } = await this.pg.pool.query(`SELECT 1 FROM jobs ${where.sql}`, where.values);
    return rows.length > 0;
  }

  async findMany(tenantId: string, ids: string[]): Promise<JobRow[]> {
    const { rows } = await this.pg.pool.query<JobRow>(
      `SELECT ${DETAIL_COLUMNS} FROM jobs WHERE id = ANY($1::uuid[]) AND tenant_id = $2`,
      [ids, tenantId],
    );
    return rows;
  }

  async findByIdempotencyKeys(tenantId: string, keys: string[]): Promise<JobRow[]> {
    const { rows } = await this.pg.pool.query<JobRow>(
      `SELECT ${DETAIL_COLUMNS} FROM jobs WHERE tenant_id = $1 AND idempotency_key = ANY($2::text[])`,
      [tenantId, keys],
    );
    return rows;
  }

  /** Newest first, by the keyset (created_at, id): jobs_tenant_created_idx serves a tenant's pages. */
  async list(filters: JobFilters, limit: number, after?: PagePosition): Promise<JobRow[]> {
    const where = new Where()
      .add((p) => `tenant_id = ${p}`, filters.tenantId)
      .add((p) => `status = ${p}`, filters.status)
      .add((p) => `type = ${p}`, filters.type)
      .add((p) => `queue = ${p}`, filters.queue)
      .addPosition('created_at, id', after);
    const limitSql = where.limit(limit);
    const { rows } = await this.pg.pool.query<JobRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM jobs ${where.sql} ORDER BY created_at DESC, id DESC ${limitSql}`,
      where.values,
    );
    return rows;
  }

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
