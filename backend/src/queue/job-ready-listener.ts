import { Client } from 'pg';
import { JOB_READY_CHANNEL } from './queue.sql';

const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * One dedicated LISTEN connection (never from the pool: a pooled client would be handed back
 * and its LISTEN lost). Reconnects with backoff; after a reconnect it calls onReady once, since
 * notifications sent while it was away are gone.
 */
export class JobReadyListener {
  private client?: Client;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly onReady: () => void,
    private readonly onError: (error: Error) => void,
  ) {}

  async start(): Promise<void> {
    let delay = 100;
    while (!this.closed) {
      try {
        const client = new Client({ connectionString: this.url, application_name: 'conveyor-listen' });
        client.on('notification', () => this.onReady());
        client.on('error', (error) => this.onError(error));
        client.on('end', () => {
          if (!this.closed) void this.start();
        });
        await client.connect();
        await client.query(`LISTEN ${JOB_READY_CHANNEL}`);
        this.client = client;
        this.onReady();
        return;
      } catch (error) {
        this.onError(error as Error);
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
