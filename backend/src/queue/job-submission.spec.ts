import { JOB_HANDLERS } from '../handlers/handler-registry';
import { MAX_ATTEMPTS_LIMIT, toNewJob, type JobSubmission } from './job-submission';
import { QueueError, QueueErrorCode } from './queue.errors';

const types = Object.keys(JOB_HANDLERS);
const tenantId = '00000000-0000-4000-8000-000000000001';
const now = new Date('2026-11-25T00:00:00Z');

function refusal(submission: Partial<JobSubmission>): {
  code: QueueErrorCode;
  field: string;
  message: string;
} {
  try {
    toNewJob({ tenantId, ...submission }, types, now);
  } catch (error) {
    if (error instanceof QueueError) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected the submission to be refused');
}

describe('toNewJob', () => {
  it('fills the defaults: type default, queue default, 4 attempts, run now', () => {
    expect(toNewJob({ tenantId, payload: { task: 'process_data' } }, types, now)).toEqual({
      tenantId,
      type: 'default',
      queue: 'default',
      payload: { task: 'process_data' },
      priority: 0,
      maxAttempts: 4,
      runAt: null,
      idempotencyKey: null,
      traceId: null,
      // Without the handlers' rules, the worker applies the type's default.
      timeoutMs: null,
    });
  });

  it('schedules delay_ms from now', () => {
    expect(toNewJob({ tenantId, delayMs: 1500 }, types, now).runAt).toEqual(
      new Date('2026-11-25T00:00:01.500Z'),
    );
  });

  it('refuses an unknown type, naming the registered ones', () => {
    const { code, field, message } = refusal({ type: 'teleport' });
    expect([code, field]).toEqual([QueueErrorCode.UnknownJobType, 'type']);
    expect(message).toContain('sleep');
  });

  it.each([
    ['a payload that is not an object', { payload: [1, 2] }, QueueErrorCode.InvalidPayload, 'payload'],
    ['a string payload', { payload: 'x' }, QueueErrorCode.InvalidPayload, 'payload'],
    ['a negative delay', { delayMs: -1 }, QueueErrorCode.InvalidSchedule, 'delay_ms'],
    ['both run_at and delay_ms', { delayMs: 1, runAt: now }, QueueErrorCode.InvalidSchedule, 'run_at'],
    ['an invalid run_at', { runAt: new Date('nope') }, QueueErrorCode.InvalidSchedule, 'run_at'],
    ['max_attempts 0', { maxAttempts: 0 }, QueueErrorCode.InvalidMaxAttempts, 'max_attempts'],
    [
      'max_attempts above the maximum',
      { maxAttempts: MAX_ATTEMPTS_LIMIT + 1 },
      QueueErrorCode.InvalidMaxAttempts,
      'max_attempts',
    ],
    ['a fractional priority', { priority: 1.5 }, QueueErrorCode.InvalidPriority, 'priority'],
    ['a queue name with spaces', { queue: 'my queue' }, QueueErrorCode.InvalidQueueName, 'queue'],
  ] as const)('refuses %s', (_case, submission, code, field) => {
    expect(refusal(submission as Partial<JobSubmission>)).toMatchObject({ code, field });
  });
});
