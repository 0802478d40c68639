import { bucketWindow } from './bucket-window';

/** Every pair of a grid wide enough to cover sub-millisecond, sub-second and many-second windows. */
function* policies(): Generator<{ perSecond: number; burst: number }> {
  const values = [1, 2, 3, 5, 7, 10, 33, 100, 101, 250, 999, 1000, 4999, 100_000];
  for (const perSecond of values) for (const burst of [...values, 200, 2001]) yield { perSecond, burst };
}

describe('bucketWindow', () => {
  it('maps the defaults to 100 requests per one-second window', () => {
    expect(bucketWindow({ perSecond: 100, burst: 200 })).toEqual({ points: 100, durationMs: 1000 });
  });

  it('gives an idle tenant half its burst at once, refilled at its rate', () => {
    expect(bucketWindow({ perSecond: 5, burst: 10 })).toEqual({ points: 5, durationMs: 1000 });
    expect(bucketWindow({ perSecond: 10, burst: 1000 })).toEqual({ points: 500, durationMs: 50_000 });
  });

  it('shortens the window below a second when the burst is under twice the rate', () => {
    expect(bucketWindow({ perSecond: 100, burst: 50 })).toEqual({ points: 25, durationMs: 250 });
  });

  it('keeps perSecond × T + burst: window rate ≤ perSecond and two windows ≤ burst', () => {
    for (const policy of policies()) {
      const { points, durationMs } = bucketWindow(policy);
      // Any T seconds touch at most ⌈T/d⌉ + 1 windows: < points·T/d + 2·points accepted.
      expect(points * 1000).toBeLessThanOrEqual(policy.perSecond * durationMs);
      if (policy.burst >= 2) expect(2 * points).toBeLessThanOrEqual(policy.burst);
      expect(points).toBeGreaterThanOrEqual(1);
    }
  });

  it('rounds a window up by a few milliseconds at most', () => {
    for (const policy of policies()) {
      const { points, durationMs } = bucketWindow(policy);
      expect(durationMs - Math.max(1, (points * 1000) / policy.perSecond)).toBeLessThan(10);
    }
  });

  it('makes windows the library turns into whole milliseconds (its expire column is a bigint)', () => {
    for (const policy of policies()) {
      const { durationMs } = bucketWindow(policy);
      expect(Number.isInteger((durationMs / 1000) * 1000)).toBe(true);
    }
  });

  it('refuses a rate or burst below 1 instead of computing an endless window', () => {
    expect(() => bucketWindow({ perSecond: 0, burst: 10 })).toThrow(RangeError);
    expect(() => bucketWindow({ perSecond: 5, burst: 0 })).toThrow(RangeError);
  });
});
