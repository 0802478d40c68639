import { describe, expect, it } from 'vitest';
import { relativeTime } from './RelativeTime';

describe('relativeTime', () => {
  const from = Date.parse('2026-12-01T12:00:00Z');
  it.each([
    ['2026-12-01T11:59:55Z', 'just now'],
    ['2026-12-01T11:59:30Z', '30 seconds ago'],
    ['2026-12-01T11:55:00Z', '5 minutes ago'],
    ['2026-12-01T14:00:00Z', 'in 2 hours'],
    ['2026-11-30T12:00:00Z', 'yesterday'],
  ])('says %s is "%s"', (iso, text) => {
    expect(relativeTime(iso, from)).toBe(text);
  });
});
