import { type Pool } from 'pg';
import { workerFleetSlots } from '../workers/workers.sql';
import { type RuntimeLogger } from './worker-runtime';
import { logFailure } from '../logging/log-failure';

export interface FleetShareOptions {
  /** TENANT_MAX_SHARE: the fraction of the live fleet's slots one tenant may hold while others wait. */
  share: number;
  selfId: string;
  selfConcurrency: number;
  staleSeconds: number;
  refreshSeconds: number;
}

/**
 * How many jobs one tenant may hold while another tenant has work ready: TENANT_MAX_SHARE of
 * the live fleet's slots (the summed concurrency of live workers in the registry), at least one.
 * The fleet is read on a timer, every `refreshSeconds`, never per claim: the claim path stays one
 * statement and the registry table is read a few times a minute per worker.
 */
export class FleetShare {
  private fleetSlots?: number;
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: FleetShareOptions,
    private readonly logger: RuntimeLogger,
  ) {}

  /** Does nothing once stopped: a start that was waiting for the registry's first beat comes too late. */
  start(): void {
    if (this.options.share >= 1 || this.stopped) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.options.refreshSeconds * 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reading;
  }

  /**
   * Null (no limit) with a share of 1, and until the fleet was first read: a worker that cannot
   * see the registry keeps claiming rather than idling slots on a guess.
   */
  tenantSlots(): number | null {
    if (this.options.share >= 1 || this.fleetSlots === undefined) return null;
    return Math.max(1, Math.floor(this.options.share * this.fleetSlots));
  }

  private refresh(): void {
    const { staleSeconds, selfId, selfConcurrency } = this.options;
    this.reading ??= this.pool
      .query<{ slots: number }>(workerFleetSlots(staleSeconds, selfId, selfConcurrency))
      .then(
        ({ rows }) => void (this.fleetSlots = rows[0].slots),
        // The last figure stays in force: the fleet rarely changes while the database is away.
        (error: unknown) => logFailure(this.logger, "reading the fleet's slots failed", error),
      )
      .finally(() => (this.reading = undefined));
  }
}
