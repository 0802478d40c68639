import { type JobHandler, numberIn, sleep } from './job-handler';

export const reportHandler: JobHandler = {
  description: 'Builds a report: sleeps, then fails with probability failure_rate (default 0.2)',
  examplePayload: { report: 'monthly', failure_rate: 0.2 },
  defaultTimeoutMs: 120_000,
  async run({ payload, signal, progress }) {
    for (let step = 1; step <= 4; step++) {
      await sleep(250, signal);
      progress(step * 25);
    }
    if (Math.random() < numberIn(payload, 'failure_rate', 0.2)) throw new Error('report generation failed');
    return { report: payload.report ?? 'report', rows: 100 };
  },
};
