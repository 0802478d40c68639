import { type Logger } from 'pino';

/** The transitions a job's log lines name, in the order a job meets them. */
export type LifecycleEvent =
  'received' | 'started' | 'failed' | 'retry_scheduled' | 'completed' | 'dead' | 'cancelled';

export interface LifecycleJob {
  id: string;
  tenant_id: string;
  type: string;
  attempts: number;
  trace_id: string | null;
}

export type JobLogLevel = 'info' | 'debug' | 'off';

/**
 * One JSON line per job transition, with the fields every line carries (job_id, tenant_id,
 * type, attempt, trace_id) and what that transition adds (error, delay_ms, run_ms, span_id).
 * Written through pino's own logger, not Nest's Logger, which formats a message string first:
 * these lines run once or twice per job on the worker's hot path (docs/observability.md has
 * their measured cost).
 */
export class JobLifecycleLog {
  private readonly write?: (fields: object, message: string) => void;

  constructor(logger: Logger | undefined, level: JobLogLevel) {
    if (!logger || level === 'off' || !logger.isLevelEnabled(level)) return;
    const child = logger.child({ context: 'JobLifecycle' });
    this.write = level === 'info' ? child.info.bind(child) : child.debug.bind(child);
  }

  get enabled(): boolean {
    return this.write !== undefined;
  }

  log(event: LifecycleEvent, job: LifecycleJob, extra?: Record<string, unknown>): void {
    if (!this.write) return;
    this.write(
      {
        event,
        job_id: job.id,
        tenant_id: job.tenant_id,
        type: job.type,
        attempt: job.attempts,
        trace_id: job.trace_id,
        ...extra,
      },
      `job ${event}`,
    );
  }
}

/** Logs nowhere: the default of every class that takes one. */
export const NO_LIFECYCLE_LOG = new JobLifecycleLog(undefined, 'off');
