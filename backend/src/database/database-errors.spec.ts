import { isConnectionFailure, isRefusedValue, isRetryable, isSplittable } from './database-errors';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('database error classes', () => {
  it('retries what passes: lost connections, deadlocks, serialization failures, a busy server', () => {
    for (const code of ['ECONNRESET', '08006', '57P01', '40P01', '40001', '55P03', '57014', '53300'])
      expect([code, isRetryable(withCode(code))]).toEqual([code, true]);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not retry what fails the same way again: bad values, constraints, our own SQL', () => {
    for (const code of ['22P05', '22P02', '23505', '42P01', '42703', '54000'])
      expect([code, isRetryable(withCode(code))]).toEqual([code, false]);
    expect(isRetryable(new Error('something else'))).toBe(false);
  });

  it('tells a connection failure, a refused value and a batch worth splitting apart', () => {
    expect(isConnectionFailure(withCode('57P03'))).toBe(true);
    expect(isConnectionFailure(withCode('40P01'))).toBe(false);
    expect(isRefusedValue(withCode('22021'))).toBe(true);
    expect(isRefusedValue(withCode('22012'))).toBe(false); // division by zero: our fault
    expect(isSplittable(withCode('23505'))).toBe(true);
    expect(isSplittable(withCode('57P01'))).toBe(false);
  });
});
