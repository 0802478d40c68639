import { describe, expect, it } from 'vitest';
import { type Draft, EMPTY, toRequest } from './CreateJob';

const draft: Draft = { ...EMPTY, type: 'sleep' };

describe('toRequest', () => {
  it('leaves empty fields out, so the API’s defaults apply', () => {
    expect(toRequest(draft, { seconds: 1 })).toEqual({ type: 'sleep', payload: { seconds: 1 } });
  });

  it('sends what was filled in, numbers as numbers and a delay in ms', () => {
    expect(
      toRequest(
        {
          ...draft,
          maxAttempts: '2',
          priority: '-1',
          queue: ' reports ',
          idempotencyKey: 'k1',
          timeoutMs: '5000',
          schedule: 'delay',
          delaySeconds: '1.5',
        },
        {},
      ),
    ).toEqual({
      type: 'sleep',
      payload: {},
      max_attempts: 2,
      priority: -1,
      queue: 'reports',
      idempotency_key: 'k1',
      timeout_ms: 5000,
      delay_ms: 1500,
    });
  });

  it('sends a time as ISO 8601, and no delay when the schedule is not a delay', () => {
    const body = toRequest({ ...draft, schedule: 'at', runAt: '2026-12-01T12:00', delaySeconds: '9' }, {});
    expect(body.run_at).toBe(new Date('2026-12-01T12:00').toISOString());
    expect(body.delay_ms).toBeUndefined();
  });
});
