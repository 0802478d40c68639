import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { PgListener } from './pg-listener';

type Handler = (payload: string) => void;

/**
 * The process's one dedicated LISTEN connection, shared by every module that follows a
 * PostgreSQL channel (key revocations, job events). Modules subscribe while the app is being
 * built; the connection opens at bootstrap, only if anyone subscribed, and reconnects with
 * backoff. After every (re)connect `onConnected` handlers run: what was sent meanwhile is lost.
 */
@Injectable()
export class NotificationBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationBus.name);
  private readonly handlers = new Map<string, Handler[]>();
  private readonly connectedHandlers: Array<() => void> = [];
  private listener?: PgListener;

  constructor(private readonly config: AppConfig) {}

  subscribe(channel: string, handler: Handler): void {
    if (this.listener) throw new Error(`subscribe to ${channel} before the application starts`);
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  onConnected(handler: () => void): void {
    this.connectedHandlers.push(handler);
  }

  /** False while (re)connecting: notifications may be missed, so caches must not be trusted. */
  get connected(): boolean {
    return this.listener?.connected ?? false;
  }

  onApplicationBootstrap(): void {
    if (this.handlers.size === 0) return;
    this.listener = new PgListener(
      this.config.DATABASE_URL!,
      [...this.handlers.keys()],
      {
        onNotification: (channel, payload) => {
          for (const handler of this.handlers.get(channel) ?? []) handler(payload);
        },
        onConnected: () => {
          for (const handler of this.connectedHandlers) handler();
        },
        onError: (error) => this.logger.warn(`LISTEN connection: ${error.message}`),
      },
      'conveyor-api-listen',
    );
    // Not awaited: it retries until the database answers, and the API serves /health meanwhile.
    void this.listener.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
  }
}
