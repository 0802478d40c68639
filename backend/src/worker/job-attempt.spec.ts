import { type ClaimedJob } from '../queue/job-queue';
import { JobAttempt } from './job-attempt';

describe('JobAttempt: how a running job is stopped', () => {
  const job = { id: 'j1' } as ClaimedJob;

  it('rejects the race with the stop reason at once, even when the work never settles', async () => {
    const attempt = new JobAttempt(job, Infinity, 1_000);
    const raced = attempt.race(() => new Promise(() => undefined));
    attempt.stop(new Error('cancelled'));
    await expect(raced).rejects.toThrow('cancelled');
    expect(attempt.stopped).toBe(true);
  });

  it('aborts the signal a handler already holds, and hands an aborted one to a handler that asks after the stop', () => {
    const early = new JobAttempt(job, Infinity, 1_000);
    const { signal } = early;
    early.stop(new Error('lease lost'));
    expect([signal.aborted, (signal.reason as Error).message]).toEqual([true, 'lease lost']);

    const late = new JobAttempt(job, Infinity, 1_000);
    late.stop(new Error('timed out'));
    expect([late.signal.aborted, (late.signal.reason as Error).message]).toEqual([true, 'timed out']);
  });

  it('keeps the first reason when stopped twice', () => {
    const attempt = new JobAttempt(job, Infinity, 1_000);
    attempt.stop(new Error('first'));
    attempt.stop(new Error('second'));
    expect(attempt.reason?.message).toBe('first');
  });

  it('lets work that finishes first win the race', async () => {
    const attempt = new JobAttempt(job, Infinity, 1_000);
    await expect(attempt.race(() => Promise.resolve('done'))).resolves.toBe('done');
  });
});
