import { type NewJob } from './queue.sql';
import { QueueError, QueueErrorCode } from './queue.errors';

export const MAX_ATTEMPTS_LIMIT = 100;
export const DEFAULT_MAX_ATTEMPTS = 4;
const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A priority is an integer within ±PRIORITY_RANGE; the claim takes the lowest number first. */
export const PRIORITY_RANGE = 1_000_000;
/** JOB_TIMEOUT_MAX_MS's default: the longest any attempt may run. */
export const DEFAULT_JOB_TIMEOUT_MAX_MS = 3_600_000;

/** What submission checks of a job of one type (from its handler). */
export interface JobTypeRules {
  /** The attempt's time limit when the job gives none (capped by the server-wide maximum). */
  defaultTimeoutMs: number;
  /** A bound on the work the payload asks for: the field and why, or undefined when it is fine. */
  validatePayload?(
    payload: Record<string, unknown>,
    timeoutMs: number,
  ): { field: string; message: string } | undefined;
}

export interface SubmissionRules {
  timeoutMaxMs: number;
  types: Readonly<Record<string, JobTypeRules>>;
}

export interface JobSubmission {
  tenantId: string;
  type?: string;
  payload?: unknown;
  queue?: string;
  priority?: number;
  maxAttempts?: number;
  runAt?: Date;
  delayMs?: number;
  idempotencyKey?: string;
  traceId?: string;
  timeoutMs?: number;
}

/** The type of a submission that names none (its handler reads payload.task). */
export const DEFAULT_JOB_TYPE = 'default';

/**
 * Turns a submission into a row for jobInsertMany, or throws a QueueError naming the bad field.
 * Runs before anything is written, so a refused job leaves no trace. Without `rules` (callers
 * inside the system), a job without timeout_ms stores none and runs under its type's default.
 */
export function toNewJob(
  submission: JobSubmission,
  knownTypes: readonly string[],
  now = new Date(),
  rules?: SubmissionRules,
): NewJob {
  const type = submission.type ?? DEFAULT_JOB_TYPE;
  if (!knownTypes.includes(type)) {
    throw new QueueError(
      QueueErrorCode.UnknownJobType,
      'type',
      `Unknown job type "${type}"; registered types: ${knownTypes.join(', ')}`,
    );
  }
  const payload = submission.payload ?? {};
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new QueueError(QueueErrorCode.InvalidPayload, 'payload', 'payload must be a JSON object');
  }
  const queue = submission.queue ?? 'default';
  if (!QUEUE_NAME.test(queue)) {
    throw new QueueError(
      QueueErrorCode.InvalidQueueName,
      'queue',
      'queue must be 1-64 letters, digits, _ . : or -',
    );
  }
  const priority = submission.priority ?? 0;
  if (!Number.isInteger(priority) || Math.abs(priority) > PRIORITY_RANGE) {
    throw new QueueError(
      QueueErrorCode.InvalidPriority,
      'priority',
      `priority must be an integer within ±${PRIORITY_RANGE}`,
    );
  }
  const maxAttempts = submission.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
    throw new QueueError(
      QueueErrorCode.InvalidMaxAttempts,
      'max_attempts',
      `max_attempts must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`,
    );
  }
  const timeoutMs = timeoutOf(submission, type, rules);
  const problem =
    timeoutMs !== null
      ? rules?.types[type]?.validatePayload?.(payload as Record<string, unknown>, timeoutMs)
      : undefined;
  if (problem) throw new QueueError(QueueErrorCode.InvalidPayload, problem.field, problem.message);
  return {
    tenantId: submission.tenantId,
    queue,
    type,
    payload,
    priority,
    runAt: scheduledAt(submission, now),
    maxAttempts,
    idempotencyKey: submission.idempotencyKey ?? null,
    traceId: submission.traceId ?? null,
    timeoutMs,
  };
}

function timeoutOf({ timeoutMs }: JobSubmission, type: string, rules?: SubmissionRules): number | null {
  const maxMs = rules?.timeoutMaxMs ?? DEFAULT_JOB_TIMEOUT_MAX_MS;
  if (timeoutMs !== undefined) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxMs)
      throw new QueueError(
        QueueErrorCode.InvalidTimeout,
        'timeout_ms',
        `timeout_ms must be an integer from 1 to ${maxMs} (JOB_TIMEOUT_MAX_MS)`,
      );
    return timeoutMs;
  }
  const byType = rules?.types[type]?.defaultTimeoutMs;
  return byType === undefined ? null : Math.min(byType, maxMs);
}

function scheduledAt({ runAt, delayMs }: JobSubmission, now: Date): Date | null {
  if (runAt !== undefined && delayMs !== undefined) {
    throw new QueueError(
      QueueErrorCode.InvalidSchedule,
      'run_at',
      'give either run_at or delay_ms, not both',
    );
  }
  if (delayMs !== undefined) {
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new QueueError(
        QueueErrorCode.InvalidSchedule,
        'delay_ms',
        'delay_ms must be a non-negative integer',
      );
    }
    return delayMs === 0 ? null : new Date(now.getTime() + delayMs);
  }
  if (runAt !== undefined && Number.isNaN(runAt.getTime())) {
    throw new QueueError(QueueErrorCode.InvalidSchedule, 'run_at', 'run_at must be a valid timestamp');
  }
  return runAt ?? null;
}
