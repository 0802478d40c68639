import { Client } from 'pg';

const MAX_RECONNECT_DELAY_MS = 5_000;

export interface PgListenerHandlers {
  onNotification(channel: string, payload: string): void;
  /**
   * After every (re)connect, LISTEN included: notifications sent while disconnected are lost,
   * so whoever relies on them must resynchronise here.
   */
  onConnected(): void;
  onError(error: Error): void;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * One dedicated LISTEN connection (never from a pool: a pooled client would be handed back and
 * its LISTEN lost), reconnecting with backoff whenever it drops.
 */
export class PgListener {
  private client?: Client;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly channels: readonly string[],
    private readonly handlers: PgListenerHandlers,
    private readonly applicationName = 'conveyor-listen',
  ) {
    for (const channel of channels)
      if (!CHANNEL_NAME.test(channel)) throw new Error(`invalid channel name: ${channel}`);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async start(): Promise<void> {
    let delay = 100;
    while (!this.closed) {
      let client: Client | undefined;
      try {
        // Keepalive: a connection silently cut (a NAT or a failover) is noticed and reconnected,
        // instead of waiting forever for notifications that no longer come.
        client = new Client({
          connectionString: this.url,
          application_name: this.applicationName,
          keepAlive: true,
          keepAliveInitialDelayMillis: 10_000,
        });
        client.on('notification', ({ channel, payload }) =>
          this.handlers.onNotification(channel, payload ?? ''),
        );
        client.on('error', (error) => this.handlers.onError(error));
        await client.connect();
        await client.query(this.channels.map((channel) => `LISTEN ${channel}`).join('; '));
        this.client = client;
        // Only an established connection reconnects on end; a failed attempt is retried by this
        // loop (reconnecting from its 'end' too would start a second loop per failure).
        client.on('end', () => {
          if (this.client !== client) return;
          this.client = undefined;
          if (!this.closed) void this.start();
        });
        this.handlers.onConnected();
        return;
      } catch (error) {
        this.handlers.onError(error as Error);
        await client?.end().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
      }
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
