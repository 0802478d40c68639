import { type JobHandler, numberIn, sleep } from './job-handler';

export const sleepHandler: JobHandler = {
  description: 'Sleeps for payload.seconds',
  examplePayload: { seconds: 5 },
  async run({ payload, signal }) {
    const seconds = numberIn(payload, 'seconds', 1);
    await sleep(seconds * 1000, signal);
    return { slept_seconds: seconds };
  },
};
