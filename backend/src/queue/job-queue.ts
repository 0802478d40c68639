import { type Pool } from 'pg';
import { type JobState } from './job-states';
import {
  jobCancel,
  jobClaim,
  jobCompleteMany,
  jobFailMany,
  jobHeartbeat,
  jobInsertMany,
  jobProgress,
  maintenanceTryLock,
  RESCUER_LOCK_KEY,
  jobReleaseMany,
  jobRescueExpired,
  type NewJob,
  type Statement,
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
  lease_expires_at: Date;
}

export interface FailOutcome {
  id: string;
  status: Extract<JobState, 'failed' | 'dead'>;
  attempts: number;
  run_at: Date;
}

/** Runs the statements of queue.sql.ts on a pg pool; the only writer of job state. */
export class JobQueue {
  constructor(private readonly pool: Pool) {}

  private async run<T>(statement: Statement): Promise<T[]> {
    return (await this.pool.query(statement)).rows as T[];
  }

  insertMany(jobs: NewJob[]): Promise<Array<{ id: string; status: JobState }>> {
    return jobs.length === 0 ? Promise.resolve([]) : this.run(jobInsertMany(jobs));
  }

  private claims = 0;

  claim(workerId: string, limit: number, leaseSeconds: number): Promise<ClaimedJob[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.run(jobClaim(workerId, limit, leaseSeconds, `${workerId}:${this.claims++}`));
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

  rescueExpired(limit: number, retryDelayMs: number): Promise<FailOutcome[]> {
    return this.run(jobRescueExpired(limit, retryDelayMs));
  }

  async progress(workerId: string, id: string, pct: number): Promise<void> {
    await this.run(jobProgress(workerId, id, pct));
  }

  /** Rescues expired leases if no other process is doing so right now; null when it was not our turn. */
  async rescueExpiredExclusively(limit: number, retryDelayMs: number): Promise<FailOutcome[] | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const [{ locked }] = (await client.query(maintenanceTryLock(RESCUER_LOCK_KEY))).rows as Array<{
        locked: boolean;
      }>;
      const rescued = locked
        ? ((await client.query(jobRescueExpired(limit, retryDelayMs))).rows as FailOutcome[])
        : null;
      await client.query('COMMIT');
      return rescued;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** null: no such job for this tenant. */
  async cancel(
    tenantId: string,
    id: string,
  ): Promise<{ previousStatus: JobState; cancelled: boolean } | null> {
    const [row] = await this.run<{ previous_status: JobState; cancelled: boolean }>(jobCancel(tenantId, id));
    return row ? { previousStatus: row.previous_status, cancelled: row.cancelled } : null;
  }

  async releaseMany(workerId: string, ids: string[]): Promise<string[]> {
    return (await this.run<{ id: string }>(jobReleaseMany(workerId, ids))).map((row) => row.id);
  }
}
