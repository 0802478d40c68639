import { logFailure } from '../logging/log-failure';
import { type ClaimedJob, type JobQueue } from '../queue/job-queue';
import { type LocalQueue } from './local-queue';
import { type ResultWriter } from './result-writer';
import { type RuntimeObserver } from './runtime-observer';
import { type RuntimeLogger } from './worker-runtime';

const MAX_FETCH_BACKOFF_MS = 10_000;

export interface ClaimLoopOptions {
  workerId: string;
  concurrency: number;
  prefetch: number;
  leaseSeconds: number;
  pollIntervalMs: number;
  /** Most jobs one tenant may hold while another has work ready (see FleetShare); null: no limit. */
  tenantSlots?: () => number | null;
}

/** What the claim loop asks of the worker and tells it. */
export interface ClaimTarget {
  /** Jobs running now (the local queue sizes a claim by the slots they leave). */
  running(): number;
  /** A claim added jobs to the local queue (possibly none): start what fits the free slots. */
  claimed(): void;
}

/** The claim loop's pulse (see ClaimLoop.health). */
export interface ClaimPulse {
  /** Since the loop last went round (claimed, or went to sleep on its own timer). */
  lastTickMsAgo: number;
  /** How long the loop has been waiting on the database right now; 0 when it is not. */
  waitingMs: number;
}

/**
 * The producer: claims jobs into the local queue while it is low and slots are free, then sleeps
 * until NOTIFY, a half empty local queue (wake) or the jittered poll. Short jobs are claimed in
 * batches (as graphile-worker's local queue does), so that a claim's round trip and commit are
 * shared by many jobs, and the next batch is on its way while the rest of this one runs (the
 * queue benchmark: refilling only an empty queue drained ~8,000 jobs/s here, refilling at half
 * 11,000-14,500).
 */
export class ClaimLoop {
  private wakeUp?: () => void;
  private woken = false;
  /** A tenant none of whose jobs waits here has a new one: claimed by an express claim (wake). */
  private newWorkOf?: string;
  private express?: Promise<void>;
  /** Jobs asked for by the claims under way (the loop's and an express one): not yet in the local queue. */
  private asked = 0;
  /** run()'s `running`, while it goes round: express claims start only then. */
  private running: () => boolean = () => false;
  private lastTickAt = performance.now();
  /** Set while the loop awaits a claim: a claim that never returns is the one way the loop can hang. */
  private claimingSince?: number;

  constructor(
    private readonly queue: JobQueue,
    private readonly local: LocalQueue,
    private readonly writer: ResultWriter,
    private readonly target: ClaimTarget,
    private readonly options: ClaimLoopOptions,
    private readonly observer: RuntimeObserver,
    private readonly logger: RuntimeLogger,
  ) {}

  /**
   * Asleep on its own timer the loop is fine however long the sleep (polls and fetch backoff last
   * up to ~10 s); stuck in a claim it is not.
   */
  health(): ClaimPulse {
    const now = performance.now();
    return {
      lastTickMsAgo: Math.round(now - this.lastTickAt),
      waitingMs: this.claimingSince === undefined ? 0 : Math.round(now - this.claimingSince),
    };
  }

  /**
   * Ends the current sleep, or the next one before it starts. `tenantId`: the tenant whose new job
   * woke it. When none of that tenant's jobs waits in the local queue, the next claim's walk of
   * tenants starts with it; and unless the loop is idle (nothing held, no claim under way: its own
   * claim is next), an express claim starts at once beside it (expressClaim), so that the job is
   * not left behind another tenant's prefetched batch until the local queue runs low.
   */
  wake(tenantId?: string): void {
    if (tenantId !== undefined && this.newWorkOf === undefined && !this.local.holds(tenantId))
      this.newWorkOf = tenantId;
    this.expressClaim();
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * The claim for a tenant's new job (wake), when one is waiting and none is under way: a small
   * claim whose walk of tenants starts with that tenant, of at most `concurrency` jobs and what
   * the local queue has room for beside the loop's claim under way (none when it is full: the
   * worker calls this again as jobs start). Counting both, the worker never holds more than its
   * free slots and prefetch: jobs claimed past them would take slots the fleet share meant for
   * other tenants. A failed one is only logged: the job stays in the queue for the next claim.
   * See docs/fairness.md.
   */
  expressClaim(): void {
    const tenantId = this.newWorkOf;
    if (tenantId === undefined || this.express || !this.running()) return;
    // An idle loop (nothing here, no claim under way) claims at once, its walk starting with this tenant.
    if (this.claimingSince === undefined && this.local.length === 0) return;
    const limit = Math.min(this.room(), this.options.concurrency);
    if (limit <= 0) return;
    this.newWorkOf = undefined;
    this.express = this.claimInto(limit, tenantId)
      .then(
        () => {
          // Stopping meanwhile: stop() releases them with the rest.
          if (this.running()) this.target.claimed();
        },
        (error: unknown) => logFailure(this.logger, 'express claim failed', error),
      )
      .finally(() => (this.express = undefined));
  }

  /**
   * One claim, if one is due (the local queue low and a slot free for it): the number of jobs it
   * added to the local queue, or undefined when none was due. A failed claim throws.
   */
  async claimOnce(): Promise<number | undefined> {
    const limit = this.room();
    if (limit <= 0 || !this.local.isLow()) return undefined;
    this.claimingSince = performance.now();
    const first = this.newWorkOf;
    this.newWorkOf = undefined;
    return this.claimInto(limit, first).finally(() => (this.claimingSince = undefined));
  }

  /**
   * Claims up to `limit` jobs into the local queue, the walk of tenants starting with `first` when
   * given; the number added. What it asked for counts against the room (room()) until its jobs
   * land, in the same turn: no claim counts them twice, or not at all.
   */
  private async claimInto(limit: number, first: string | undefined): Promise<number> {
    const claimedAt = performance.now();
    const { workerId, leaseSeconds, tenantSlots } = this.options;
    this.asked += limit;
    let jobs: ClaimedJob[];
    try {
      jobs = await this.queue.claim(workerId, limit, leaseSeconds, tenantSlots?.() ?? null, first);
    } finally {
      this.asked -= limit;
    }
    this.observer.claimed((performance.now() - claimedAt) / 1000, jobs.length);
    this.local.add(jobs, claimedAt, leaseSeconds);
    return jobs.length;
  }

  /** Jobs a claim may ask for now: the free slots and prefetch the local queue lacks, less what claims under way asked. */
  private room(): number {
    return this.local.wanted(this.target.running()) - this.asked;
  }

  /**
   * Goes round until `running` says no, then waits for an express claim under way; stop() waits
   * for it, then releases the local queue.
   */
  async run(running: () => boolean): Promise<void> {
    this.running = running;
    try {
      await this.loop(running);
    } finally {
      this.running = () => false;
      await this.express;
    }
  }

  private async loop(running: () => boolean): Promise<void> {
    let fetchFailures = 0;
    while (running()) {
      this.woken = false;
      this.lastTickAt = performance.now();
      // Outcomes are written behind the handlers; a backlog of them (a slow or absent database)
      // holds back new claims, so that finished but unrecorded jobs stay bounded.
      // stop() ends the wait: the backlog is flushed once more when the worker has stopped.
      if (this.writer.unwritten >= this.options.concurrency + this.options.prefetch) {
        // The flush wakes the sleep, so that no stale sleep outlives this wait.
        const flushed = this.writer.flush().then(() => this.wake());
        await Promise.race([flushed, this.sleep(this.options.pollIntervalMs)]);
        continue;
      }
      let claimed: number | undefined;
      try {
        claimed = await this.claimOnce();
        fetchFailures = 0;
      } catch (error) {
        fetchFailures++;
        const delay = Math.min(MAX_FETCH_BACKOFF_MS, 100 * 2 ** fetchFailures);
        logFailure(this.logger, `claim failed, retrying in ${delay} ms`, error);
        await this.sleep(delay); // stop() or a NOTIFY (the database is back) ends it early
        continue;
      }
      if (claimed !== undefined) {
        // Stopping meanwhile: stop() releases them all.
        if (!running()) break;
        // Starting jobs wakes the loop when the local queue is low, which after an empty claim it
        // always is: keep only a wake-up that came from outside (a NOTIFY during the claim), or an
        // idle worker claims in a tight loop instead of sleeping.
        const wokenMeanwhile = this.woken;
        this.target.claimed();
        // Some ready: claim again at once (a claim can return fewer than free when tenants'
        // shares or caps cut it short, while other tenants still have work).
        if (claimed > 0) continue;
        this.woken = wokenMeanwhile;
      }
      await this.sleep(this.options.pollIntervalMs * (0.75 + Math.random() * 0.5));
    }
  }

  /** A sleep that wake() ends early. */
  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).then(() => {
      this.wakeUp = undefined;
    });
  }
}
