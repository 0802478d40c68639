import { type ClaimedJob } from '../queue/job-queue';
import { LEASE_SAFETY_MS, LocalQueue, RELEASE_AFTER_WAIT_MS } from './local-queue';

const job = (id: string): ClaimedJob => ({
  id,
  tenant_id: 't',
  queue: 'default',
  type: 'default',
  payload: {},
  attempts: 1,
  max_attempts: 4,
  trace_id: null,
  trace_parent: null,
  timeout_ms: null,
  created_at: new Date(0),
  lease_expires_at: new Date(0),
});
const jobs = (n: number, from = 0) => Array.from({ length: n }, (_, i) => job(`j${from + i}`));

describe('the local queue of claimed jobs', () => {
  it('prefetches nothing before a job has run, then as many as wait ~20 ms at the average run time', () => {
    const queue = new LocalQueue(10, 500);
    expect(queue.prefetchSize()).toBe(0);
    expect(queue.wanted(0)).toBe(10); // the free slots only: no job is claimed ahead of an unknown
    queue.ran(2); // 10 slots × 20 ms / 2 ms
    expect(queue.prefetchSize()).toBe(100);
    queue.ran(2);
    expect(queue.wanted(10)).toBe(100);
  });

  it('holds no prefetch for jobs of seconds, and at most WORKER_PREFETCH for instant ones', () => {
    const slow = new LocalQueue(10, 500);
    slow.ran(5_000);
    expect(slow.prefetchSize()).toBe(0);
    const instant = new LocalQueue(10, 500);
    instant.ran(0);
    expect(instant.prefetchSize()).toBe(500);
  });

  it('asks for the next batch once half of the prefetch has started', () => {
    const queue = new LocalQueue(10, 500);
    queue.ran(2); // prefetch 100
    queue.add(jobs(100), 0, 30);
    expect(queue.isLow()).toBe(false);
    for (let i = 0; i < 50; i++) queue.next(0, () => undefined);
    expect(queue.isLow()).toBe(true);
  });

  it('hands out jobs oldest first, passing over those whose lease ran out while they waited', () => {
    const queue = new LocalQueue(10, 500);
    queue.add(jobs(2), 0, 30);
    queue.add(jobs(1, 2), 20_000, 30);
    const passedOver: string[] = [];
    const skip = (j: ClaimedJob) => passedOver.push(j.id);
    expect(queue.next(30_000 - LEASE_SAFETY_MS, skip)?.id).toBe('j2');
    expect(passedOver).toEqual(['j0', 'j1']);
    expect(queue.next(30_000, skip)).toBeUndefined();
  });

  it('keeps a renewed lease: a job renewed later is started after its first lease would have ended', () => {
    const queue = new LocalQueue(10, 500);
    queue.add(jobs(2), 0, 30);
    queue.renewed(new Set(['j1']), 25_000, 30);
    const passedOver: string[] = [];
    expect(queue.next(40_000, (j) => passedOver.push(j.id))?.id).toBe('j1');
    expect(passedOver).toEqual(['j0']);
  });

  it('gives back the newest beyond the prefetch once the oldest has waited a second, not before', () => {
    const queue = new LocalQueue(10, 500);
    queue.ran(2); // prefetch 100
    queue.add(jobs(150), 0, 30);
    expect(queue.takeStale(RELEASE_AFTER_WAIT_MS - 1)).toEqual([]);
    queue.ran(20); // slower now: prefetch 100 → 0.9·2 + 0.1·20 = 3.8 ms average → 52
    const released = queue.takeStale(RELEASE_AFTER_WAIT_MS);
    expect(released.map((j) => j.id)).toEqual(jobs(98, 52).map((j) => j.id));
    expect(queue.length).toBe(52);
    expect(queue.ids().slice(0, 2)).toEqual(['j0', 'j1']);
  });

  it('forgets dropped jobs and gives all back on request', () => {
    const queue = new LocalQueue(10, 500);
    queue.add(jobs(4), 0, 30);
    queue.drop(new Set(['j1', 'j3']));
    expect(queue.ids()).toEqual(['j0', 'j2']);
    expect(queue.takeNewest(Infinity).map((j) => j.id)).toEqual(['j0', 'j2']);
    expect(queue.length).toBe(0);
  });
});
