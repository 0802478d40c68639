import { rssMiB, startApi, startWorker, stopApi } from '../bench-api';
import { sleep } from '../bench-stats';
import { CONVEYOR_TEMPLATE, WORKER_ENV } from './conveyor';
import { type Metric, type Scenario } from './model';

export const rssMetric: Metric = {
  key: 'idle_rss_mib',
  label: 'idle RSS of the process (Conveyor: a worker; Conveyor API: an API process)',
  unit: 'MiB',
  better: 'lower',
};

/**
 * Resident memory of the built API and worker processes (dist/backend/src/main.api.js and
 * main.worker.js, started as `npm start` and the chaos suite start them), idle on a migrated,
 * empty database, read from /proc after they have settled.
 */
export const rssScenario: Scenario = {
  id: 'rss',
  title: 'Idle memory',
  describe: (sizes) =>
    `Per round, on a fresh migrated database: one API process and one worker process (concurrency 10) ` +
    `started side by side from dist/, left idle ${sizes.rssSettleSeconds} s after they are ready, then ` +
    `VmRSS from /proc.`,
  systems: () => ['conveyor'],
  async run(context) {
    const database = await context.server.database('rss', CONVEYOR_TEMPLATE);
    const worker = startWorker(database.url, WORKER_ENV);
    let api: Awaited<ReturnType<typeof startApi>>['child'] | undefined;
    try {
      api = (await startApi(database.url, {}, true)).child;
      await worker.ready;
      await sleep(context.sizes.rssSettleSeconds * 1000);
      context.results.add(this.id, rssMetric, 'conveyor-http', rssMiB(api.pid!));
      context.results.add(this.id, rssMetric, 'conveyor', rssMiB(worker.child.pid!));
    } finally {
      await Promise.all([api && stopApi(api, 1_000), worker.stop(1_000)]);
      await database.drop();
    }
  },
};
