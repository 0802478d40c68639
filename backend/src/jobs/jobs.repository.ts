import { Injectable } from '@nestjs/common';
import { PgPool } from '../database/pg-pool';
import { type JobState } from '../queue/job-states';
import { type PagePosition } from './page-cursor';
import { Where } from './where-clause';

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

export interface JobFilters {
  tenantId: string | null;
  status?: string;
  type?: string;
  queue?: string;
}

/** Reads of jobs for the REST API and the socket gateway; every write goes through JobQueue. */
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

  /**
   * Newest first, by the keyset (created_at, id). The listing indexes (jobs_tenant_created_idx and
   * its type, queue and status twins) leave running jobs out, so that a claim writes no entry in
   * them (docs/storage.md): a page without a status filter is the newest of the jobs those indexes
   * hold and of the tenant's running ones (jobs_running_tenant_idx, a few per slot of the fleet),
   * merged. A status filter reads one side alone: the planner proves `status = 'dead'` implies
   * `status <> 'running'`, and `status = 'running'` reads the running index.
   */
  async list(filters: JobFilters, limit: number, after?: PagePosition): Promise<JobRow[]> {
    const where = new Where()
      .add((p) => `tenant_id = ${p}`, filters.tenantId)
      .add((p) => `status = ${p}`, filters.status)
      .add((p) => `type = ${p}`, filters.type)
      .add((p) => `queue = ${p}`, filters.queue)
      .addPosition('created_at, id', after);
    const limitSql = where.limit(limit);
    const page = (...side: string[]) =>
      `SELECT ${SUMMARY_COLUMNS} FROM jobs ${where.sqlWith(...side)} ORDER BY created_at DESC, id DESC ${limitSql}`;
    const text =
      filters.status !== undefined
        ? page()
        : `SELECT * FROM ((${page(`status <> 'running'`)}) UNION ALL (${page(`status = 'running'`)})) merged
           ORDER BY created_at DESC, id DESC ${limitSql}`;
    const { rows } = await this.pg.pool.query<JobRow>(text, where.values);
    return rows;
  }
}
