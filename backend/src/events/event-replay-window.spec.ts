import { type AppConfig } from '../config/app-config';
import { type JobEvent } from '../../../contracts/src/event-map';
import { EventReplayWindow } from './event-replay-window';

const event = (jobId: string): JobEvent => ({
  type: 'job.submitted',
  job_id: jobId,
  tenant_id: 't',
  queue: 'default',
  job_type: 'default',
  status: 'pending',
  attempt: 0,
  progress: 0,
  error: null,
  at: new Date(0).toISOString(),
});

const windowOf = (events: number) => new EventReplayWindow({ EVENTS_REPLAY_EVENTS: events } as AppConfig);

describe('EventReplayWindow', () => {
  it('replays every event after an id it still holds, oldest first', () => {
    const window = windowOf(3);
    const ids = ['a', 'b', 'c', 'd', 'e'].map((job) => window.record(event(job)).id);
    expect(window.since(ids[1])!.map((item) => item.event.job_id)).toEqual(['c', 'd', 'e']);
    expect(window.since(ids[4])).toEqual([]);
    expect(window.headId).toBe(ids[4]);
  });

  it('refuses an id older than the window, from another boot, ahead of it, or not an id', () => {
    const window = windowOf(3);
    const ids = ['a', 'b', 'c', 'd', 'e'].map((job) => window.record(event(job)).id);
    expect(window.since(ids[0])).toBeNull();
    expect(window.since(ids[1].replace(/^[0-9a-f]{12}/, 'ffffffffffff'))).toBeNull();
    expect(window.since(`${window.boot}-6`)).toBeNull();
    for (const garbage of ['', 'x', `${window.boot}-`, `${window.boot}-1e3`, `${window.boot}--1`])
      expect(window.since(garbage)).toBeNull();
  });

  it('never replays across a gap: an id from before it is refused, one after it is not', () => {
    const window = windowOf(10);
    const before = window.record(event('a')).id;
    window.breakContinuity();
    expect(window.since(before)).toBeNull();
    const after = window.record(event('b')).id;
    window.record(event('c'));
    expect(window.since(after)!.map((item) => item.event.job_id)).toEqual(['c']);
  });

  it('with no window, takes only the latest id (nothing was missed)', () => {
    const window = windowOf(0);
    const first = window.record(event('a')).id;
    const second = window.record(event('b')).id;
    expect(window.since(first)).toBeNull();
    expect(window.since(second)).toEqual([]);
  });
});
