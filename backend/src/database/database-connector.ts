import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

const PING_TIMEOUT_MS = 2_000;
const MAX_RETRY_DELAY_MS = 5_000;

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/**
 * Connects the DataSource in the background and keeps retrying, so a process started before its
 * database (a pod, a compose service) comes up and reports not-ready on /ready instead of crashing.
 */
@Injectable()
export class DatabaseConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseConnector.name);
  private lastError = 'not connected yet';
  private closing = false;
  private connecting?: Promise<void>;
  private stopWaiting?: () => void;

  constructor(private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.connecting = this.connectWithRetry();
  }

  /** Resolves once connected; used by processes that cannot do anything useful before that. */
  async connected(): Promise<void> {
    await (this.connecting ??= this.connectWithRetry());
  }

  get isConnected(): boolean {
    return this.dataSource.isInitialized;
  }

  async ping(): Promise<void> {
    if (!this.dataSource.isInitialized) throw new DatabaseUnavailableError(this.lastError);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DatabaseUnavailableError(`no answer within ${PING_TIMEOUT_MS} ms`)),
        PING_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) throw error;
      throw new DatabaseUnavailableError((error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.stopWaiting?.();
    await this.connecting?.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private async connectWithRetry(): Promise<void> {
    let delay = 250;
    while (!this.closing && !this.dataSource.isInitialized) {
      try {
        await this.dataSource.initialize();
        this.logger.log('Connected to PostgreSQL');
      } catch (error) {
        this.lastError = `database unreachable: ${(error as Error).message}`;
        this.logger.warn(`${this.lastError}; retrying in ${delay} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.stopWaiting = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
  }
}
