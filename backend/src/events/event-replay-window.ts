import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { type JobEvent } from '../../../contracts/src/event-map';
import { type SequencedEvent } from './event-batch';

const EVENT_ID = /^([0-9a-f]{12})-(\d{1,15})$/;

/**
 * The last EVENTS_REPLAY_EVENTS job events this API process heard, numbered, so that an SSE
 * client reconnecting with Last-Event-ID gets what it missed. In memory and per process: an id
 * from another replica or from before a restart (another boot prefix), one older than the window,
 * or one from before a gap in the LISTEN connection is answered with a resync instead, never
 * with a replay that would silently skip events.
 *
 * A ring of fixed size: recording is O(1) whether or not anyone listens, and the memory is
 * bounded (~300 bytes an event: 3 MB at the default 10,000).
 */
@Injectable()
export class EventReplayWindow {
  readonly boot = randomBytes(6).toString('hex');
  private readonly ring: Array<SequencedEvent | undefined>;
  private head = 0;
  /** The oldest last-seen sequence number a replay can start after (raised by a gap). */
  private floor = 0;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.ring = new Array<SequencedEvent | undefined>(config.EVENTS_REPLAY_EVENTS);
  }

  record(event: JobEvent): SequencedEvent {
    const seq = ++this.head;
    const item: SequencedEvent = { seq, id: `${this.boot}-${seq}`, event };
    if (this.ring.length > 0) this.ring[seq % this.ring.length] = item;
    return item;
  }

  /** The id of the latest event: a client given it has missed nothing before it. */
  get headId(): string {
    return `${this.boot}-${this.head}`;
  }

  get headSeq(): number {
    return this.head;
  }

  /**
   * Events were lost (the LISTEN connection dropped) after the latest one: a client that saw it
   * or anything before it missed them, so no replay may start there.
   */
  breakContinuity(): void {
    this.floor = this.head + 1;
  }

  /** Every event after `lastEventId`, oldest first; null when that id cannot be replayed from. */
  since(lastEventId: string): SequencedEvent[] | null {
    const match = EVENT_ID.exec(lastEventId.trim());
    if (!match || match[1] !== this.boot) return null;
    const last = Number(match[2]);
    if (last > this.head || last < Math.max(this.floor, this.head - this.ring.length)) return null;
    const missed: SequencedEvent[] = [];
    for (let seq = last + 1; seq <= this.head; seq++) missed.push(this.ring[seq % this.ring.length]!);
    return missed;
  }
}
