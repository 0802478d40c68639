import { type JobEvent } from '../../../contracts/src/event-map';
import { type SequencedEvent } from './event-batch';
import { collapseProgress, RoomCoalescer } from './room-coalescer';

let seq = 0;
const event = (jobId: string, type: JobEvent['type'], progress = 0): SequencedEvent => ({
  seq: ++seq,
  id: `000000000000-${seq}`,
  event: {
    type,
    job_id: jobId,
    tenant_id: 't',
    queue: 'default',
    job_type: 'default',
    status: 'running',
    attempt: 1,
    progress,
    error: null,
    at: new Date(0).toISOString(),
  },
});

describe('collapseProgress', () => {
  it("keeps only each job's latest progress, and every other event in order", () => {
    const batch = [
      event('a', 'job.started'),
      event('a', 'job.progress', 10),
      event('b', 'job.progress', 5),
      event('a', 'job.progress', 20),
      event('a', 'job.completed', 100),
    ];
    expect(collapseProgress(batch)).toEqual([batch[0], batch[2], batch[3], batch[4]]);
  });
});

describe('RoomCoalescer', () => {
  // Fake timers (Date.now included): with real ones a loaded machine's late timers flaked the token counts.
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends at once while the room has frames left, then one frame per token, carrying the rest', () => {
    const frames: Array<{ room: string; batch: SequencedEvent[] }> = [];
    // 2 frames per 100 ms: a token every 50 ms.
    const coalescer = new RoomCoalescer(100, 2, (room, batch) => frames.push({ room, batch }));
    coalescer.push('r', event('a', 'job.submitted'));
    expect(frames).toHaveLength(1);
    for (let i = 0; i < 100; i++) coalescer.push('r', event('a', 'job.progress', i));
    coalescer.push('other', event('b', 'job.submitted'));
    expect(frames.map((f) => f.room)).toEqual(['r', 'other']);
    jest.advanceTimersByTime(20);
    // The second token was there: the burst went out in one frame, its progress collapsed.
    expect(frames[2].batch.map((item) => item.event)).toEqual([event('a', 'job.progress', 99).event]);
    for (let i = 0; i < 50; i++) coalescer.push('r', event('c', 'job.submitted'));
    jest.advanceTimersByTime(20);
    expect(frames).toHaveLength(3); // no token yet
    jest.advanceTimersByTime(60);
    coalescer.stop();
    expect(frames).toHaveLength(4);
    expect(frames[3].batch).toHaveLength(50);
  });
});
