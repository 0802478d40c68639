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

/** The transitions every job goes through; the others are the ones worth reading. */
const ROUTINE: ReadonlySet<LifecycleEvent> = new Set(['received', 'started', 'completed']);

/**
 * One JSON line per job transition, with the fields every line carries (job_id, tenant_id,
 * type, attempt, trace_id) and what that transition adds (error, delay_ms, run_ms, span_id).
 * Written through pino's own logger, not Nest's Logger, which formats a message string first:
 * these lines run once or twice per job on the worker's hot path (docs/observability.md has
 * their measured cost).
 */
export class JobLifecycleLog {
  private readonly write?: (fields: object, message: string) => void;
  /** The second the routine budget counts in (epoch seconds), what it let through, what it skipped. */
  private second = 0;
  private routineWritten = 0;
  private routineSkipped = 0;

  /**
   * `routinePerSecond`: received, started and completed lines written per second at most (0: no
   * limit). Under load those three are most of the lines and cost the worker a fifth of its drain
   * rate (docs/observability.md), so beyond the budget they are counted, not written, and one
   * `suppressed` line a second says how many. Failures, retries, deaths and cancellations are
   * always written: they are rare and they are what someone reads the log for.
   */
  constructor(
    logger: Logger | undefined,
    level: JobLogLevel,
    private readonly routinePerSecond = 0,
  ) {
    if (!logger || level === 'off' || !logger.isLevelEnabled(level)) return;
    const child = logger.child({ context: 'JobLifecycle' });
    this.write = level === 'info' ? child.info.bind(child) : child.debug.bind(child);
  }

  /** Whether a routine line fits this second's budget; reports the last second's skipped ones. */
  private routineFits(): boolean {
    if (this.routinePerSecond <= 0) return true;
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.second) {
      if (this.routineSkipped > 0)
        this.write!(
          { event: 'suppressed', count: this.routineSkipped, per_second: this.routinePerSecond },
          `${this.routineSkipped} routine job lines (received, started, completed) not written in the last second`,
        );
      this.second = second;
      this.routineWritten = 0;
      this.routineSkipped = 0;
    }
    if (this.routineWritten < this.routinePerSecond) {
      this.routineWritten++;
      return true;
    }
    this.routineSkipped++;
    return false;
  }

  get enabled(): boolean {
    return this.write !== undefined;
  }

  log(event: LifecycleEvent, job: LifecycleJob, extra?: Record<string, unknown>): void {
    if (!this.write) return;
    if (ROUTINE.has(event) && !this.routineFits()) return;
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
