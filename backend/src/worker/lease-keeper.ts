import { logFailure } from '../logging/log-failure';
import { type JobQueue } from '../queue/job-queue';
import { type RuntimeLogger } from './worker-runtime';

/** What the lease keeper asks of the worker and tells it. */
export interface LeaseHolder {
  /** Every job this worker holds: running, prefetched, and done with its outcome not yet written. */
  heldIds(): string[];
  /** The heartbeat (sent at `sentAt`) renewed these: their leases now run from then. */
  renewed(held: ReadonlySet<string>, sentAt: number): void;
  /** The rescuer took these (this worker was too slow): stop working on jobs someone else may run. */
  lost(ids: ReadonlySet<string>): void;
}

/**
 * Renews the leases of every job the worker holds, in one statement a round; the rescuer
 * returns the jobs of a worker that stops doing so to the queue.
 */
export class LeaseKeeper {
  constructor(
    private readonly queue: JobQueue,
    private readonly workerId: string,
    private readonly leaseSeconds: number,
    private readonly holder: LeaseHolder,
    private readonly logger: RuntimeLogger,
  ) {}

  /** How often a round runs: three chances to renew within a lease. */
  get intervalMs(): number {
    return Math.max(1_000, (this.leaseSeconds * 1000) / 3);
  }

  /** One heartbeat; a failure is logged and the next round tries again. */
  async runOnce(): Promise<void> {
    const ids = this.holder.heldIds();
    if (ids.length === 0) return;
    try {
      const sentAt = performance.now();
      const held = new Set(await this.queue.heartbeat(this.workerId, ids, this.leaseSeconds));
      this.holder.lost(new Set(ids.filter((id) => !held.has(id))));
      this.holder.renewed(held, sentAt);
    } catch (error) {
      logFailure(this.logger, 'heartbeat failed', error);
    }
  }
}
