import { type JobLifecycleLog, NO_LIFECYCLE_LOG } from '../logging/job-lifecycle';
import { type BackoffOptions } from '../queue/backoff';
import { type JobQueue } from '../queue/job-queue';
import { WORKERS_PRUNE_LOCK_KEY, workerPruneStale } from '../workers/workers.sql';
import { type RuntimeLogger } from './worker-runtime';
import { logFailure } from '../logging/log-failure';

const RESCUE_BATCH = 500;
const PRUNE_BATCH = 1_000;
const PROMOTE_BATCH = 1_000;
/** What jobRescueExpired records as the attempt's error. */
const RESCUED_ERROR = 'lease expired: the worker stopped heartbeating';

/** One maintenance task on its own interval; a pass never overlaps the previous one. */
class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    readonly name: MaintenanceTask,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
    private readonly logger: RuntimeLogger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .catch((error: unknown) => logFailure(this.logger, `${this.name} pass failed`, error))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  /** One pass now, after the one in flight if any; its failure is the caller's. */
  async runOnce(): Promise<void> {
    await this.running;
    await this.pass();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

export type MaintenanceTask = 'promoter' | 'rescuer' | 'roller' | 'pruner' | 'workers registry pruner';

export interface MaintenanceOptions {
  rescueIntervalMs: number;
  promoteIntervalMs: number;
  pruneIntervalMs: number;
  rollIntervalMs: number;
  retentionDays: number;
  backoff: BackoffOptions;
  /** Workers registry rows not refreshed for this long are pruned (by the lock holder). */
  workersStaleSeconds: number;
  workersPruneIntervalMs: number;
}

/** What maintenance reports (WorkerMetrics counts rescues); the default reports nowhere. */
export interface MaintenanceObserver {
  rescued(retried: number, dead: number): void;
}

/**
 * Maintenance, apart from the claim loop (as River's maintenance services are): the promoter
 * makes scheduled jobs and retries runnable once due; the rescuer
 * returns jobs whose lease expired (their worker was killed or hung) to the queue or the DLQ;
 * the roller folds job transitions into the counters and per-minute metrics; the pruner deletes
 * finished jobs past retention; the registry pruner deletes the rows of workers that stopped
 * heartbeating. Every worker runs all five; an advisory lock
 * per task lets only one process work on it at a time cluster-wide.
 */
export class Maintenance {
  private readonly tasks: PeriodicTask[];

  constructor(
    queue: JobQueue,
    options: MaintenanceOptions,
    logger: RuntimeLogger,
    observer: MaintenanceObserver = { rescued: () => undefined },
    lifecycle: JobLifecycleLog = NO_LIFECYCLE_LOG,
  ) {
    this.tasks = [
      new PeriodicTask(
        'promoter',
        options.promoteIntervalMs,
        async () => {
          let promoted: number | null;
          do promoted = await queue.promoteDueExclusively(PROMOTE_BATCH);
          while (promoted === PROMOTE_BATCH);
        },
        logger,
      ),
      new PeriodicTask(
        'rescuer',
        options.rescueIntervalMs,
        async () => {
          const rescued = await queue.rescueExpiredExclusively(RESCUE_BATCH, options.backoff);
          if (rescued === null) return; // another process holds the rescuer's lock
          for (const job of rescued) {
            lifecycle.log('failed', job, { error: RESCUED_ERROR });
            if (job.status === 'dead') lifecycle.log('dead', job);
            else
              lifecycle.log('retry_scheduled', job, {
                // Each job waits its own attempt's backoff (jobRescueExpired), counted from now.
                delay_ms: Math.max(0, new Date(job.run_at).getTime() - Date.now()),
                run_at: new Date(job.run_at).toISOString(),
              });
          }
          if (rescued.length > 0) {
            const dead = rescued.filter((job) => job.status === 'dead').length;
            observer.rescued(rescued.length - dead, dead);
            logger.warn(`rescued ${rescued.length} job(s) with expired leases (${dead} to the DLQ)`);
          }
          const recounted = await queue.recountTenantSlots(null);
          if (recounted.length > 0)
            logger.warn(`re-counted running jobs of ${recounted.length} capped tenant(s)`);
        },
        logger,
      ),
      new PeriodicTask(
        'roller',
        options.rollIntervalMs,
        async () => {
          await queue.rollCountsExclusively();
        },
        logger,
      ),
      new PeriodicTask(
        'pruner',
        options.pruneIntervalMs,
        async () => {
          let deleted: number | null;
          do deleted = await queue.pruneFinishedExclusively(options.retentionDays, PRUNE_BATCH);
          while (deleted === PRUNE_BATCH);
          // Rollups too: every queue name a tenant ever used would otherwise keep its rows forever.
          do deleted = await queue.pruneRollupsExclusively(options.retentionDays, PRUNE_BATCH);
          while (deleted === PRUNE_BATCH);
        },
        logger,
      ),
      new PeriodicTask(
        'workers registry pruner',
        options.workersPruneIntervalMs,
        async () => {
          const pruned = await queue.runExclusively<{ id: string }>(
            WORKERS_PRUNE_LOCK_KEY,
            workerPruneStale(options.workersStaleSeconds),
          );
          if (pruned && pruned.length > 0)
            logger.warn(
              `pruned ${pruned.length} stale worker(s) from the registry: ${pruned.map((w) => w.id).join(', ')}`,
            );
        },
        logger,
      ),
    ];
  }

  start(): void {
    for (const task of this.tasks) task.start();
  }

  /** One pass of one task, now (tests and tools; the started tasks run on their intervals). */
  runOnce(name: MaintenanceTask): Promise<void> {
    return this.tasks.find((task) => task.name === name)!.runOnce();
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.stop()));
  }
}
