import { type JobLifecycleLog } from '../logging/job-lifecycle';
import { type ClaimedJob, type FailOutcome } from '../queue/job-queue';
import { endJobSpans, type JobSpans } from '../tracing/job-spans';
import { type Outcome } from './result-writer';

/** A job whose outcome is on its way to the database: what its log line and span need then. */
interface Finishing {
  job: ClaimedJob;
  runMs: number;
  spans?: JobSpans;
}

/**
 * The lifecycle lines and span ends of jobs whose handlers are done, written once the outcome
 * commits (so that a line never claims an outcome the database did not take). Only kept while
 * lifecycle logs or tracing are on: otherwise the hot path tracks nothing.
 */
export class FinishedJobsLog {
  private readonly finishing = new Map<string, Finishing>();

  constructor(private readonly lifecycle: JobLifecycleLog) {}

  /** The handler is done; its outcome goes to the writer next. */
  track(job: ClaimedJob, runMs: number, spans?: JobSpans): void {
    this.finishing.set(job.id, { job, runMs, spans });
  }

  /** The outcome committed: its lifecycle line(s), and the end of the job's run span. */
  written(outcome: Outcome, failed?: FailOutcome): void {
    const finishing = this.finishing.get(outcome.id);
    if (!finishing) return;
    this.finishing.delete(outcome.id);
    const { job, spans } = finishing;
    const runMs = Math.round(finishing.runMs * 100) / 100;
    const span = spans && { span_id: spans.run.spanContext().spanId };
    if (outcome.kind === 'complete') {
      this.lifecycle.log('completed', job, { run_ms: runMs, ...span });
      endJobSpans(spans, 'completed');
    } else if (outcome.kind === 'fail' && failed) {
      this.lifecycle.log('failed', job, { error: outcome.error, run_ms: runMs, ...span });
      if (failed.status === 'failed') {
        const delay = { delay_ms: outcome.retryDelayMs, run_at: new Date(failed.run_at).toISOString() };
        this.lifecycle.log('retry_scheduled', job, { ...delay, ...span });
        endJobSpans(spans, 'retry_scheduled', outcome.error);
      } else {
        this.lifecycle.log('dead', job, span);
        endJobSpans(spans, 'dead', outcome.error);
      }
    } else endJobSpans(spans, 'released');
  }

  /** Not ours any more (cancelled, rescued), or given up on: the rescuer decides its outcome. */
  dropped(id: string): void {
    endJobSpans(this.finishing.get(id)?.spans, 'stopped');
    this.finishing.delete(id);
  }
}
