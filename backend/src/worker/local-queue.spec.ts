import { type ClaimedJob } from '../queue/job-queue';
import { LEASE_SAFETY_MS, LocalQueue, RELEASE_AFTER_WAIT_MS } from './local-queue';

const job = (id: string, tenant = 't'): ClaimedJob => ({
  id,
  tenant_id: tenant,
  queue: 'default',
  type: 'default',
  payload: {},
  attempts: 1,
  max_attempts: 4,
  trace_id: null,
  trace_parent: null,
  timeout_ms: null,
  created_at_ms: 0,
  lease_expires_at_ms: 0,
});
const jobs = (n: number, from = 0, tenant = 't') =>
  Array.from({ length: n }, (_, i) => job(`j${from + i}`, tenant));
const drain = (queue: LocalQueue) => {
  const order: string[] = [];
  for (let next = queue.next(0, () => undefined); next; next = queue.next(0, () => undefined))
    order.push(next.id);
  return order;
};

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

  it("starts a job of a tenant with nothing waiting before another tenant's batch, one such job per tenant", () => {
    const queue = new LocalQueue(10, 500);
    queue.add(jobs(3, 0, 'a'), 0, 30);
    expect(queue.holds('a')).toBe(true);
    expect(queue.holds('b')).toBe(false);
    // In the claim's order: b's first job goes ahead of a's waiting ones (but a's first, which went
    // in front of an empty queue); b's second, and a's, behind.
    queue.add([job('b0', 'b'), job('a3', 'a'), job('b1', 'b'), job('c0', 'c')], 5, 30);
    expect(queue.length).toBe(7);
    expect(drain(queue)).toEqual(['j0', 'b0', 'c0', 'j1', 'j2', 'a3', 'b1']);
    expect(queue.holds('a') || queue.holds('b') || queue.holds('c')).toBe(false);
    // With nothing of b waiting any more, b's next job goes in front again.
    queue.add(jobs(2, 10, 'a'), 10, 30);
    queue.add([job('b2', 'b')], 11, 30);
    expect(drain(queue)).toEqual(['j10', 'b2', 'j11']);
  });

  it('gives back the back lane before the front one, and counts the front lane in its age and size', () => {
    const queue = new LocalQueue(10, 500);
    queue.ran(20); // prefetch 10
    queue.add([job('b0', 'b')], 0, 30); // in front, and the oldest claim of all
    queue.add(jobs(12, 0, 'a'), 500, 30); // j0 in front (a had nothing waiting), the rest behind
    expect(queue.isLow()).toBe(false);
    expect(queue.wanted(10)).toBe(-3);
    // The front job's age counts: the back lane's oldest has waited only RELEASE_AFTER_WAIT_MS - 500.
    expect(queue.takeStale(RELEASE_AFTER_WAIT_MS - 1)).toEqual([]);
    expect(queue.takeStale(RELEASE_AFTER_WAIT_MS).map((j) => j.id)).toEqual(['j9', 'j10', 'j11']);
    expect(queue.takeNewest(10).map((j) => j.id)).toEqual([
      'b0',
      'j0',
      'j1',
      'j2',
      'j3',
      'j4',
      'j5',
      'j6',
      'j7',
      'j8',
    ]);
    expect(queue.holds('b')).toBe(false);
    queue.add([job('b1', 'b'), job('b2', 'b')], 0, 30);
    queue.drop(new Set(['b1']));
    expect(queue.holds('b')).toBe(true);
    queue.renewed(new Set(['b2']), 40_000, 30);
    expect(queue.next(50_000, () => undefined)?.id).toBe('b2');
  });
});
