import { type WebSocket } from 'ws';
import { type AuthContext } from '../auth/auth-context';
import { PLAIN_CLOSE_CODES, type ResyncEvent } from '../../../contracts/src/event-map';
import { type EventBatch } from './event-batch';
import { type Backlog, backlogOfBytes, type CloseReason, type EventSubscriber } from './event-subscriber';
import { plainJsonOf, plainResyncJson } from './plain-event-messages';

/** How long a closing socket may take to answer the close frame before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * A plain WebSocket of /ws: one JSON text message per event. Pinged every heartbeat; a socket
 * that has not answered the previous ping is cut, so a vanished peer does not hold a connection
 * of its key's quota.
 */
export class WebSocketSubscriber implements EventSubscriber {
  readonly rooms = new Set<string>();
  dropping = false;
  replayedUpTo = 0;
  private alive = true;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    readonly auth: AuthContext,
    heartbeatMs: number,
  ) {
    socket.on('pong', () => (this.alive = true));
    this.heartbeat = setInterval(() => {
      if (!this.alive) return socket.terminate();
      this.alive = false;
      socket.ping();
    }, heartbeatMs);
    socket.once('close', () => clearInterval(this.heartbeat));
  }

  private get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  backlog(): Backlog {
    return backlogOfBytes(this.socket.bufferedAmount);
  }

  sendEvents(batch: EventBatch): void {
    if (!this.open) return;
    for (const item of batch.items) this.socket.send(plainJsonOf(item));
  }

  sendResync(event: ResyncEvent): void {
    if (this.open) this.socket.send(plainResyncJson(event));
  }

  close(reason: CloseReason): void {
    if (reason === 'revoked') this.socket.close(PLAIN_CLOSE_CODES.unauthorized, 'API key revoked');
    else this.socket.close(PLAIN_CLOSE_CODES.goingAway, 'server stopping');
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }
}
