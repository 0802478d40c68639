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
 * The jobs a worker claimed ahead of its free slots, and how many it should hold:
 * the producer side of the worker, apart from the claim loop that fills it and the executor that
 * empties it. No I/O and no clock of its own (every call takes `now`), so its rules are tested
 * directly (local-queue.spec.ts).
 *
 * Short jobs are claimed in batches (as graphile-worker's local queue does): the database is
 * asked again once half of the queue has started, so a claim's round trip and commit are shared
 * by many jobs, and the next batch is on its way while the rest of this one runs.
 *
 * Two lanes, each oldest first: a claimed job of a tenant with nothing waiting here goes to the
 * front lane and starts before the rest, so a tenant's new job does not queue behind another
 * tenant's prefetched batch (docs/fairness.md). One job per tenant can be in front at a time.
 */
export class LocalQueue {
  /** Jobs of tenants that had nothing waiting when they were claimed: started first. */
  private readonly front: PrefetchedJob[] = [];
  /** The rest, in the order claimed. */
  private readonly back: PrefetchedJob[] = [];
  /** Jobs waiting here, by tenant. */
  private readonly waitingByTenant = new Map<string, number>();
  /** Moving average of the run time of handlers that ran to an end; unknown until one has. */
  private runMsAverage?: number;

  constructor(
    private readonly concurrency: number,
    /** WORKER_PREFETCH: the most jobs held ahead of free slots. */
    private readonly maxPrefetch: number,
  ) {}

  get length(): number {
    return this.front.length + this.back.length;
  }

  ids(): string[] {
    return [...this.front, ...this.back].map(({ job }) => job.id);
  }

  /** Some job of this tenant is waiting here for a slot. */
  holds(tenantId: string): boolean {
    return this.waitingByTenant.has(tenantId);
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
    return this.length <= this.prefetchSize() / 2;
  }

  /** How many to claim with `running` jobs on the slots: the free slots plus what the prefetch lacks. */
  wanted(running: number): number {
    return this.concurrency - running + this.prefetchSize() - this.length;
  }

  /** Claimed jobs, in the claim's order (its round robin across tenants). */
  add(jobs: ClaimedJob[], claimedAt: number, leaseSeconds: number): void {
    const leaseUntil = claimedAt + leaseSeconds * 1000;
    for (const job of jobs) {
      const lane = this.holds(job.tenant_id) ? this.back : this.front;
      lane.push({ job, claimedAt, leaseUntil });
      this.counted(job, 1);
    }
  }

  /**
   * The next job (the front lane's oldest, else the back's) whose lease still has LEASE_SECONDS'
   * safety margin at `now`, and the ones passed over because theirs ran out unrenewed (the rescuer
   * may have given them to another worker); undefined when none is left.
   */
  next(now: number, passedOver: (job: ClaimedJob) => void): ClaimedJob | undefined {
    for (let waiting = this.shift(); waiting; waiting = this.shift()) {
      if (now < waiting.leaseUntil - LEASE_SAFETY_MS) return waiting.job;
      passedOver(waiting.job);
    }
    return undefined;
  }

  /** Forgets these jobs (cancelled, or their lease lost). */
  drop(ids: ReadonlySet<string>): void {
    for (const lane of [this.front, this.back])
      for (let i = lane.length - 1; i >= 0; i--)
        if (ids.has(lane[i].job.id)) this.counted(lane.splice(i, 1)[0].job, -1);
  }

  /**
   * The jobs to give back to the queue at `now`: once the oldest has waited RELEASE_AFTER_WAIT_MS,
   * the newest beyond what the current average still justifies (jobs turned out slower than the
   * prefetch was sized for). Judged by the wait itself, not the average: measured run times swell
   * with GC pauses and a busy event loop, and a release and re-claim cost writes and events.
   */
  takeStale(now: number): ClaimedJob[] {
    const oldest = Math.min(this.front[0]?.claimedAt ?? Infinity, this.back[0]?.claimedAt ?? Infinity);
    if (now - oldest < RELEASE_AFTER_WAIT_MS) return [];
    return this.takeNewest(this.length - this.prefetchSize());
  }

  /**
   * Removes the newest `count` jobs of the back lane, then of the front (all for Infinity), and
   * returns them in the order they would have started.
   */
  takeNewest(count: number): ClaimedJob[] {
    if (count <= 0) return [];
    const back = this.back.splice(Math.max(0, this.back.length - count));
    const front = this.front.splice(Math.max(0, this.front.length - (count - back.length)));
    const taken = [...front, ...back].map(({ job }) => job);
    for (const job of taken) this.counted(job, -1);
    return taken;
  }

  /** Their leases were renewed at `sentAt` (the renewal's send time): they run out LEASE_SECONDS later. */
  renewed(held: ReadonlySet<string>, sentAt: number, leaseSeconds: number): void {
    for (const lane of [this.front, this.back])
      for (const waiting of lane)
        if (held.has(waiting.job.id)) waiting.leaseUntil = sentAt + leaseSeconds * 1000;
  }

  private shift(): PrefetchedJob | undefined {
    const waiting = this.front.shift() ?? this.back.shift();
    if (waiting) this.counted(waiting.job, -1);
    return waiting;
  }

  private counted(job: ClaimedJob, change: 1 | -1): void {
    const count = (this.waitingByTenant.get(job.tenant_id) ?? 0) + change;
    if (count > 0) this.waitingByTenant.set(job.tenant_id, count);
    else this.waitingByTenant.delete(job.tenant_id);
  }
}
