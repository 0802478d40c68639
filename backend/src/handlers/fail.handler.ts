import { type JobHandler } from './job-handler';

export const failHandler: JobHandler = {
  description: 'Always fails, to exercise retries and the dead-letter queue',
  examplePayload: { reason: 'testing the DLQ' },
  defaultTimeoutMs: 60_000,
  async run({ payload }) {
    throw new Error(typeof payload.reason === 'string' ? payload.reason : 'this job always fails');
  },
};
