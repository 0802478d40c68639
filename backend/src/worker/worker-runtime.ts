import { type JobFiles, type JobHandler } from '../handlers/job-handler';
import { type BackoffOptions } from '../queue/backoff';
import { type JobLifecycleLog, NO_LIFECYCLE_LOG } from '../logging/job-lifecycle';
import { type ClaimedJob, type JobQueue } from '../queue/job-queue';
import { tracingEnabled } from '../tracing/tracing';
import { ClaimLoop } from './claim-loop';
import { FinishedJobsLog } from './finished-jobs-log';
import { HandlerThreads } from './handler-threads';
import { JobExecutor } from './job-executor';
import { LeaseKeeper } from './lease-keeper';
import { LocalQueue } from './local-queue';
import { type JobsInHand, NO_OBSERVER, type RuntimeObserver } from './runtime-observer';
import { ResultWriter } from './result-writer';
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

/** Idle handler threads kept for the next CPU-bound job. */
const MAX_IDLE_THREADS = 2;

/**
 * One worker process's jobs, as a small state machine:
 * starting → running (the claim loop fills the local queue; the executor runs what fits the free
 * slots; the lease keeper renews everything held; the result writer records outcomes in groups)
 * → stopping (no more claims; prefetched jobs are released at once, running jobs get the grace
 * period, then are aborted and released without spending an attempt) → stopped.
 * The parts split by role, as River's producer, executor and completer: ClaimLoop, JobExecutor,
 * LeaseKeeper and ResultWriter, each with its own one-round entry for tests.
 */
export class WorkerRuntime {
  private state: WorkerState = 'starting';
  /** Claimed, under this worker's lease, waiting for a slot (oldest first). */
  private readonly local: LocalQueue;
  private readonly writer: ResultWriter;
  private readonly threads: HandlerThreads;
  private readonly executor: JobExecutor;
  private readonly claims: ClaimLoop;
  private readonly leases: LeaseKeeper;
  private heartbeat?: NodeJS.Timeout;
  private loopDone?: Promise<void>;

  constructor(
    queue: JobQueue,
    handlers: Readonly<Record<string, JobHandler>>,
    private readonly options: WorkerRuntimeOptions,
    private readonly logger: RuntimeLogger,
    filesOf: (tenantId: string) => JobFiles,
    observer: RuntimeObserver = NO_OBSERVER,
    lifecycle: JobLifecycleLog = NO_LIFECYCLE_LOG,
  ) {
    // Only kept while lifecycle logs or tracing are on: otherwise outcomes are not tracked.
    const finished = lifecycle.enabled || tracingEnabled() ? new FinishedJobsLog(lifecycle) : undefined;
    this.local = new LocalQueue(options.concurrency, options.prefetch);
    this.threads = new HandlerThreads(Math.min(MAX_IDLE_THREADS, options.concurrency));
    this.writer = new ResultWriter(
      queue,
      options.workerId,
      (what, error) => logFailure(logger, `writing job outcomes: ${what}`, error),
      options.backoff,
      finished && {
        written: (outcome, failed) => finished.written(outcome, failed),
        notApplied: (outcome) => finished.dropped(outcome.id),
      },
    );
    this.executor = new JobExecutor(handlers, options, {
      queue,
      writer: this.writer,
      threads: this.threads,
      logger,
      filesOf,
      observer,
      lifecycle,
      finished,
      ran: (ms) => this.local.ran(ms),
    });
    this.claims = new ClaimLoop(
      queue,
      this.local,
      this.writer,
      { running: () => this.executor.size, claimed: () => this.startPrefetched() },
      options,
      observer,
      logger,
    );
    this.leases = new LeaseKeeper(
      queue,
      options.workerId,
      options.leaseSeconds,
      {
        heldIds: () => [...this.executor.ids(), ...this.local.ids(), ...this.writer.heldIds()],
        renewed: (held, sentAt) => this.local.renewed(held, sentAt, options.leaseSeconds),
        lost: (ids) => {
          for (const id of ids) this.executor.takeAway(id, 'lease lost');
          this.local.drop(ids);
        },
      },
      logger,
    );
  }

  get currentState(): WorkerState {
    return this.state;
  }

  inHand(): JobsInHand {
    return {
      running: this.executor.size,
      prefetched: this.local.length,
      unwritten: this.writer.unwritten,
    };
  }

  /** The claim loop's pulse, for the worker's /health. */
  loopHealth(): LoopHealth {
    return { state: this.state, ...this.claims.health() };
  }

  /** Wakes the claim loop early: a NOTIFY arrived (`tenantId`: whose new job it told of) or the local queue ran low. */
  wake(tenantId?: string): void {
    this.claims.wake(tenantId);
  }

  /** A cancelled job this process holds: abort its handler or drop it (the row is already `cancelled`). */
  cancel(jobId: string): void {
    this.executor.takeAway(jobId, 'job cancelled');
    this.local.drop(new Set([jobId]));
  }

  start(): void {
    if (this.state !== 'starting') throw new Error(`cannot start a worker that is ${this.state}`);
    this.state = 'running';
    this.heartbeat = setInterval(() => {
      this.releaseStale();
      void this.leases.runOnce();
    }, this.leases.intervalMs);
    this.loopDone = this.claims.run(() => this.state === 'running');
  }

  async stop(graceMs: number): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.wake();
    await this.loopDone;
    this.release(this.local.takeNewest(Infinity));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>(
      (resolve) => (timer = setTimeout(() => resolve('grace over'), graceMs)),
    );
    if ((await Promise.race([this.executor.allDone(), graceOver])) === 'grace over') {
      this.logger.warn(`grace period over: aborting and releasing ${this.executor.size} job(s)`);
      this.executor.abortAll();
      await this.executor.allDone();
    }
    this.executor.close();
    clearTimeout(timer);
    clearInterval(this.heartbeat);
    await this.threads.close();
    await this.writer.flush();
    this.state = 'stopped';
  }

  /** Fills free slots from the local queue; wakes the claim loop once the queue is half empty. */
  private startPrefetched(): void {
    while (this.executor.size < this.options.concurrency) {
      const job = this.local.next(performance.now(), (skipped) =>
        this.logger.warn(`job ${skipped.id} not started: its lease ran out while it waited`),
      );
      if (!job) break;
      this.executor.start(job, () => this.slotFreed());
    }
    if (this.local.isLow()) this.wake();
    else this.claims.expressClaim(); // one may be waiting for room in the local queue
  }

  private slotFreed(): void {
    if (this.state !== 'running') return this.wake();
    this.releaseStale();
    this.startPrefetched();
  }

  /** Prefetched jobs that waited too long go back to the queue (LocalQueue.takeStale). */
  private releaseStale(): void {
    this.release(this.local.takeStale(performance.now()));
  }

  /** Gives prefetched jobs back to the queue, without spending an attempt. */
  private release(jobs: ClaimedJob[]): void {
    for (const job of jobs) void this.writer.push({ kind: 'release', id: job.id });
  }
}
