import { durationProblem, type JobHandler, numberIn, sleep } from './job-handler';

/** The untyped job (`{"payload": {"task": …}}`): `{"task": "fail"}` fails, anything else simulates work. */
export const defaultHandler: JobHandler = {
  description: 'Untyped job: fails when payload.task is "fail", else works for duration_ms (default 2000)',
  examplePayload: { task: 'process_data', data: { id: 123 } },
  defaultTimeoutMs: 300_000,
  validatePayload: (payload, timeoutMs) => durationProblem(payload, 'duration_ms', 1, timeoutMs),
  // context.signal is read only when the job waits: the worker makes a job's AbortController
  // only for a handler that asks for it, and a job of duration 0 needs none.
  async run(context) {
    const { payload, progress } = context;
    if (payload.task === 'fail') throw new Error('task "fail" always fails');
    const duration = numberIn(payload, 'duration_ms', 2000);
    if (duration > 0) {
      await sleep(duration / 2, context.signal);
      progress(50);
      await sleep(duration / 2, context.signal);
    }
    return { task: payload.task ?? null, processed: true };
  },
};
