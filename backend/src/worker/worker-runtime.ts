import { type JobContext, type JobFiles, type JobHandler } from '../handlers/job-handler';
import { retryDelayMs, type BackoffOptions } from '../queue/backoff';
import { DEFAULT_JOB_TIMEOUT_MAX_MS } from '../queue/job-submission';
import { type JobLifecycleLog, NO_LIFECYCLE_LOG } from '../logging/job-lifecycle';
import { type ClaimedJob, type FailOutcome, type JobQueue } from '../queue/job-queue';
import { endJobSpans, inJobContext, type JobSpans, startJobSpans } from '../tracing/job-spans';
import { tracingEnabled } from '../tracing/tracing';
import { HandlerThreads } from './handler-threads';
import { LocalQueue } from './local-queue';
import { type JobsInHand, NO_OBSERVER, type RuntimeObserver } from './runtime-observer';
import { type Outcome, ResultWriter } from './result-writer';
import { logFailure } from '../logging/log-failure';

export type WorkerState = 'starting' | 'running' | 'stopping' | 'stopped';

export interface WorkerRuntimeOptions {
  workerId: string;
  concurrency: number;
  /** Most jobs claimed ahead of free slots; see LocalQueue.prefetchSize. */
  prefetch: number;
  /** Most jobs one tenant may hold while another has work ready (see FleetShare); null: no limit. */
  tenantSlots?: () => number | null;
  leaseSeconds: number;
  pollIntervalMs: number;
  backoff: BackoffOptions;
  /** Caps a type's default time limit (JOB_TIMEOUT_MAX_MS); a job's own timeout_ms was checked at submission. */
  timeoutMaxMs?: number;
}

/** What /health reports about the claim loop (see WorkerRuntime.loopHealth). */
export interface LoopHealth {
  state: WorkerState;
  /** Since the loop last went round (claimed, or went to sleep on its own timer). */
  lastTickMsAgo: number;
  /** How long the loop has been waiting on the database right now; 0 when it is not. */
  waitingMs: number;
}

export interface RuntimeLogger {
  log(message: string): void;
  warn(message: string): void;
  /** `stack`: the causing error's, so that the line says where it came from. */
  error(message: string, stack?: string): void;
}

const MAX_FETCH_BACKOFF_MS = 10_000;
const PROGRESS_MIN_INTERVAL_MS = 250;

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

/** Idle handler threads kept for the next CPU-bound job. */
const MAX_IDLE_THREADS = 2;

/** The job is no longer ours (cancelled, or its lease was rescued): write nothing for it. */
class JobTakenAbort extends Error {
  override name = 'JobTakenAbort';
}

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

/** A job whose outcome is on its way to the database: what its log line and span need then. */
interface Finishing {
  job: ClaimedJob;
  runMs: number;
  spans?: JobSpans;
}

/**
 * The claim loop of one worker process, as a small state machine:
 * starting → running (claim up to the free slots plus a prefetch, sleep until NOTIFY, a half
 * empty local queue or the jittered poll) → stopping (no more claims; prefetched jobs are
 * released at once, running jobs get the grace period, then are aborted and released without
 * spending an attempt) → stopped.
 *
 * Short jobs are claimed in batches (as graphile-worker's local queue does): claimed jobs wait in
 * a local FIFO for a slot, and the database is asked again once half of it has started, so a
 * claim's round trip and commit are shared by many jobs instead of by the one or two slots that
 * freed, and the next batch is on its way while the rest of this one runs (the queue benchmark: refilling
 * only an empty queue drained ~8,000 jobs/s here, refilling at half 11,000-14,500).
 */
export class WorkerRuntime {
  private state: WorkerState = 'starting';
  private readonly running = new Map<string, RunningJob>();
  /** Claimed, under this worker's lease, waiting for a slot (oldest first). */
  private readonly local: LocalQueue;
  private readonly writer: ResultWriter;
  private readonly threads: HandlerThreads;
  private wakeUp?: () => void;
  private woken = false;
  private heartbeat?: NodeJS.Timeout;
  private loopDone?: Promise<void>;
  /** Only kept while lifecycle logs or tracing are on (see trackOutcomes). */
  private readonly finishing = new Map<string, Finishing>();
  private readonly trackOutcomes: boolean;
  private lastTickAt = performance.now();
  /** Set while the loop awaits a claim: a claim that never returns is the one way the loop can hang. */
  private claimingSince?: number;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: Readonly<Record<string, JobHandler>>,
    private readonly options: WorkerRuntimeOptions,
    private readonly logger: RuntimeLogger,
    private readonly filesOf: (tenantId: string) => JobFiles,
    private readonly observer: RuntimeObserver = NO_OBSERVER,
    private readonly lifecycle: JobLifecycleLog = NO_LIFECYCLE_LOG,
  ) {
    this.trackOutcomes = lifecycle.enabled || tracingEnabled();
    this.local = new LocalQueue(options.concurrency, options.prefetch);
    this.threads = new HandlerThreads(Math.min(MAX_IDLE_THREADS, options.concurrency));
    this.writer = new ResultWriter(
      queue,
      options.workerId,
      (what, error) => logger.error(`writing job outcomes failed (${error.message}): ${what}`, error.stack),
      this.trackOutcomes
        ? {
            written: (outcome, failed) => this.outcomeWritten(outcome, failed),
            notApplied: (outcome) => this.outcomeDropped(outcome.id),
          }
        : undefined,
    );
  }

  get currentState(): WorkerState {
    return this.state;
  }

  inHand(): JobsInHand {
    return {
      running: this.running.size,
      prefetched: this.local.length,
      unwritten: this.writer.unwritten,
    };
  }

  /**
   * The claim loop's pulse, for the worker's /health. Asleep on its own timer it is fine however
   * long the sleep (polls and fetch backoff last up to ~10 s); stuck in a claim it is not.
   */
  loopHealth(): LoopHealth {
    const now = performance.now();
    return {
      state: this.state,
      lastTickMsAgo: Math.round(now - this.lastTickAt),
      waitingMs: this.claimingSince === undefined ? 0 : Math.round(now - this.claimingSince),
    };
  }

  /** Wakes the claim loop early: a NOTIFY arrived or the local queue ran low. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** A cancelled job this process holds: abort its handler or drop it (the row is already `cancelled`). */
  cancel(jobId: string): void {
    this.running.get(jobId)?.controller.abort(new JobTakenAbort('job cancelled'));
    this.local.drop(new Set([jobId]));
  }

  start(): void {
    if (this.state !== 'starting') throw new Error(`cannot start a worker that is ${this.state}`);
    this.state = 'running';
    const every = Math.max(1_000, (this.options.leaseSeconds * 1000) / 3);
    this.heartbeat = setInterval(() => {
      this.releaseStale();
      void this.renewLeases();
    }, every);
    this.loopDone = this.claimLoop();
  }

  async stop(graceMs: number): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.wake();
    await this.loopDone;
    this.release(this.local.takeNewest(Infinity));
    const allDone = () => Promise.all([...this.running.values()].map((job) => job.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>(
      (resolve) => (timer = setTimeout(() => resolve('grace over'), graceMs)),
    );
    if ((await Promise.race([allDone(), graceOver])) === 'grace over') {
      this.logger.warn(`grace period over: aborting and releasing ${this.running.size} job(s)`);
      for (const job of this.running.values())
        job.controller.abort(new ShutdownAbort('worker shutting down'));
      await allDone();
    }
    clearTimeout(timer);
    clearInterval(this.heartbeat);
    await this.threads.close();
    await this.writer.flush();
    this.state = 'stopped';
  }

  private async claimLoop(): Promise<void> {
    let fetchFailures = 0;
    while (this.state === 'running') {
      this.woken = false;
      this.lastTickAt = performance.now();
      // Outcomes are written behind the handlers; a backlog of them (a slow or absent database)
      // holds back new claims, so that finished but unrecorded jobs stay bounded.
      // stop() ends the wait: the backlog is flushed once more when the worker has stopped.
      if (this.writer.unwritten >= this.options.concurrency + this.options.prefetch) {
        // The flush wakes the sleep, so that no stale sleep outlives this wait.
        const flushed = this.writer.flush().then(() => this.wake());
        await Promise.race([flushed, this.sleep(this.options.pollIntervalMs, true)]);
        continue;
      }
      const limit = this.local.wanted(this.running.size);
      if (limit > 0 && this.local.isLow()) {
        try {
          const claimedAt = performance.now();
          this.claimingSince = claimedAt;
          const jobs = await this.queue
            .claim(
              this.options.workerId,
              limit,
              this.options.leaseSeconds,
              this.options.tenantSlots?.() ?? null,
            )
            .finally(() => (this.claimingSince = undefined));
          this.observer.claimed((performance.now() - claimedAt) / 1000, jobs.length);
          fetchFailures = 0;
          this.local.add(jobs, claimedAt, this.options.leaseSeconds);
          // Stopping meanwhile: stop() releases them all.
          if (this.state !== 'running') break;
          // startPrefetched wakes the loop when the local queue is low, which after an empty claim
          // it always is: keep only a wake-up that came from outside (a NOTIFY during the claim),
          // or an idle worker claims in a tight loop instead of sleeping.
          const wokenMeanwhile = this.woken;
          this.startPrefetched();
          // Some ready: claim again at once (a claim can return fewer than free when tenants' shares or
          // caps cut it short, while other tenants still have work).
          if (jobs.length > 0) continue;
          this.woken = wokenMeanwhile;
        } catch (error) {
          fetchFailures++;
          const delay = Math.min(MAX_FETCH_BACKOFF_MS, 100 * 2 ** fetchFailures);
          logFailure(this.logger, `claim failed, retrying in ${delay} ms`, error);
          await this.sleep(delay, true); // stop() or a NOTIFY (the database is back) ends it early
          continue;
        }
      }
      await this.sleep(this.options.pollIntervalMs * (0.75 + Math.random() * 0.5), true);
    }
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (wakeable && this.woken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      if (wakeable) this.wakeUp = done;
    }).then(() => {
      this.wakeUp = undefined;
    });
  }

  /** Fills free slots from the local queue; wakes the claim loop once the queue is half empty. */
  private startPrefetched(): void {
    while (this.running.size < this.options.concurrency) {
      const job = this.local.next(performance.now(), (skipped) =>
        this.logger.warn(`job ${skipped.id} not started: its lease ran out while it waited`),
      );
      if (!job) break;
      this.execute(job);
    }
    if (this.local.isLow()) this.wake();
  }

  /** Prefetched jobs that waited too long go back to the queue (LocalQueue.takeStale). */
  private releaseStale(): void {
    this.release(this.local.takeStale(performance.now()));
  }

  /** Gives prefetched jobs back to the queue, without spending an attempt. */
  private release(jobs: ClaimedJob[]): void {
    for (const job of jobs) void this.writer.push({ kind: 'release', id: job.id });
  }

  private execute(job: ClaimedJob): void {
    const controller = new AbortController();
    const timeoutMs = this.timeoutOf(job);
    const timer = setTimeout(() => controller.abort(new TimeoutAbort(timeoutMs)), timeoutMs);
    const done = this.runHandler(job, controller.signal).finally(() => {
      clearTimeout(timer);
      this.running.delete(job.id);
      if (this.state !== 'running') return this.wake();
      this.releaseStale();
      this.startPrefetched();
    });
    this.running.set(job.id, { controller, done });
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
    if (handler.cpuBound) return this.threads.run(job.type, context);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      handler
        .run(context)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
   * Every claimed job ends in exactly one outcome: completed, failed (retry or DLQ), or released.
   * The slot is free once the handler returns: its outcome goes to the writer and is written with
   * the outcomes of other slots (the job stays `running` under this worker's lease until then).
   */
  private async runHandler(job: ClaimedJob, signal: AbortSignal): Promise<void> {
    const handler = this.handlers[job.type];
    const spans = startJobSpans(job);
    this.lifecycle.log('started', job, spans && { span_id: spans.run.spanContext().spanId });
    const started = performance.now();
    let runMs = 0;
    try {
      if (!handler) throw new Error(`no handler for job type "${job.type}"`);
      const result = await inJobContext(spans, () => this.invoke(handler, job, signal)).finally(() => {
        runMs = performance.now() - started;
        if (!signal.aborted) this.local.ran(runMs);
      });
      if (signal.aborted) throw signal.reason;
      this.observer.ran(job.type, runMs / 1000, 'completed');
      this.pushOutcome({ kind: 'complete', id: job.id, result: result ?? null }, job, runMs, spans);
    } catch (error) {
      if (signal.reason instanceof ShutdownAbort) {
        this.pushOutcome({ kind: 'release', id: job.id }, job, runMs, spans);
        return;
      }
      if (signal.reason instanceof JobTakenAbort) {
        this.logger.log(`job ${job.id} stopped: ${signal.reason.message}`);
        endJobSpans(spans, 'stopped', signal.reason.message);
        return;
      }
      this.observer.ran(job.type, runMs / 1000, 'failed');
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
    if (this.trackOutcomes) this.finishing.set(job.id, { job, runMs, spans });
    void this.writer.push(outcome);
  }

  /** The outcome committed: its lifecycle line(s), and the end of the job's run span. */
  private outcomeWritten(outcome: Outcome, failed?: FailOutcome): void {
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
  private outcomeDropped(id: string): void {
    endJobSpans(this.finishing.get(id)?.spans, 'stopped');
    this.finishing.delete(id);
  }

  private contextFor(job: ClaimedJob, signal: AbortSignal): JobContext {
    let lastProgressAt = 0;
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
        this.queue.progress(this.options.workerId, job.id, clamped).catch(() => undefined);
      },
      logger: {
        info: (message) => this.logger.log(`${prefix}: ${message}`),
        warn: (message) => this.logger.warn(`${prefix}: ${message}`),
      },
      files: this.filesOf(job.tenant_id),
    };
  }

  /**
   * Renews the leases of every job this worker holds: running, prefetched, and finished with its
   * outcome not yet written (the writer may retry for a while; the job must stay ours meanwhile).
   */
  private async renewLeases(): Promise<void> {
    const ids = [...this.running.keys(), ...this.local.ids(), ...this.writer.heldIds()];
    if (ids.length === 0) return;
    try {
      const sentAt = performance.now();
      const held = new Set(await this.queue.heartbeat(this.options.workerId, ids, this.options.leaseSeconds));
      const lost = new Set(ids.filter((id) => !held.has(id)));
      // The rescuer took it (we were too slow): stop working on a job someone else may run.
      for (const id of lost) this.running.get(id)?.controller.abort(new JobTakenAbort('lease lost'));
      this.local.drop(lost);
      this.local.renewed(held, sentAt, this.options.leaseSeconds);
    } catch (error) {
      logFailure(this.logger, 'heartbeat failed', error);
    }
  }
}
