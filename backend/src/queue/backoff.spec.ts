import { retryDelayMs } from './backoff';

const seconds = { baseMs: 1_000, maxMs: 60_000 };

describe('retryDelayMs', () => {
  it('doubles per attempt: 2^attempt seconds at the top of the jitter', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, seconds, () => 1))).toEqual([
      2_000, 4_000, 8_000, 16_000,
    ]);
  });

  it('never goes below half the nominal delay', () => {
    expect(retryDelayMs(3, seconds, () => 0)).toBe(4_000);
  });

  it('is capped', () => {
    expect(retryDelayMs(20, seconds, () => 1)).toBe(60_000);
  });

  it('spreads retries of the same attempt', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(5, seconds)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
