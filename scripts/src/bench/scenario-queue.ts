import { randomUUID } from 'node:crypto';
import { startWorker, type WorkerProcess } from '../bench-api';
import { type PeerQueue } from '../bench-peer-harness';
import { latencySummary, sleep } from '../bench-stats';
import { CONVEYOR_TEMPLATE, ConveyorDatabase, JobEventCounter, noopJob, WORKER_ENV } from './conveyor';
import {
  type BenchContext,
  isPeer,
  type Metric,
  type Scenario,
  type Sizes,
  type SystemId,
  SYSTEM_LABELS,
} from './model';
import { openPeer } from './peers';
import { connect, type ScratchDatabase } from './server';

export const QUEUE_SYSTEMS: readonly SystemId[] = [
  'conveyor',
  'pg-boss',
  'pg-boss-default',
  'graphile-worker',
  'graphile-worker-default',
];

const fmt = (n: number) => n.toLocaleString('en');

export const drainMetric = (jobs: number, index: 0 | 1): Metric => ({
  key: index === 0 ? 'drain_small_jobs_per_second' : 'drain_large_jobs_per_second',
  label: `drain of ${fmt(jobs)} jobs: jobs/s`,
  unit: 'jobs/s',
  better: 'higher',
});

const pickupMetrics = (clock: 'handler' | 'db') =>
  (['p50', 'p95', 'p99'] as const).map((p): Metric => ({
    key: `pickup_${clock}_${p}_ms`,
    label:
      clock === 'handler'
        ? `idle pickup, insert → handler start: ${p}`
        : `idle pickup, insert → lock (database clock): ${p}`,
    unit: 'ms',
    better: 'lower',
  }));

/** Resolves to the promise's value, or undefined once `ms` have passed. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]);
}

export async function analyze(database: ScratchDatabase): Promise<void> {
  const client = await connect(database.url);
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

interface Drain {
  completed: number;
  seconds: number;
  /** Cut by the time box with jobs left. */
  boxed: boolean;
}

interface Pickup {
  handler: number[];
  database: number[];
}

/**
 * Conveyor: `jobs` no-op jobs inserted, ANALYZE, then one worker process (concurrency 10) drains
 * them: from the first job's start to the last one's completion, both heard as job events. With
 * `pickupSamples`, the idle worker then gets jobs one at a time.
 */
export async function conveyorDrain(
  context: BenchContext,
  jobs: number,
  pickupSamples: number,
): Promise<{ drain: Drain; pickup?: Pickup }> {
  const database = await context.server.database(`drain_${jobs}_conveyor`, CONVEYOR_TEMPLATE);
  const conveyor = ConveyorDatabase.open(database.url);
  const events = await JobEventCounter.listen(database.url);
  let worker: WorkerProcess | undefined;
  try {
    const tenant = await conveyor.tenant('bench');
    await conveyor.insertBacklog(tenant.id, jobs);
    await conveyor.analyze();
    worker = startWorker(database.url, WORKER_ENV);
    const box = context.sizes.drainBoxSeconds * 1000;
    const firstStart = Promise.race([events.firstStarted, worker.ready.then(() => events.firstStarted)]);
    if (
      !(await within(
        firstStart.then(() => true),
        60_000,
      ))
    )
      throw new Error('the Conveyor worker started no job within 60 s');
    const start = events.firstStartedAt!;
    const done = await events.until(() => events.completed, jobs, box);
    const drain = { completed: events.completed, seconds: (performance.now() - start) / 1000, boxed: !done };
    if (pickupSamples === 0 || !done) return { drain };

    // The worker writes at most 200 routine lifecycle lines a second: a second's pause lets the
    // drain's second pass, so every pickup's `started` line is written.
    await sleep(1_100);
    const handler: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < pickupSamples; i++) {
      const id = randomUUID();
      const started = new Promise<number>((resolve) => {
        worker!.onStarted = (jobId) => jobId === id && resolve(performance.now());
      });
      const completed = events.completion(id, 30_000);
      const sent = performance.now();
      await conveyor.queue.insertMany([noopJob(tenant.id)], [id]);
      const at = await within(started, 10_000);
      if (at !== undefined) handler.push(at - sent);
      if (!(await completed)) throw new Error(`pickup job ${id} did not complete within 30 s`);
      ids.push(id);
      await sleep(20); // let the worker go idle again
    }
    return { drain, pickup: { handler, database: await conveyor.databasePickupMs(ids) } };
  } finally {
    await worker?.stop();
    await events.close();
    await conveyor.close();
    await database.drop();
  }
}

/**
 * A peer: the same backlog inserted with its bulk API, ANALYZE, its worker drains it (from the
 * first handler call until the database shows none unfinished, polled every 20 ms). With
 * `pickupSamples`, the idle worker then gets jobs one at a time (a drain cut by the time box
 * has its waiting jobs deleted first, so the worker is idle).
 */
export async function peerDrain(
  context: BenchContext,
  system: SystemId,
  jobs: number,
  pickupSamples: number,
  label = `drain_${jobs}`,
): Promise<{ drain: Drain; pickup?: Pickup; peer: PeerQueue }> {
  const { peer, database, close } = await openPeer(context.server, system, label);
  try {
    context.results.setup('queue', system, peer.settings);
    for (let i = 0; i < jobs; i += 1_000) await peer.enqueueBulk(Math.min(1_000, jobs - i));
    await analyze(database);

    let onStart: (jobId: string) => void;
    let firstStart!: () => void;
    const started = new Promise<void>((resolve) => (firstStart = resolve));
    let drainStart = 0;
    onStart = () => {
      drainStart = performance.now();
      onStart = () => {};
      firstStart();
    };
    await peer.startWorker((jobId) => onStart(jobId));
    if (
      (await within(
        started.then(() => true),
        60_000,
      )) === undefined
    )
      throw new Error(`${system} started no job within 60 s`);
    const deadline = drainStart + context.sizes.drainBoxSeconds * 1000;
    let done = false;
    while (!(done = !(await peer.anyUnfinished())) && performance.now() < deadline) await sleep(20);
    const seconds = (performance.now() - drainStart) / 1000;
    const drain = { completed: done ? jobs : await peer.completedCount(), seconds, boxed: !done };
    if (pickupSamples === 0) return { drain, peer };
    if (!done) {
      await peer.discardWaiting();
      while (await peer.anyUnfinished()) await sleep(20);
    }

    const handler: number[] = [];
    const databaseMs: number[] = [];
    for (let i = 0; i < pickupSamples; i++) {
      let handlerStarted!: (at: number) => void;
      const handlerStart = new Promise<number>((resolve) => (handlerStarted = resolve));
      onStart = () => handlerStarted(performance.now());
      const sent = performance.now();
      const id = await peer.enqueueOne();
      handler.push((await handlerStart) - sent);
      while (await peer.anyUnfinished()) await sleep(1);
      databaseMs.push(await peer.databasePickupMs(id));
      await sleep(20 + Math.random() * (peer.idlePollMs ?? 0)); // let the worker go idle again
    }
    return { drain, pickup: { handler, database: databaseMs }, peer };
  } finally {
    await close();
  }
}

function record(context: BenchContext, system: SystemId, jobs: number, index: 0 | 1, drain: Drain) {
  context.results.add('queue', drainMetric(jobs, index), system, Math.round(drain.completed / drain.seconds));
  if (drain.boxed)
    context.results.note(
      'queue',
      `${SYSTEM_LABELS[system]}: the ${fmt(jobs)}-job drain was cut at ${context.sizes.drainBoxSeconds} s ` +
        `(its rate is the jobs completed by then over the time).`,
    );
}

function recordPickup(context: BenchContext, system: SystemId, pickup: Pickup) {
  const handler = latencySummary(pickup.handler);
  const database = latencySummary(pickup.database);
  const [h50, h95, h99] = pickupMetrics('handler');
  const [d50, d95, d99] = pickupMetrics('db');
  context.results.add('queue', h50, system, handler.p50);
  context.results.add('queue', h95, system, handler.p95);
  context.results.add('queue', h99, system, handler.p99);
  context.results.add('queue', d50, system, database.p50);
  context.results.add('queue', d95, system, database.p95);
  context.results.add('queue', d99, system, database.p99);
}

/**
 * Drains at two sizes and idle pickup, on a fresh database per system and round. Conveyor's
 * worker is its own process; the peers' workers run in this process, as their libraries do.
 */
export const queueScenario: Scenario = {
  id: 'queue',
  title: 'Drain and idle pickup',
  describe: (sizes: Sizes) =>
    `Per round and system, on a fresh database each time: ${fmt(sizes.drains[0])} and then ` +
    `${fmt(sizes.drains[1])} no-op jobs inserted in statements of 1,000, ANALYZE, then one worker at ` +
    `concurrency 10 drains them (from the first job's start until none is left; cut at ` +
    `${sizes.drainBoxSeconds} s, the rate being what was done by then). After the smaller drain the idle ` +
    `worker gets ${sizes.pickupSamples} jobs one at a time, 20 ms apart (plus a random part of the ` +
    `polling interval for pollers): insert → handler start on this machine's clock (Conveyor: its ` +
    `worker's \`started\` log line as it arrives on the pipe), and insert → lock on the database clock ` +
    `(created_at → started_at; pg-boss created_on → started_on; graphile-worker created_at → locked_at). ` +
    `Conveyor's worker is a separate process logging at info (JOB_LOG_LEVEL info, the default) to a ` +
    `pipe; the peers' workers run in the benchmark process.`,
  systems: () => QUEUE_SYSTEMS,
  async run(context, system, _round) {
    const { sizes } = context;
    for (const index of [0, 1] as const) {
      const jobs = sizes.drains[index];
      const samples = index === 0 ? sizes.pickupSamples : 0;
      const { drain, pickup } = isPeer(system)
        ? await peerDrain(context, system, jobs, samples)
        : await conveyorDrain(context, jobs, samples);
      record(context, system, jobs, index, drain);
      if (pickup) recordPickup(context, system, pickup);
      else if (samples > 0)
        context.results.note(
          'queue',
          `${SYSTEM_LABELS[system]}: no pickup measured in a round whose drain was cut.`,
        );
    }
  },
};
