import { type JobCountRow, type JobMinuteRow } from './metrics.repository';
import { toJobMetricsSnapshot } from './job.metrics';

const T1 = '00000000-0000-4000-8000-000000000001';
const T2 = '00000000-0000-4000-8000-000000000002';

const count = (
  tenant_id: string,
  queue: string,
  type: string,
  status: string,
  jobs: number,
): JobCountRow => ({
  tenant_id,
  queue,
  type,
  status,
  jobs: String(jobs),
});

const minute = (
  tenant_id: string,
  queue: string,
  type: string,
  values: Partial<JobMinuteRow>,
): JobMinuteRow => ({
  tenant_id,
  queue,
  type,
  submitted: '0',
  started: '0',
  completed: '0',
  failed: '0',
  retried: '0',
  dead: '0',
  run_ms_sum: '0',
  wait_ms_sum: '0',
  ...values,
});

describe('toJobMetricsSnapshot', () => {
  it('counts pending and retry-waiting jobs of every tenant into their queue depth, and nothing else', () => {
    const snapshot = toJobMetricsSnapshot(
      [
        count(T1, 'mail', 'email', 'pending', 3),
        count(T2, 'mail', 'email', 'pending', 2),
        count(T1, 'mail', 'default', 'failed', 1),
        count(T1, 'mail', 'email', 'running', 4),
        count(T1, 'mail', 'email', 'completed', 9),
        count(T1, 'reports', 'report', 'dead', 5),
      ],
      [],
    );
    expect(Object.fromEntries(snapshot.queueDepth)).toEqual({ mail: 6 });
  });

  it('gives every counted group every status, 0 for those it has no counter for', () => {
    const snapshot = toJobMetricsSnapshot(
      [count(T1, 'mail', 'email', 'pending', 3), count(T1, 'mail', 'email', 'completed', 9)],
      [],
    );
    expect(snapshot.groups).toHaveLength(1);
    expect(snapshot.groups[0].labels).toEqual({ tenant_id: T1, queue: 'mail', type: 'email' });
    expect(snapshot.groups[0].jobs).toEqual({
      scheduled: 0,
      pending: 3,
      running: 0,
      failed: 0,
      completed: 9,
      dead: 0,
      cancelled: 0,
    });
  });

  it('turns the minute sums into seconds and zero-fills every counted group without a row', () => {
    const snapshot = toJobMetricsSnapshot(
      [count(T1, 'mail', 'email', 'pending', 1), count(T2, 'mail', 'email', 'completed', 8)],
      [
        minute(T2, 'mail', 'email', {
          started: '5',
          completed: '4',
          failed: '1',
          wait_ms_sum: '2500',
          run_ms_sum: '10250',
        }),
      ],
    );
    const [idle, busy] = snapshot.groups;
    expect(idle).toMatchObject({
      labels: { tenant_id: T1, queue: 'mail', type: 'email' },
      events: { submitted: 0, started: 0, completed: 0, failed: 0, retried: 0, dead: 0 },
      waitSeconds: 0,
      runSeconds: 0,
    });
    expect(busy).toMatchObject({
      labels: { tenant_id: T2, queue: 'mail', type: 'email' },
      events: { submitted: 0, started: 5, completed: 4, failed: 1, retried: 0, dead: 0 },
      waitSeconds: 2.5,
      runSeconds: 10.25,
    });
  });

  it('keeps a minute whose group has no counters yet', () => {
    const snapshot = toJobMetricsSnapshot([], [minute(T1, 'q', 'sleep', { submitted: '2' })]);
    expect(snapshot.groups).toHaveLength(1);
    expect(snapshot.groups[0].events.submitted).toBe(2);
    expect(snapshot.queueDepth.size).toBe(0);
  });
});
