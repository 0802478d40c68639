import { durationProblem, type JobHandler, numberIn, sleep } from './job-handler';

/** Progress is reported in tenths (at most once a second), so a dashboard can follow a long sleep. */
const STEPS = 10;

export const sleepHandler: JobHandler = {
  description: 'Sleeps for payload.seconds, reporting progress as it goes',
  examplePayload: { seconds: 5 },
  // Its time limit is what bounds it: a sleep longer than the job's timeout_ms is refused.
  defaultTimeoutMs: 600_000,
  validatePayload: (payload, timeoutMs) => durationProblem(payload, 'seconds', 1000, timeoutMs),
  async run({ payload, signal, progress }) {
    const seconds = numberIn(payload, 'seconds', 1);
    const totalMs = seconds * 1000;
    const steps = Math.max(1, Math.min(STEPS, Math.floor(seconds)));
    for (let step = 1; step <= steps; step++) {
      await sleep(totalMs / steps, signal);
      if (step < steps) progress(Math.round((step / steps) * 100));
    }
    return { slept_seconds: seconds };
  },
};
