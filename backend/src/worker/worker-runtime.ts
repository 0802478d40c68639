import { type JobContext, type JobFiles, type JobHandler } from '../handlers/job-handler';
import { retryDelayMs, type BackoffOptions } from '../queue/backoff';
import { type ClaimedJob, type JobQueue } from '../queue/job-queue';
import { ResultWriter } from './result-writer';

export type WorkerState = 'starting' | 'running' | 'stopping' | 'stopped';

export interface WorkerRuntimeOptions {
  workerId: string;
  concurrency: number;
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
 * starting → running (claim up to the free slots, sleep until NOTIFY, a freed slot or the
 * jittered poll) → stopping (no more claims; running jobs get the grace period, then are
 * aborted and released without spending an attempt) → stopped.
 */
export class WorkerRuntime {
  private state: WorkerState = 'starting';
  private readonly running = new Map<string, RunningJob>();
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

  /** Wakes the claim loop early: a NOTIFY arrived or a slot was freed. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** A cancelled job this process runs: abort its handler (the row is already `cancelled`). */
  cancel(jobId: string): void {
    this.running.get(jobId)?.controller.abort(new JobTakenAbort('job cancelled'));
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
      const free = this.options.concurrency - this.running.size;
      if (free > 0) {
        try {
          const jobs = await this.queue.claim(this.options.workerId, free, this.options.leaseSeconds);
          fetchFailures = 0;
          for (const job of jobs) this.execute(job);
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

  private execute(job: ClaimedJob): void {
    const controller = new AbortController();
    const done = this.runHandler(job, controller.signal).finally(() => {
      this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, { controller, done });
  }

  /** Every claimed job ends in exactly one outcome: completed, failed (retry or DLQ), or released. */
  private async runHandler(job: ClaimedJob, signal: AbortSignal): Promise<void> {
    const handler = this.handlers[job.type];
    try {
      if (!handler) throw new Error(`no handler for job type "${job.type}"`);
      const result = await handler.run(this.contextFor(job, signal));
      if (signal.aborted) throw signal.reason;
      await this.writer.push({ kind: 'complete', id: job.id, result: result ?? null });
    } catch (error) {
      if (signal.reason instanceof ShutdownAbort) {
        await this.writer.push({ kind: 'release', id: job.id });
        return;
      }
      if (signal.reason instanceof JobTakenAbort) {
        this.logger.log(`job ${job.id} stopped: ${signal.reason.message}`);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      await this.writer.push({
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
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    try {
      const held = new Set(await this.queue.heartbeat(this.options.workerId, ids, this.options.leaseSeconds));
      for (const id of ids) {
        // The rescuer took it (we were too slow): stop working on a job someone else may run.
        if (!held.has(id)) this.running.get(id)?.controller.abort(new JobTakenAbort('lease lost'));
      }
    } catch (error) {
      this.logger.warn(`heartbeat failed: ${(error as Error).message}`);
    }
  }
}
