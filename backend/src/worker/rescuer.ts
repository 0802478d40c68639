import { retryDelayMs, type BackoffOptions } from '../queue/backoff';
import { type JobQueue } from '../queue/job-queue';
import { type RuntimeLogger } from './worker-runtime';

const BATCH = 500;

/**
 * Maintenance, apart from the claim loop: returns jobs whose lease expired (their worker was
 * killed or hung) to the queue, or to the DLQ. Every worker runs one; a transaction-scoped
 * advisory lock lets only one of them work at a time cluster-wide.
 */
export class Rescuer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly queue: JobQueue,
    private readonly intervalMs: number,
    private readonly backoff: BackoffOptions,
    private readonly logger: RuntimeLogger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.pass().finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    try {
      const rescued = await this.queue.rescueExpiredExclusively(BATCH, retryDelayMs(1, this.backoff));
      if (rescued && rescued.length > 0) {
        const dead = rescued.filter((job) => job.status === 'dead').length;
        this.logger.warn(`rescued ${rescued.length} job(s) with expired leases (${dead} to the DLQ)`);
      }
    } catch (error) {
      this.logger.warn(`rescue pass failed: ${(error as Error).message}`);
    }
  }
}
