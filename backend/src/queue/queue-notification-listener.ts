import { Client } from 'pg';
import { JOB_CANCEL_CHANNEL, JOB_READY_CHANNEL } from './queue.sql';

const MAX_RECONNECT_DELAY_MS = 5_000;

export interface QueueNotificationHandlers {
  /** New work may be ready; also called after every (re)connect, since notifications sent meanwhile are lost. */
  onJobReady(): void;
  onJobCancelled(jobId: string): void;
}

/**
 * One dedicated LISTEN connection (never from the pool: a pooled client would be handed back
 * and its LISTEN lost), reconnecting with backoff when it drops.
 */
export class QueueNotificationListener {
  private client?: Client;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly handlers: QueueNotificationHandlers,
    private readonly onError: (error: Error) => void,
  ) {}

  async start(): Promise<void> {
    let delay = 100;
    while (!this.closed) {
      let client: Client | undefined;
      try {
        client = new Client({ connectionString: this.url, application_name: 'conveyor-listen' });
        client.on('notification', ({ channel, payload }) => {
          if (channel === JOB_CANCEL_CHANNEL && payload) this.handlers.onJobCancelled(payload);
          else this.handlers.onJobReady();
        });
        client.on('error', (error) => this.onError(error));
        await client.connect();
        await client.query(`LISTEN ${JOB_READY_CHANNEL}; LISTEN ${JOB_CANCEL_CHANNEL}`);
        this.client = client;
        // Only an established connection reconnects on end; a failed attempt is retried by this
        // loop (reconnecting from its 'end' too would start a second loop per failure).
        client.on('end', () => {
          if (!this.closed && this.client === client) void this.start();
        });
        this.handlers.onJobReady();
        return;
      } catch (error) {
        this.onError(error as Error);
        await client?.end().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
      }
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
