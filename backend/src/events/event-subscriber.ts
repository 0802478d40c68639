import { type AuthContext } from '../auth/auth-context';
import { type MetricsSummaryEvent, type ResyncEvent } from '../../../contracts/src/event-map';
import { type EventBatch } from './event-batch';

/**
 * How far behind a subscriber's transport is: `behind` loses progress events first; `stalled`
 * gets nothing until it drains back below `behind`, then a resync. Each transport measures its
 * own backlog; together the two levels bound what a slow client can make the server hold.
 */
export type Backlog = 'clear' | 'behind' | 'stalled';

export type CloseReason = 'revoked' | 'shutdown';

/**
 * The plain transports (WebSocket, SSE) measure their backlog in bytes written but not yet taken
 * by the kernel. They send one message per event (~300 bytes), so 256 KiB is ~850 events held
 * and 1 MiB ~3,500: about what socket.io's 64 and 256 packets of small frames hold, and a bound
 * on memory per connection whatever the frame sizes.
 */
const BEHIND_ABOVE_BYTES = 256 * 1024;
const STALLED_ABOVE_BYTES = 1024 * 1024;

export function backlogOfBytes(bytes: number): Backlog {
  if (bytes > STALLED_ABOVE_BYTES) return 'stalled';
  return bytes > BEHIND_ABOVE_BYTES ? 'behind' : 'clear';
}

/** One live-event connection, whatever its transport (socket.io, the plain WebSocket, SSE). */
export interface EventSubscriber {
  readonly auth: AuthContext;
  /** The rooms it is in; only EventSubscribers changes them. */
  readonly rooms: Set<string>;
  /** Set while its frames are being dropped; it gets a resync once it catches up. */
  dropping: boolean;
  /** Events up to this sequence number were replayed to it already: live frames skip them. */
  replayedUpTo: number;
  backlog(): Backlog;
  sendEvents(batch: EventBatch): void;
  sendResync(event: ResyncEvent): void;
  /** Only transports that carry metrics.summary (socket.io) have it. */
  sendSummary?(event: MetricsSummaryEvent): void;
  close(reason: CloseReason): void;
}

/** Sends a frame to one subscriber as its backlog allows (see Backlog): the one slow-consumer rule of every transport. */
export function offer(subscriber: EventSubscriber, batch: EventBatch): void {
  const backlog = subscriber.backlog();
  if (backlog === 'stalled') {
    subscriber.dropping = true;
    return;
  }
  if (subscriber.dropping) {
    if (backlog === 'behind') return;
    subscriber.dropping = false;
    subscriber.sendResync({ reason: 'slow-consumer' });
  }
  let frame = backlog === 'behind' ? batch.withoutProgress() : batch;
  if (subscriber.replayedUpTo > 0) frame = frame.after(subscriber.replayedUpTo);
  if (frame.items.length > 0) subscriber.sendEvents(frame);
}
