import { type DeadJobDto } from './dto/list.dto';
import { type JobDto, type JobSummaryDto } from './dto/job.dto';
import { type DeadJobRow } from './dead-letter.repository';
import { type JobRow } from './jobs.repository';

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

/** A job's columns as read back, or as an insert stored them (no page position then). */
type ShownJob = Omit<JobRow, 'position_at'>;

export function toJobSummaryDto(row: ShownJob): JobSummaryDto {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    queue: row.queue,
    type: row.type,
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    progress: row.progress,
    last_error: row.last_error,
    idempotency_key: row.idempotency_key,
    trace_id: row.trace_id,
    run_at: row.run_at.toISOString(),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

/**
 * The summary with three fields added to it, not spread into a new object: the spread took
 * 8.3 ms for a batch answer of 1,000 jobs, this 1.3 ms (docs/http-stack.md, "Batch answers").
 */
export function toJobDto(row: ShownJob): JobDto {
  return Object.assign(toJobSummaryDto(row), {
    payload: row.payload ?? {},
    result: row.result ?? null,
    errors: row.errors ?? [],
  });
}

export function toDeadJobDto(row: DeadJobRow): DeadJobDto {
  return {
    job_id: row.job_id,
    tenant_id: row.tenant_id,
    queue: row.queue,
    type: row.type,
    payload: row.payload,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    last_error: row.last_error,
    errors: row.errors,
    trace_id: row.trace_id,
    job_created_at: row.job_created_at.toISOString(),
    died_at: row.died_at.toISOString(),
  };
}
