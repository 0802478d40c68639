import { type Pool } from 'pg';
import { workerBeat, workerLeave } from '../workers/workers.sql';
import { type RuntimeLogger } from './worker-runtime';
import { logFailure } from '../logging/log-failure';

export interface RegistryEntry {
  id: string;
  host: string;
  pid: number;
  version: string;
  concurrency: number;
}

/**
 * Keeps this worker's row in the workers registry fresh: a beat at start, then every
 * `heartbeatSeconds` (jobs in hand with it), and the row deleted on a clean stop. A beat that
 * fails (database away) is only logged: the next one recreates the row.
 */
export class WorkerRegistry {
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly entry: RegistryEntry,
    private readonly jobsInHand: () => number,
    private readonly options: { heartbeatSeconds: number; staleSeconds: number },
    private readonly logger: RuntimeLogger,
  ) {}

  /** Resolves once the first beat is written (or has failed, and been logged). */
  start(): Promise<void> {
    const first = this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatSeconds * 1000);
    return first;
  }

  private beat(): Promise<void> {
    return (this.beating ??= this.pool
      .query(workerBeat(this.entry, this.jobsInHand(), this.options.staleSeconds))
      .then(
        () => undefined,
        (error: unknown) => logFailure(this.logger, 'workers registry heartbeat failed', error),
      )
      .finally(() => (this.beating = undefined)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.pool
      .query(workerLeave(this.entry.id))
      .catch((error: unknown) => logFailure(this.logger, 'could not leave the workers registry', error));
  }
}
