import { type JobContext, type JobFiles, type JobHandler } from '../handlers/job-handler';
import { type JobLifecycleLog } from '../logging/job-lifecycle';
import { retryDelayMs, type BackoffOptions } from '../queue/backoff';
import { type ClaimedJob, type JobQueue } from '../queue/job-queue';
import { DEFAULT_JOB_TIMEOUT_MAX_MS } from '../queue/job-submission';
import { endJobSpans, inJobContext, type JobSpans, startJobSpans } from '../tracing/job-spans';
import { Deadlines } from './deadlines';
import { type FinishedJobsLog } from './finished-jobs-log';
import { type HandlerThreads } from './handler-threads';
import { JobAttempt } from './job-attempt';
import { type Outcome, type ResultWriter } from './result-writer';
import { type RuntimeObserver } from './runtime-observer';
import { type RuntimeLogger } from './worker-runtime';

const PROGRESS_MIN_INTERVAL_MS = 250;

/** The worker is stopping and its grace is over: the job goes back to the queue, no attempt spent. */
class ShutdownAbort extends Error {
  override name = 'ShutdownAbort';
}

/** The attempt ran out of time: it fails like any failed attempt (retry with backoff, then the DLQ). */
class TimeoutAbort extends Error {
  override name = 'TimeoutAbort';
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

/** The job is no longer ours (cancelled, or its lease was rescued): write nothing for it. */
class JobTakenAbort extends Error {
  override name = 'JobTakenAbort';
}

export interface JobExecutorOptions {
  workerId: string;
  backoff: BackoffOptions;
  /** Caps a type's default time limit (JOB_TIMEOUT_MAX_MS); a job's own timeout_ms was checked at submission. */
  timeoutMaxMs?: number;
}

/** What the executor needs from the rest of the worker. */
export interface ExecutorParts {
  queue: JobQueue;
  writer: ResultWriter;
  threads: HandlerThreads;
  logger: RuntimeLogger;
  filesOf: (tenantId: string) => JobFiles;
  observer: RuntimeObserver;
  lifecycle: JobLifecycleLog;
  /** Present while lifecycle logs or tracing are on. */
  finished?: FinishedJobsLog;
  /** How long a handler ran that was not aborted (the local queue sizes its prefetch by it). */
  ran: (ms: number) => void;
}

/**
 * Runs claimed jobs, each to exactly one outcome handed to the result writer: completed, failed
 * (retry or DLQ) or released; or none when the job was taken from us (cancelled, lease lost).
 * A slot is free once the handler returns or is aborted: the outcome is written behind it, with
 * the outcomes of other slots (the job stays `running` under this worker's lease until then).
 */
export class JobExecutor {
  private readonly running = new Map<string, { attempt: JobAttempt; done: Promise<void> }>();
  private readonly deadlines = new Deadlines((now) => this.expire(now));

  constructor(
    private readonly handlers: Readonly<Record<string, JobHandler>>,
    private readonly options: JobExecutorOptions,
    private readonly parts: ExecutorParts,
  ) {}

  get size(): number {
    return this.running.size;
  }

  ids(): IterableIterator<string> {
    return this.running.keys();
  }

  /** Starts the job; `finished` runs once its slot is free. */
  start(job: ClaimedJob, finished: () => void): void {
    const timeoutMs = this.timeoutOf(job);
    const attempt = new JobAttempt(job, performance.now() + timeoutMs, timeoutMs);
    const done = this.runHandler(attempt).finally(() => {
      this.running.delete(job.id);
      finished();
    });
    this.running.set(job.id, { attempt, done });
    this.deadlines.watch(attempt.deadline);
  }

  /** Runs one job until its slot is free (its outcome handed to the writer, not yet written). */
  run(job: ClaimedJob): Promise<void> {
    return new Promise((resolve) => this.start(job, resolve));
  }

  /** The job was cancelled or its lease lost: its handler is aborted and nothing is written for it. */
  takeAway(jobId: string, why: 'job cancelled' | 'lease lost'): void {
    this.running.get(jobId)?.attempt.stop(new JobTakenAbort(why));
  }

  /** The grace period is over: every running job is aborted and released, no attempt spent. */
  abortAll(): void {
    for (const { attempt } of this.running.values()) attempt.stop(new ShutdownAbort('worker shutting down'));
  }

  /** Resolves once every job running now has freed its slot. */
  async allDone(): Promise<void> {
    await Promise.all([...this.running.values()].map((job) => job.done));
  }

  /** No more jobs will start: the deadline timer goes. */
  close(): void {
    this.deadlines.close();
  }

  /** Stops the attempts past their deadline; the earliest deadline left. */
  private expire(now: number): number {
    let next = Infinity;
    for (const { attempt } of this.running.values())
      if (attempt.deadline <= now) attempt.stop(new TimeoutAbort(attempt.timeoutMs));
      else if (!attempt.stopped) next = Math.min(next, attempt.deadline);
    return next;
  }

  /** The job's own limit, else its type's default (capped); a type without a handler fails at once anyway. */
  private timeoutOf(job: ClaimedJob): number {
    if (job.timeout_ms !== null && job.timeout_ms !== undefined) return job.timeout_ms;
    const byType = this.handlers[job.type]?.defaultTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MAX_MS;
    return Math.min(byType, this.options.timeoutMaxMs ?? DEFAULT_JOB_TIMEOUT_MAX_MS);
  }

  /** CPU-bound handlers run on a thread, which a stop terminates. */
  private invoke(handler: JobHandler, attempt: JobAttempt): Promise<unknown> {
    const context = this.contextFor(attempt);
    if (handler.cpuBound) return this.parts.threads.run(attempt.job.type, context);
    return attempt.race(() => handler.run(context));
  }

  private async runHandler(attempt: JobAttempt): Promise<void> {
    const { job } = attempt;
    const handler = this.handlers[job.type];
    const spans = startJobSpans(job);
    this.parts.lifecycle.log('started', job, spans && { span_id: spans.run.spanContext().spanId });
    const started = performance.now();
    let runMs = 0;
    try {
      if (!handler) throw new Error(`no handler for job type "${job.type}"`);
      const result = await inJobContext(spans, () => this.invoke(handler, attempt)).finally(() => {
        runMs = performance.now() - started;
        if (!attempt.stopped) this.parts.ran(runMs);
      });
      if (attempt.reason) throw attempt.reason;
      this.parts.observer.ran(job.type, runMs / 1000, 'completed');
      this.pushOutcome(
        { kind: 'complete', id: job.id, result: result ?? null, attempt: job.attempts },
        job,
        runMs,
        spans,
      );
    } catch (error) {
      const { reason } = attempt;
      if (reason instanceof ShutdownAbort) {
        this.pushOutcome({ kind: 'release', id: job.id }, job, runMs, spans);
        return;
      }
      if (reason instanceof JobTakenAbort) {
        this.parts.logger.log(`job ${job.id} stopped: ${reason.message}`);
        endJobSpans(spans, 'stopped', reason.message);
        return;
      }
      this.parts.observer.ran(job.type, runMs / 1000, 'failed');
      const message =
        reason instanceof TimeoutAbort
          ? reason.message
          : error instanceof Error
            ? error.message
            : String(error);
      const outcome: Outcome = {
        kind: 'fail',
        id: job.id,
        error: message.slice(0, 2000),
        retryDelayMs: retryDelayMs(job.attempts, this.options.backoff),
      };
      this.pushOutcome(outcome, job, runMs, spans);
    }
  }

  private pushOutcome(outcome: Outcome, job: ClaimedJob, runMs: number, spans?: JobSpans): void {
    this.parts.finished?.track(job, runMs, spans);
    void this.parts.writer.push(outcome);
  }

  /** `signal` is a getter: the attempt makes its AbortController only for a handler that reads it. */
  private contextFor(attempt: JobAttempt): JobContext {
    const { job } = attempt;
    let lastProgressAt = 0;
    const { queue, logger } = this.parts;
    // Built when a handler logs, not for every job: most jobs never do.
    const prefix = () => `job ${job.id}${job.trace_id ? ` trace ${job.trace_id}` : ''}`;
    return {
      jobId: job.id,
      payload: (job.payload ?? {}) as Record<string, unknown>,
      attempt: job.attempts,
      get signal() {
        return attempt.signal;
      },
      progress: (pct) => {
        const now = Date.now();
        if (now - lastProgressAt < PROGRESS_MIN_INTERVAL_MS && pct < 100) return;
        lastProgressAt = now;
        const clamped = Math.max(0, Math.min(100, Math.round(pct)));
        queue.progress(this.options.workerId, job.id, clamped).catch(() => undefined);
      },
      logger: {
        info: (message) => logger.log(`${prefix()}: ${message}`),
        warn: (message) => logger.warn(`${prefix()}: ${message}`),
      },
      files: this.parts.filesOf(job.tenant_id),
    };
  }
}
