import { type JobEvent } from '../../../contracts/src/event-map';

/** A job event with its place in this process's sequence: the SSE id and the replay window's key. */
export interface SequencedEvent {
  seq: number;
  /** `<boot>-<seq>`: unique across restarts and replicas, so an id from elsewhere is never mistaken. */
  id: string;
  event: JobEvent;
  /** The plain transports' JSON message, made once however many subscribers get it. */
  plainJson?: string;
}

/**
 * One frame's events for every subscriber of a room. What transports derive from it (socket.io's
 * array, the batch without progress events) is computed once per frame, not once per subscriber.
 */
export class EventBatch {
  private jobEvents?: JobEvent[];
  private lighter?: EventBatch;

  constructor(readonly items: readonly SequencedEvent[]) {}

  get events(): JobEvent[] {
    return (this.jobEvents ??= this.items.map((item) => item.event));
  }

  /** The batch without its progress events, for a subscriber that is behind. */
  withoutProgress(): EventBatch {
    return (this.lighter ??= new EventBatch(this.items.filter((item) => item.event.type !== 'job.progress')));
  }

  /** Only the events after `seq` (a subscriber that was just replayed up to it). */
  after(seq: number): EventBatch {
    return this.items.length === 0 || this.items[0].seq > seq
      ? this
      : new EventBatch(this.items.filter((item) => item.seq > seq));
  }
}
