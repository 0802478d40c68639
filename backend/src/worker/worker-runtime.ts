import { type JobContext, type JobFiles, type JobHandler } from '../handlers/job-handler';
import { retryDelayMs, type BackoffOptions } from '../queue/backoff';
import { type ClaimedJob, type JobQueue } from '../queue/job-queue';
import { ResultWriter } from './result-writer';

export type WorkerState = 'starting' | 'running' | 'stopping' | 'stopped';

export interface WorkerRuntimeOptions {
  workerId: string;
  concurrency: number;
  /** Most jobs claimed ahead of free slots; see WorkerRuntime.prefetchSize. */
  prefetch: number;
  leaseSeconds: number;
  pollIntervalMs: number;
  backoff: BackoffOptions;
}

export interface RuntimeLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const MAX_FETCH_BACKOFF_MS = 10_000;
const PROGRESS_MIN_INTERVAL_MS = 250;
/** A prefetched job should wait about this long, on average, for a slot of its worker. */
const PREFETCH_WAIT_MS = 20;

class ShutdownAbort extends Error {
  override name = 'ShutdownAbort';
}

/** The job is no longer ours (cancelled, or its lease was rescued): write nothing for it. */
class JobTakenAbort extends Error {
  override name = 'JobTakenAbort';
}

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The claim loop of one worker process, as a small state machine:
 * starting → running (claim up to the free slots plus a prefetch, sleep until NOTIFY, an empty
 * local queue or the jittered poll) → stopping (no more claims; prefetched jobs are released at
 * once, running jobs get the grace period, then are aborted and released without spending an
 * attempt) → stopped.
 *
 * Short jobs are claimed in batches (as graphile-worker's local queue does): claimed jobs wait in
 * a local FIFO for a slot, and the database is asked again only once it is empty, so a claim's
 * round trip and commit are shared by many jobs instead of by the one or two slots that freed.
 */
export class WorkerRuntime {
  private state: WorkerState = 'starting';
  private readonly running = new Map<string, RunningJob>();
  /** Claimed, under this worker's lease, waiting for a slot (oldest first). */
  private readonly prefetched: ClaimedJob[] = [];
  /** Moving average of handler run time; unknown until a job has run. */
  private runMsAverage?: number;
  private readonly writer: ResultWriter;
  private wakeUp?: () => void;
  private woken = false;
  private heartbeat?: NodeJS.Timeout;
  private loopDone?: Promise<void>;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: Readonly<Record<string, JobHandler>>,
    private readonly options: WorkerRuntimeOptions,
    private readonly logger: RuntimeLogger,
    private readonly filesOf: (tenantId: string) => JobFiles,
  ) {
    this.writer = new ResultWriter(queue, options.workerId, (error) =>
      logger.error(`writing job outcomes failed: ${error.message}`),
    );
  }

  get currentState(): WorkerState {
    return this.state;
  }

  /** Wakes the claim loop early: a NOTIFY arrived or the local queue ran dry. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** A cancelled job this process holds: abort its handler or drop it (the row is already `cancelled`). */
  cancel(jobId: string): void {
    this.running.get(jobId)?.controller.abort(new JobTakenAbort('job cancelled'));
    this.dropPrefetched(new Set([jobId]));
  }

  start(): void {
    if (this.state !== 'starting') throw new Error(`cannot start a worker that is ${this.state}`);
    this.state = 'running';
    const every = Math.max(1_000, (this.options.leaseSeconds * 1000) / 3);
    this.heartbeat = setInterval(() => void this.renewLeases(), every);
    this.loopDone = this.claimLoop();
  }

  async stop(graceMs: number): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.wake();
    await this.loopDone;
    for (const job of this.prefetched.splice(0)) void this.writer.push({ kind: 'release', id: job.id });
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
    await this.writer.flush();
    this.state = 'stopped';
  }

  private async claimLoop(): Promise<void> {
    let fetchFailures = 0;
    while (this.state === 'running') {
      this.woken = false;
      // Outcomes are written behind the handlers; a backlog of them (a slow or absent database)
      // holds back new claims, so that finished but unrecorded jobs stay bounded.
      if (this.writer.unwritten >= this.options.concurrency + this.options.prefetch)
        await this.writer.flush();
      const free = this.options.concurrency - this.running.size;
      if (free > 0 && this.prefetched.length === 0) {
        try {
          const limit = free + this.prefetchSize();
          const jobs = await this.queue.claim(this.options.workerId, limit, this.options.leaseSeconds);
          fetchFailures = 0;
          this.prefetched.push(...jobs);
          this.startPrefetched();
          // Some ready: claim again at once (a claim can return fewer than free when tenants' shares or
          // caps cut it short, while other tenants still have work).
          if (jobs.length > 0) continue;
        } catch (error) {
          fetchFailures++;
          const delay = Math.min(MAX_FETCH_BACKOFF_MS, 100 * 2 ** fetchFailures);
          this.logger.warn(`claim failed (${(error as Error).message}); retrying in ${delay} ms`);
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

  /**
   * Jobs claimed ahead of free slots: as many as keep a prefetched job's expected wait near
   * PREFETCH_WAIT_MS at the handlers' average run time, at most the configured prefetch. Fast
   * jobs get deep batches; jobs of seconds get none, so no job waits behind a slow one here
   * while another worker idles.
   */
  private prefetchSize(): number {
    if (this.runMsAverage === undefined) return 0;
    const fits = (this.options.concurrency * PREFETCH_WAIT_MS) / Math.max(this.runMsAverage, 0.01);
    return Math.min(this.options.prefetch, Math.floor(fits));
  }

  /** Fills free slots from the local queue; wakes the claim loop once the queue is empty. */
  private startPrefetched(): void {
    while (this.running.size < this.options.concurrency && this.prefetched.length > 0)
      this.execute(this.prefetched.shift()!);
    if (this.prefetched.length === 0) this.wake();
  }

  private dropPrefetched(ids: ReadonlySet<string>): void {
    for (let i = this.prefetched.length - 1; i >= 0; i--)
      if (ids.has(this.prefetched[i].id)) this.prefetched.splice(i, 1);
  }

  private execute(job: ClaimedJob): void {
    const controller = new AbortController();
    const started = performance.now();
    const done = this.runHandler(job, controller.signal).finally(() => {
      const ms = performance.now() - started;
      this.runMsAverage = this.runMsAverage === undefined ? ms : this.runMsAverage * 0.9 + ms * 0.1;
      this.running.delete(job.id);
      if (this.state === 'running') this.startPrefetched();
      else this.wake();
    });
    this.running.set(job.id, { controller, done });
  }

  /**
   * Every claimed job ends in exactly one outcome: completed, failed (retry or DLQ), or released.
   * The slot is free once the handler returns: its outcome goes to the writer and is written with
   * the outcomes of other slots (the job stays `running` under this worker's lease until then).
   */
  private async runHandler(job: ClaimedJob, signal: AbortSignal): Promise<void> {
    const handler = this.handlers[job.type];
    try {
      if (!handler) throw new Error(`no handler for job type "${job.type}"`);
      const result = await handler.run(this.contextFor(job, signal));
      if (signal.aborted) throw signal.reason;
      void this.writer.push({ kind: 'complete', id: job.id, result: result ?? null });
    } catch (error) {
      if (signal.reason instanceof ShutdownAbort) {
        void this.writer.push({ kind: 'release', id: job.id });
        return;
      }
      if (signal.reason instanceof JobTakenAbort) {
        this.logger.log(`job ${job.id} stopped: ${signal.reason.message}`);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      void this.writer.push({
        kind: 'fail',
        id: job.id,
        error: message.slice(0, 2000),
        retryDelayMs: retryDelayMs(job.attempts, this.options.backoff),
      });
    }
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

  private async renewLeases(): Promise<void> {
    const ids = [...this.running.keys(), ...this.prefetched.map((job) => job.id)];
    if (ids.length === 0) return;
    try {
      const held = new Set(await this.queue.heartbeat(this.options.workerId, ids, this.options.leaseSeconds));
      const lost = new Set(ids.filter((id) => !held.has(id)));
      // The rescuer took it (we were too slow): stop working on a job someone else may run.
      for (const id of lost) this.running.get(id)?.controller.abort(new JobTakenAbort('lease lost'));
      this.dropPrefetched(lost);
    } catch (error) {
      this.logger.warn(`heartbeat failed: ${(error as Error).message}`);
    }
  }
}
