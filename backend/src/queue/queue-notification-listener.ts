import { UUID } from '../common/uuid';
import { PgListener } from '../database/pg-listener';
import { JOB_CANCEL_CHANNEL, JOB_READY_CHANNEL } from './queue.sql';

export interface QueueNotificationHandlers {
  /**
   * New work may be ready; also called after every (re)connect, since notifications sent meanwhile
   * are lost. `tenantId`: the tenant whose submitted or requeued jobs are ready, when one was named.
   */
  onJobReady(tenantId?: string): void;
  onJobCancelled(jobId: string): void;
}

/** A worker's LISTEN connection: new work is ready, or a job it may hold was cancelled. */
export class QueueNotificationListener {
  private readonly listener: PgListener;

  constructor(url: string, handlers: QueueNotificationHandlers, onError: (error: Error) => void) {
    this.listener = new PgListener(url, [JOB_READY_CHANNEL, JOB_CANCEL_CHANNEL], {
      onNotification: (channel, payload) => {
        if (channel === JOB_CANCEL_CHANNEL && payload) handlers.onJobCancelled(payload);
        // A payload that names no tenant (the promoter's empty one) only wakes.
        else handlers.onJobReady(UUID.test(payload) ? payload : undefined);
      },
      onConnected: () => handlers.onJobReady(),
      onError,
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }
}
