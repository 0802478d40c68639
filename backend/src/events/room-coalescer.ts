import { type JobEvent } from './event-map';

interface RoomState {
  pending: JobEvent[];
  timer?: NodeJS.Timeout;
  lastSentAt: number;
}

/**
 * Batches events per room: at rest an event goes out at once; while events keep coming, a room
 * gets at most one frame per `flushMs`, carrying everything since the last one, with repeated
 * progress events of a job collapsed to the latest. Bounds frames per second per room whatever
 * the event rate.
 */
export class RoomCoalescer {
  private readonly rooms = new Map<string, RoomState>();

  constructor(
    private readonly flushMs: number,
    private readonly deliver: (room: string, batch: JobEvent[]) => void,
  ) {}

  push(room: string, event: JobEvent): void {
    const state = this.rooms.get(room) ?? { pending: [], lastSentAt: 0 };
    this.rooms.set(room, state);
    state.pending.push(event);
    if (state.timer) return;
    const wait = state.lastSentAt + this.flushMs - Date.now();
    if (wait <= 0) this.flush(room, state);
    else state.timer = setTimeout(() => this.flush(room, state), wait);
  }

  /** Sends what is pending at once (e.g. a batch that arrived in one notification), timers aside. */
  private flush(room: string, state: RoomState): void {
    state.timer = undefined;
    const batch = collapseProgress(state.pending);
    state.pending = [];
    state.lastSentAt = Date.now();
    if (batch.length > 0) this.deliver(room, batch);
    // Idle rooms are forgotten after a quiet interval so the map does not grow without bound.
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (state.pending.length > 0) this.flush(room, state);
      else this.rooms.delete(room);
    }, this.flushMs);
  }

  stop(): void {
    for (const state of this.rooms.values()) clearTimeout(state.timer);
    this.rooms.clear();
  }
}

/** Keeps every event but the progress events of a job that a later progress event of it supersedes. */
export function collapseProgress(events: JobEvent[]): JobEvent[] {
  const lastProgress = new Map<string, number>();
  events.forEach((event, i) => {
    if (event.type === 'job.progress') lastProgress.set(event.job_id, i);
  });
  return events.filter((event, i) => event.type !== 'job.progress' || lastProgress.get(event.job_id) === i);
}
