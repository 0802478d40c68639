import { type JobContext, type JobFiles, type JobHandler } from '../handlers/job-handler';
import { type JobLifecycleLog } from '../logging/job-lifecycle';
import { retryDelayMs, type BackoffOptions } from '../queue/backoff';
import { type ClaimedJob, type JobQueue } from '../queue/job-queue';
import { DEFAULT_JOB_TIMEOUT_MAX_MS } from '../queue/job-submission';
import { endJobSpans, inJobContext, type JobSpans, startJobSpans } from '../tracing/job-spans';
import { type FinishedJobsLog } from './finished-jobs-log';
import { type HandlerThreads } from './handler-threads';
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

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
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
  private readonly running = new Map<string, RunningJob>();

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
    const controller = new AbortController();
    const timeoutMs = this.timeoutOf(job);
    const timer = setTimeout(() => controller.abort(new TimeoutAbort(timeoutMs)), timeoutMs);
    const done = this.runHandler(job, controller.signal).finally(() => {
      clearTimeout(timer);
      this.running.delete(job.id);
      finished();
    });
    this.running.set(job.id, { controller, done });
  }

  /** Runs one job until its slot is free (its outcome handed to the writer, not yet written). */
  run(job: ClaimedJob): Promise<void> {
    return new Promise((resolve) => this.start(job, resolve));
  }

  /** The job was cancelled or its lease lost: its handler is aborted and nothing is written for it. */
  takeAway(jobId: string, why: 'job cancelled' | 'lease lost'): void {
    this.running.get(jobId)?.controller.abort(new JobTakenAbort(why));
  }

  /** The grace period is over: every running job is aborted and released, no attempt spent. */
  abortAll(): void {
    for (const job of this.running.values()) job.controller.abort(new ShutdownAbort('worker shutting down'));
  }

  /** Resolves once every job running now has freed its slot. */
  async allDone(): Promise<void> {
    await Promise.all([...this.running.values()].map((job) => job.done));
  }

  /** The job's own limit, else its type's default (capped); a type without a handler fails at once anyway. */
  private timeoutOf(job: ClaimedJob): number {
    if (job.timeout_ms !== null && job.timeout_ms !== undefined) return job.timeout_ms;
    const byType = this.handlers[job.type]?.defaultTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MAX_MS;
    return Math.min(byType, this.options.timeoutMaxMs ?? DEFAULT_JOB_TIMEOUT_MAX_MS);
  }

  /**
   * The handler's promise, or the abort's reason as soon as the signal fires: the slot and the
   * outcome never wait on a handler that does not heed its signal. CPU-bound handlers run on a
   * thread, which the abort terminates.
   */
  private invoke(handler: JobHandler, job: ClaimedJob, signal: AbortSignal): Promise<unknown> {
    const context = this.contextFor(job, signal);
    if (handler.cpuBound) return this.parts.threads.run(job.type, context);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      handler
        .run(context)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async runHandler(job: ClaimedJob, signal: AbortSignal): Promise<void> {
    const handler = this.handlers[job.type];
    const spans = startJobSpans(job);
    this.parts.lifecycle.log('started', job, spans && { span_id: spans.run.spanContext().spanId });
    const started = performance.now();
    let runMs = 0;
    try {
      if (!handler) throw new Error(`no handler for job type "${job.type}"`);
      const result = await inJobContext(spans, () => this.invoke(handler, job, signal)).finally(() => {
        runMs = performance.now() - started;
        if (!signal.aborted) this.parts.ran(runMs);
      });
      if (signal.aborted) throw signal.reason;
      this.parts.observer.ran(job.type, runMs / 1000, 'completed');
      this.pushOutcome(
        { kind: 'complete', id: job.id, result: result ?? null, attempt: job.attempts },
        job,
        runMs,
        spans,
      );
    } catch (error) {
      if (signal.reason instanceof ShutdownAbort) {
        this.pushOutcome({ kind: 'release', id: job.id }, job, runMs, spans);
        return;
      }
      if (signal.reason instanceof JobTakenAbort) {
        this.parts.logger.log(`job ${job.id} stopped: ${signal.reason.message}`);
        endJobSpans(spans, 'stopped', signal.reason.message);
        return;
      }
      this.parts.observer.ran(job.type, runMs / 1000, 'failed');
      const message =
        signal.reason instanceof TimeoutAbort
          ? signal.reason.message
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

  private contextFor(job: ClaimedJob, signal: AbortSignal): JobContext {
    let lastProgressAt = 0;
    const { queue, logger } = this.parts;
    const prefix = `job ${job.id}${job.trace_id ? ` trace ${job.trace_id}` : ''}`;
    return {
      jobId: job.id,
      payload: (job.payload ?? {}) as Record<string, unknown>,
      attempt: job.attempts,
      signal,
      progress: (pct) => {
        const now = Date.now();
        if (now - lastProgressAt < PROGRESS_MIN_INTERVAL_MS && pct < 100) return;
        lastProgressAt = now;
        const clamped = Math.max(0, Math.min(100, Math.round(pct)));
        queue.progress(this.options.workerId, job.id, clamped).catch(() => undefined);
      },
      logger: {
        info: (message) => logger.log(`${prefix}: ${message}`),
        warn: (message) => logger.warn(`${prefix}: ${message}`),
      },
      files: this.parts.filesOf(job.tenant_id),
    };
  }
}
