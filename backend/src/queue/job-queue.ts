import { newJobId } from './job-id';
import { type Pool } from 'pg';
import { type BackoffOptions } from './backoff';
import { inTransaction } from '../database/in-transaction';
import { type JobLifecycleLog, NO_LIFECYCLE_LOG } from '../logging/job-lifecycle';
import { currentTraceParent, tracingEnabled } from '../tracing/tracing';
import { GroupedInserts } from './grouped-inserts';
import { type JobState } from './job-states';
import { type JobSubmission, toNewJob } from './job-submission';
import {
  jobCancel,
  jobClaim,
  jobCountsByQueue,
  jobCountsByStatus,
  jobCountsRoll,
  jobDiscardDead,
  jobRequeue,
  jobCompleteMany,
  jobFailMany,
  jobHeartbeat,
  jobFileInsert,
  jobFileQuotaLock,
  jobInsertMany,
  jobProgress,
  jobPromoteDue,
  maintenanceTryLock,
  MAINTENANCE_LOCK_KEYS,
  jobPruneFinished,
  jobRollupsPrune,
  jobReleaseMany,
  jobRescueExpired,
  type NewJob,
  type NewJobFile,
  type Statement,
  tenantQueueNames,
  tenantSlotsLock,
  tenantSlotsRecount,
} from './queue.sql';

export interface ClaimedJob {
  id: string;
  tenant_id: string;
  queue: string;
  type: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  trace_id: string | null;
  trace_parent: string | null;
  /** null: the type's default applies. */
  timeout_ms: number | null;
  /**
   * Epoch milliseconds, not Dates: a draining worker claims thousands of jobs a second, and pg's
   * parsing of two timestamps a row was 9 % of its busy CPU (docs/storage.md).
   */
  created_at_ms: number;
  lease_expires_at_ms: number;
}

/** A job as its insert stored it: every column a client is shown. */
export interface InsertedJob {
  id: string;
  tenant_id: string;
  queue: string;
  type: string;
  payload: Record<string, unknown>;
  status: JobState;
  priority: number;
  run_at: Date;
  attempts: number;
  max_attempts: number;
  progress: number;
  result: null;
  last_error: null;
  errors: [];
  idempotency_key: string | null;
  trace_id: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: null;
  finished_at: null;
}

/** A job with its file stored; or why neither was: a repeated idempotency key, or the file quota. */
type StoredUpload = { job: InsertedJob } | { duplicate: true } | { overQuota: true };

/** What jobInsertMany returns per inserted job: what the database decided. */
interface InsertOutcome {
  id: string;
  status: JobState;
  now_ms: number;
}

/** The stored job, from what was sent and what the insert decided (see jobInsertMany). */
function insertedJob(job: NewJob, { id, status, now_ms }: InsertOutcome): InsertedJob {
  const now = new Date(now_ms);
  return {
    id,
    tenant_id: job.tenantId,
    queue: job.queue,
    type: job.type,
    payload: job.payload as Record<string, unknown>,
    status,
    priority: job.priority,
    run_at: job.runAt ?? now,
    attempts: 0,
    max_attempts: job.maxAttempts,
    progress: 0,
    result: null,
    last_error: null,
    errors: [],
    idempotency_key: job.idempotencyKey,
    trace_id: job.traceId,
    created_at: now,
    updated_at: now,
    started_at: null,
    finished_at: null,
  };
}

/** The columns of an inserted row its `received` log line reads. */
interface LoggedJob {
  id: string;
  tenant_id: string;
  type: string;
  attempts: number;
  trace_id: string | null;
}

export interface FailOutcome {
  id: string;
  tenant_id: string;
  type: string;
  trace_id: string | null;
  status: Extract<JobState, 'failed' | 'dead'>;
  attempts: number;
  run_at: Date;
}

/** Runs the statements of queue.sql.ts on a pg pool; the only writer of job state. */
export class JobQueue {
  /** One-job inserts of this process, committed in groups (see GroupedInserts). */
  private readonly groupedInserts = new GroupedInserts<InsertedJob>((jobs, ids) =>
    this.insertMany(jobs, ids),
  );

  constructor(
    private readonly pool: Pool,
    private readonly lifecycle: JobLifecycleLog = NO_LIFECYCLE_LOG,
  ) {}

  private async run<T>(statement: Statement): Promise<T[]> {
    return (await this.pool.query(statement)).rows as T[];
  }

  /** Validates every submission first (QueueError on the first bad one), then inserts all in one statement. */
  async submit(
    submissions: JobSubmission[],
    knownTypes: readonly string[],
  ): Promise<Array<{ id: string; status: JobState }>> {
    const now = new Date();
    return await this.insertMany(submissions.map((submission) => toNewJob(submission, knownTypes, now)));
  }

  /** The new jobs in input order, every column; repeats of an idempotency key are skipped. */
  async insertMany(jobs: NewJob[], ids: string[] = jobs.map(() => newJobId())): Promise<InsertedJob[]> {
    if (jobs.length === 0) return [];
    const outcomes = await this.run<InsertOutcome>(jobInsertMany(this.traced(jobs), ids));
    const byId = new Map(jobs.map((job, i) => [ids[i], job]));
    const rows = outcomes.map((outcome) => insertedJob(byId.get(outcome.id)!, outcome));
    for (const row of rows) this.lifecycle.log('received', row);
    return rows;
  }

  /** Jobs carrying the caller's trace context (when tracing is on and they carry none yet). */
  private traced(jobs: NewJob[]): NewJob[] {
    if (!tracingEnabled()) return jobs;
    // null too, so that a group's statement never gives a job another caller's context.
    const traceParent = currentTraceParent();
    return jobs.map((job) => (job.traceParent === undefined ? { ...job, traceParent } : job));
  }

  /**
   * One job, in a statement shared with the jobs other callers insert meanwhile (group commit);
   * undefined when its idempotency key was taken. Resolves once the job is committed.
   */
  async insertOne(job: NewJob): Promise<InsertedJob | undefined> {
    // Read here, in the caller's context: the group's statement runs in whichever caller's it formed.
    const [traced] = this.traced([job]);
    return await this.groupedInserts.insert(traced);
  }

  /**
   * One job with its uploaded file, in one transaction: the file row is written attached to the
   * job, so no moment exists where the job waits with a file a pruner could take for an orphan.
   * Answers the new job; `duplicate` when its idempotency key returned an earlier job (nothing is
   * stored then); `overQuota` when the file would take the tenant past `quotaBytes`.
   */
  async insertWithFile(job: NewJob, file: NewJobFile, quotaBytes: number): Promise<StoredUpload> {
    const [traced] = this.traced([job]);
    const id = newJobId();
    const stored = await inTransaction(this.pool, async ({ client, rollback }): Promise<StoredUpload> => {
      const [outcome] = (await client.query(jobInsertMany([traced], [id]))).rows as InsertOutcome[];
      if (!outcome) {
        rollback();
        return { duplicate: true };
      }
      await client.query(jobFileQuotaLock(file.tenantId));
      if ((await client.query(jobFileInsert(file, id, quotaBytes))).rows.length === 0) {
        rollback();
        return { overQuota: true };
      }
      return { job: insertedJob(traced, outcome) };
    });
    if ('job' in stored) this.lifecycle.log('received', stored.job);
    return stored;
  }

  private claims = 0;
  /** Per worker id, the last tenant its previous claim visited: the next claim starts after it. */
  private readonly claimCursors = new Map<string, string>();

  /**
   * `tenantSlots`: most jobs one tenant may hold while another has work ready (null: no limit).
   * `firstTenant`: the claim's walk of tenants starts at this one instead of after the last
   * claim's (a tenant whose new job should not wait for its turn, see ClaimLoop.wake).
   */
  async claim(
    workerId: string,
    limit: number,
    leaseSeconds: number,
    tenantSlots: number | null = null,
    firstTenant?: string,
  ): Promise<ClaimedJob[]> {
    if (limit <= 0) return [];
    const cursor =
      firstTenant === undefined ? (this.claimCursors.get(workerId) ?? null) : uuidBefore(firstTenant);
    const rows = await this.run<ClaimedJob & { next_cursor: string | null }>(
      jobClaim(workerId, limit, leaseSeconds, `${workerId}:${this.claims++}`, tenantSlots, cursor),
    );
    // An empty claim keeps the cursor: it visited no tenant with a job it could take.
    if (rows.length > 0 && rows[0].next_cursor) this.claimCursors.set(workerId, rows[0].next_cursor);
    // The rows go out as they came, next_cursor still on them: copying each one to drop it was 2 %
    // of a draining worker's busy CPU (docs/storage.md).
    return rows;
  }

  async heartbeat(workerId: string, ids: string[], leaseSeconds: number): Promise<string[]> {
    return (await this.run<{ id: string }>(jobHeartbeat(workerId, ids, leaseSeconds))).map((row) => row.id);
  }

  async completeMany(
    workerId: string,
    completions: Array<{ id: string; result: unknown }>,
  ): Promise<string[]> {
    if (completions.length === 0) return [];
    return (await this.run<{ id: string }>(jobCompleteMany(workerId, completions))).map((row) => row.id);
  }

  failMany(
    workerId: string,
    failures: Array<{ id: string; error: string; retryDelayMs: number }>,
  ): Promise<FailOutcome[]> {
    return failures.length === 0 ? Promise.resolve([]) : this.run(jobFailMany(workerId, failures));
  }

  rescueExpired(limit: number, backoff: BackoffOptions): Promise<FailOutcome[]> {
    return this.run(jobRescueExpired(limit, backoff));
  }

  async progress(workerId: string, id: string, pct: number): Promise<void> {
    await this.run(jobProgress(workerId, id, pct));
  }

  /** Runs `statements` in one transaction; returns the rows of the last. */
  private transaction<T>(statements: Statement[]): Promise<T[]> {
    return inTransaction(this.pool, async ({ client }) => {
      let rows: T[] = [];
      for (const statement of statements) rows = (await client.query(statement)).rows as T[];
      return rows;
    });
  }

  /**
   * Runs `statements` in one transaction holding advisory lock `lockKey`, if no other process
   * holds it right now: maintenance runs in every worker but one at a time cluster-wide.
   * Returns the last statement's rows, or null when it was not our turn.
   */
  runExclusively<T>(lockKey: number, ...statements: Statement[]): Promise<T[] | null> {
    return inTransaction(this.pool, async ({ client }) => {
      const [{ locked }] = (await client.query(maintenanceTryLock(lockKey))).rows as Array<{
        locked: boolean;
      }>;
      let rows: T[] | null = null;
      if (locked) for (const statement of statements) rows = (await client.query(statement)).rows as T[];
      return rows;
    });
  }

  rescueExpiredExclusively(limit: number, backoff: BackoffOptions): Promise<FailOutcome[] | null> {
    return this.runExclusively(MAINTENANCE_LOCK_KEYS.rescuer, jobRescueExpired(limit, backoff));
  }

  /** Makes up to `limit` due scheduled jobs and retries pending; null: another process is promoting. */
  async promoteDueExclusively(limit: number): Promise<number | null> {
    const rows = await this.runExclusively<{ promoted: number }>(
      MAINTENANCE_LOCK_KEYS.promoter,
      jobPromoteDue(limit),
    );
    return rows === null ? null : rows[0].promoted;
  }

  /** Makes up to `limit` due jobs pending, whoever else promotes (tests and benchmarks drive it). */
  async promoteDue(limit: number): Promise<number> {
    const [row] = await this.run<{ promoted: number }>(jobPromoteDue(limit));
    return row.promoted;
  }

  /** Deletes up to `limit` completed or cancelled jobs finished more than `retentionDays` ago. */
  async pruneFinishedExclusively(retentionDays: number, limit: number): Promise<number | null> {
    const rows = await this.runExclusively<{ id: string }>(
      MAINTENANCE_LOCK_KEYS.pruner,
      jobPruneFinished(retentionDays, limit),
    );
    return rows === null ? null : rows.length;
  }

  /** Deletes zeroed counters and metrics past retention (at most `limit`); null: not our turn. */
  async pruneRollupsExclusively(retentionDays: number, limit: number): Promise<number | null> {
    const rows = await this.runExclusively<{ deleted: number }>(
      MAINTENANCE_LOCK_KEYS.pruner,
      jobRollupsPrune(retentionDays, limit),
    );
    return rows === null ? null : rows[0].deleted;
  }

  /** The queue names a tenant has jobs in (or just used). */
  async queueNames(tenantId: string): Promise<string[]> {
    return (await this.run<{ queue: string }>(tenantQueueNames(tenantId))).map((row) => row.queue);
  }

  /** Folds recent transitions into the counters and per-minute metrics; null: not our turn. */
  async rollCountsExclusively(): Promise<number | null> {
    const rows = await this.runExclusively<{ transitions: number }>(
      MAINTENANCE_LOCK_KEYS.roller,
      jobCountsRoll(),
    );
    return rows === null ? null : rows[0].transitions;
  }

  /** Jobs per status, for one tenant or (null) all, without counting the jobs table. */
  async countsByStatus(tenantId: string | null): Promise<Partial<Record<JobState, number>>> {
    const rows = await this.run<{ status: JobState; jobs: string }>(jobCountsByStatus(tenantId));
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.jobs)]));
  }

  /** Jobs per status in each queue (the most waiting first, at most `limit` queues). */
  async countsByQueue(
    tenantId: string | null,
    limit: number,
  ): Promise<Array<{ queue: string; counts: Partial<Record<JobState, number>> }>> {
    const rows = await this.run<{ queue: string; status: JobState; jobs: string }>(
      jobCountsByQueue(tenantId, limit),
    );
    const byQueue = new Map<string, Partial<Record<JobState, number>>>();
    for (const row of rows) {
      const counts = byQueue.get(row.queue) ?? {};
      counts[row.status] = Number(row.jobs);
      byQueue.set(row.queue, counts);
    }
    return [...byQueue].map(([queue, counts]) => ({ queue, counts }));
  }

  /**
   * Re-counts the running jobs of capped tenants (one, or all with null), which a cap set while
   * jobs were in flight can leave off. Returns the tenants whose count was corrected.
   */
  recountTenantSlots(tenantId: string | null): Promise<Array<{ id: string; running_jobs: number }>> {
    return this.transaction([tenantSlotsLock(tenantId), tenantSlotsRecount(tenantId)]);
  }

  /** Re-queues the jobs among `ids` whose status is in `fromStatuses`; returns them with their previous status. */
  async requeue(
    tenantId: string | null,
    ids: string[],
    fromStatuses: readonly JobState[],
  ): Promise<Array<{ id: string; from_status: JobState }>> {
    if (ids.length === 0) return [];
    return this.run(jobRequeue(tenantId, ids, fromStatuses));
  }

  /** Deletes dead jobs (DLQ entry, job and files); returns the ids removed. */
  async discardDead(tenantId: string | null, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return (await this.run<{ id: string }>(jobDiscardDead(tenantId, ids))).map((row) => row.id);
  }

  /** null: no such job for this tenant. */
  async cancel(
    tenantId: string | null,
    id: string,
  ): Promise<{ previousStatus: JobState; cancelled: boolean } | null> {
    const [row] = await this.run<{
      previous_status: JobState;
      cancelled: boolean;
      job: Omit<LoggedJob, 'id'> | null;
    }>(jobCancel(tenantId, id));
    if (row?.job) this.lifecycle.log('cancelled', { id, ...row.job }, { from_status: row.previous_status });
    return row ? { previousStatus: row.previous_status, cancelled: row.cancelled } : null;
  }

  async releaseMany(workerId: string, ids: string[]): Promise<string[]> {
    return (await this.run<{ id: string }>(jobReleaseMany(workerId, ids))).map((row) => row.id);
  }
}

/**
 * The uuid just below `id` in PostgreSQL's order (its 16 bytes compared as one big-endian number),
 * so that a walk of tenants "after" it starts at `id`; null (the walk's start) for the lowest uuid.
 */
export function uuidBefore(id: string): string | null {
  const value = BigInt(`0x${id.replace(/-/g, '')}`);
  if (value === 0n) return null;
  const hex = (value - 1n).toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
