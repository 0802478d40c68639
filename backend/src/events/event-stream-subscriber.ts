import { type ServerResponse } from 'node:http';
import { type AuthContext } from '../auth/auth-context';
import { type ResyncEvent } from '../../../contracts/src/event-map';
import { type EventBatch } from './event-batch';
import { type Backlog, backlogOfBytes, type EventSubscriber } from './event-subscriber';
import { plainResyncJson, sseFrame, sseFrameOf } from './plain-event-messages';

/** What an EventSource waits before reconnecting after the stream ends (the SSE `retry:` field). */
const RECONNECT_MS = 3_000;

/**
 * An SSE stream of GET /api/v1/events: one `id:`/`event:`/`data:` block per event, a comment
 * every heartbeat so that proxies and load balancers see traffic on an idle stream.
 */
export class EventStreamSubscriber implements EventSubscriber {
  readonly rooms = new Set<string>();
  dropping = false;
  replayedUpTo = 0;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly response: ServerResponse,
    readonly auth: AuthContext,
    /** The id a resync carries: the latest event's, so that a reconnect from it replays what follows. */
    private readonly headId: () => string,
  ) {}

  /** Sends the headers at once (curl -N shows the stream open) and starts the heartbeat. */
  start(heartbeatMs: number): void {
    const { response } = this;
    response.statusCode = 200;
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    // no-transform: no proxy may compress (and so buffer) it; X-Accel-Buffering: nginx must not buffer it.
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('X-Accel-Buffering', 'no');
    response.setHeader('Connection', 'keep-alive');
    response.flushHeaders();
    response.socket?.setNoDelay(true);
    this.write(`: connected\nretry: ${RECONNECT_MS}\n\n`);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs);
  }

  stop(): void {
    clearInterval(this.heartbeat);
  }

  backlog(): Backlog {
    return backlogOfBytes(this.response.writableLength);
  }

  sendEvents(batch: EventBatch): void {
    this.write(batch.items.map(sseFrameOf).join(''));
  }

  sendResync(event: ResyncEvent): void {
    this.write(sseFrame(this.headId(), 'resync', plainResyncJson(event)));
  }

  close(): void {
    this.stop();
    if (!this.response.writableEnded) this.response.end();
  }

  /** A write after the client left would only raise an error event: skipped. */
  private write(chunk: string): void {
    if (!this.response.writableEnded && !this.response.destroyed) this.response.write(chunk);
  }
}
