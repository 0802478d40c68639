import { type Socket } from 'socket.io';
import { type AuthContext } from '../auth/auth-context';
import {
  type ClientToServerEvents,
  type MetricsSummaryEvent,
  type ResyncEvent,
  type ServerToClientEvents,
} from '../../../contracts/src/event-map';
import { type EventBatch } from './event-batch';
import { type Backlog, type EventSubscriber } from './event-subscriber';

export interface SocketData {
  auth: AuthContext;
  subscriber: SocketIoSubscriber;
}

export type EventsSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

/** Packets held for a socket: above the first it loses progress events, above the second everything. */
const BEHIND_ABOVE_PACKETS = 64;
const STALLED_ABOVE_PACKETS = 256;

/**
 * Packets engine.io holds for a socket that its transport has not written yet. engine.io
 * declares writeBuffer private but offers no public measure of backlog; pinned versions and the
 * slow-consumer test keep this honest.
 */
function bufferedPackets(socket: EventsSocket): number {
  return (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
}

/** A socket.io socket of /events: frames are arrays of job events, and it gets metrics.summary. */
export class SocketIoSubscriber implements EventSubscriber {
  readonly rooms = new Set<string>();
  dropping = false;
  replayedUpTo = 0;

  constructor(
    private readonly socket: EventsSocket,
    readonly auth: AuthContext,
  ) {}

  backlog(): Backlog {
    const packets = bufferedPackets(this.socket);
    if (packets > STALLED_ABOVE_PACKETS) return 'stalled';
    return packets > BEHIND_ABOVE_PACKETS ? 'behind' : 'clear';
  }

  sendEvents(batch: EventBatch): void {
    this.socket.emit('events', batch.events);
  }

  sendResync(event: ResyncEvent): void {
    this.socket.emit('resync', event);
  }

  sendSummary(event: MetricsSummaryEvent): void {
    this.socket.emit('metrics.summary', event);
  }

  close(): void {
    this.socket.disconnect(true);
  }
}
