import { type ClaimedJob } from '../queue/job-queue';

/** A prefetched job should wait about this long, on average, for a slot of its worker. */
export const PREFETCH_WAIT_MS = 20;
/** Once the oldest prefetched job has waited this long for a slot, the excess goes back to the queue. */
export const RELEASE_AFTER_WAIT_MS = 1_000;
/** A prefetched job whose lease ends sooner than this is not started: it may be another's by then. */
export const LEASE_SAFETY_MS = 1_000;

/** A claimed job waiting for a slot, with the local time its lease (as last renewed) runs out. */
interface PrefetchedJob {
  job: ClaimedJob;
  claimedAt: number;
  leaseUntil: number;
}

/**
 * The jobs a worker claimed ahead of its free slots, oldest first, and how many it should hold:
 * the producer side of the worker, apart from the claim loop that fills it and the executor that
 * empties it. No I/O and no clock of its own (every call takes `now`), so its rules are tested
 * directly (local-queue.spec.ts).
 *
 * Short jobs are claimed in batches (as graphile-worker's local queue does): the database is
 * asked again once half of the queue has started, so a claim's round trip and commit are shared
 * by many jobs, and the next batch is on its way while the rest of this one runs.
 */
export class LocalQueue {
  private readonly jobs: PrefetchedJob[] = [];
  /** Moving average of the run time of handlers that ran to an end; unknown until one has. */
  private runMsAverage?: number;

  constructor(
    private readonly concurrency: number,
    /** WORKER_PREFETCH: the most jobs held ahead of free slots. */
    private readonly maxPrefetch: number,
  ) {}

  get length(): number {
    return this.jobs.length;
  }

  ids(): string[] {
    return this.jobs.map(({ job }) => job.id);
  }

  /** A handler ran to its end in `ms`: the prefetch is sized on the average. */
  ran(ms: number): void {
    this.runMsAverage = this.runMsAverage === undefined ? ms : this.runMsAverage * 0.9 + ms * 0.1;
  }

  /**
   * Jobs to hold ahead of free slots: as many as keep a prefetched job's expected wait near
   * PREFETCH_WAIT_MS at the handlers' average run time, at most the configured prefetch. Fast
   * jobs get deep batches; jobs of seconds get none, so no job waits here behind a slow one while
   * another worker idles; before any job has run, none.
   */
  prefetchSize(): number {
    if (this.runMsAverage === undefined) return 0;
    const fits = (this.concurrency * PREFETCH_WAIT_MS) / Math.max(this.runMsAverage, 0.01);
    return Math.min(this.maxPrefetch, Math.floor(fits));
  }

  /** Half or less of the prefetch is left: time for the next claim. */
  isLow(): boolean {
    return this.jobs.length <= this.prefetchSize() / 2;
  }

  /** How many to claim with `running` jobs on the slots: the free slots plus what the prefetch lacks. */
  wanted(running: number): number {
    return this.concurrency - running + this.prefetchSize() - this.jobs.length;
  }

  add(jobs: ClaimedJob[], claimedAt: number, leaseSeconds: number): void {
    const leaseUntil = claimedAt + leaseSeconds * 1000;
    for (const job of jobs) this.jobs.push({ job, claimedAt, leaseUntil });
  }

  /**
   * The oldest job whose lease still has LEASE_SECONDS' safety margin at `now`, and the ones
   * passed over because theirs ran out unrenewed (the rescuer may have given them to another
   * worker); undefined when none is left.
   */
  next(now: number, passedOver: (job: ClaimedJob) => void): ClaimedJob | undefined {
    for (let waiting = this.jobs.shift(); waiting; waiting = this.jobs.shift()) {
      if (now < waiting.leaseUntil - LEASE_SAFETY_MS) return waiting.job;
      passedOver(waiting.job);
    }
    return undefined;
  }

  /** Forgets these jobs (cancelled, or their lease lost). */
  drop(ids: ReadonlySet<string>): void {
    for (let i = this.jobs.length - 1; i >= 0; i--) if (ids.has(this.jobs[i].job.id)) this.jobs.splice(i, 1);
  }

  /**
   * The jobs to give back to the queue at `now`: once the oldest has waited RELEASE_AFTER_WAIT_MS,
   * the newest beyond what the current average still justifies (jobs turned out slower than the
   * prefetch was sized for). Judged by the wait itself, not the average: measured run times swell
   * with GC pauses and a busy event loop, and a release and re-claim cost writes and events.
   */
  takeStale(now: number): ClaimedJob[] {
    const oldest = this.jobs[0];
    if (!oldest || now - oldest.claimedAt < RELEASE_AFTER_WAIT_MS) return [];
    return this.takeNewest(this.jobs.length - this.prefetchSize());
  }

  /** Removes and returns the newest `count` jobs (all of them for Infinity). */
  takeNewest(count: number): ClaimedJob[] {
    if (count <= 0) return [];
    return this.jobs.splice(Math.max(0, this.jobs.length - count)).map(({ job }) => job);
  }

  /** Their leases were renewed at `sentAt` (the renewal's send time): they run out LEASE_SECONDS later. */
  renewed(held: ReadonlySet<string>, sentAt: number, leaseSeconds: number): void {
    for (const waiting of this.jobs)
      if (held.has(waiting.job.id)) waiting.leaseUntil = sentAt + leaseSeconds * 1000;
  }
}
