import { randomUUID } from 'node:crypto';
import { startWorker, type WorkerProcess } from '../bench-api';
import { startCpuMeter, startServerCpuMeter } from '../bench-cpu';
import { fmt, latencySummary, sleep } from '../bench-stats';
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

export const drainMetric = (jobs: number, index: 0 | 1): Metric => ({
  key: index === 0 ? 'drain_small_jobs_per_second' : 'drain_large_jobs_per_second',
  label: `drain of ${fmt(jobs)} jobs: jobs/s`,
  unit: 'jobs/s',
  better: 'higher',
});

export const drainCpuMetric = (jobs: number, index: 0 | 1): Metric => ({
  key: index === 0 ? 'drain_small_jobs_per_cpu_second' : 'drain_large_jobs_per_cpu_second',
  label: `drain of ${fmt(jobs)} jobs: jobs per CPU-second of the worker and PostgreSQL`,
  unit: 'jobs/CPU-s',
  better: 'higher',
});

/** CPU seconds over a drain: the worker's process (or this one, for a peer) and PostgreSQL's. */
interface DrainCpu {
  worker: number;
  postgres: number;
}

/** Microseconds of CPU a drained job costs in one part: the worker's, or PostgreSQL's. */
export const drainCpuPartMetric = (jobs: number, index: 0 | 1, part: keyof DrainCpu): Metric => ({
  key: `${index === 0 ? 'drain_small' : 'drain_large'}_${part}_cpu_us_per_job`,
  label:
    part === 'worker'
      ? `drain of ${fmt(jobs)} jobs: the worker's CPU per job (a peer's: this process's)`
      : `drain of ${fmt(jobs)} jobs: PostgreSQL's CPU per job`,
  unit: 'µs',
  better: 'lower',
});

/**
 * CPU seconds, from /proc, of the worker and of the PostgreSQL server's processes over a drain:
 * `worker` lists the worker's process, or is undefined for a worker in this process (its CPU is
 * this process's). Undefined where /proc cannot tell (a server elsewhere).
 */
async function meterDrain(url: string, worker?: number) {
  const client = await connect(url);
  const postgres = await startServerCpuMeter(client);
  const workerMeter = worker === undefined ? undefined : await startCpuMeter(async () => [worker]);
  const own = process.cpuUsage();
  return {
    async stop(): Promise<DrainCpu | undefined> {
      try {
        const workerSeconds =
          workerMeter === undefined
            ? (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(own))
            : await workerMeter.stop();
        const postgresSeconds = await postgres.stop();
        return workerSeconds === undefined || postgresSeconds === undefined
          ? undefined
          : { worker: workerSeconds, postgres: postgresSeconds };
      } finally {
        await client.end();
      }
    },
  };
}

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

const floorMetrics = (['p50', 'p95'] as const).map((p): Metric => ({
  key: `pickup_floor_db_${p}_ms`,
  label: `idle pickup floor, a bare INSERT and NOTIFY → a listening client's next statement (database clock): ${p}`,
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
  /** CPU seconds of the worker and of PostgreSQL over the drain (meterDrain). */
  cpu?: DrainCpu;
}

interface Pickup {
  handler: number[];
  database: number[];
}

/** Both drains of a round, the first followed by the idle pickup (when it finished in time). */
interface Round {
  drains: Drain[];
  pickup?: Pickup;
  /** The same server's floor for an idle pickup (Conveyor's rounds only), insert → update in ms. */
  floor?: number[];
}

/**
 * Conveyor, one database and one worker process (concurrency 10) for the round. For each drain
 * the worker is frozen (SIGSTOP) while the backlog is inserted and ANALYZEd, then let go
 * (SIGCONT): it wakes on the NOTIFYs it missed, as it would on a backlog that appeared at once.
 * The drain runs from the first job's start to the last one's completion, both heard as job
 * events. One process boot a round instead of one a drain: on 2 busy cores a boot takes seconds.
 */
export async function conveyorRound(context: BenchContext, pickupSamples: number): Promise<Round> {
  const { sizes } = context;
  const database = await context.server.database('queue_conveyor', CONVEYOR_TEMPLATE);
  const conveyor = ConveyorDatabase.open(database.url);
  const events = await JobEventCounter.listen(database.url);
  const worker = startWorker(database.url, WORKER_ENV);
  const round: Round = { drains: [] };
  try {
    const tenant = await conveyor.tenant('bench');
    if (
      (await within(
        worker.ready.then(() => true),
        120_000,
      )) === undefined
    )
      throw new Error('the Conveyor worker was not ready within 120 s');
    for (const jobs of sizes.drains) {
      worker.child.kill('SIGSTOP');
      let cpu: Awaited<ReturnType<typeof meterDrain>>;
      let completedBefore: number;
      let started: Promise<number>;
      try {
        await conveyor.insertBacklog(tenant.id, jobs);
        await conveyor.analyze();
        // Armed while the worker is still frozen: once let go it may finish its first jobs before
        // this process's next await returns, and a completion counted before the baseline left
        // the drain one short of its target, waiting out the time box (seen: 19,999 of 20,000).
        cpu = await meterDrain(database.url, worker.child.pid);
        completedBefore = events.completed;
        started = events.nextStarted();
      } finally {
        worker.child.kill('SIGCONT');
      }
      const start = await within(started, 60_000);
      if (start === undefined) throw new Error('the Conveyor worker started no job within 60 s');
      const done = await events.until(
        () => events.completed - completedBefore,
        jobs,
        sizes.drainBoxSeconds * 1000,
      );
      const seconds = (performance.now() - start) / 1000;
      round.drains.push({
        completed: events.completed - completedBefore,
        seconds,
        boxed: !done,
        cpu: await cpu.stop(),
      });
      // A backlog left by the time box would run into the next phase: the round ends here.
      if (!done) break;
      if (round.drains.length === 1 && pickupSamples > 0) {
        round.pickup = await conveyorPickup(conveyor, events, worker, tenant.id, pickupSamples);
        round.floor = await pickupFloor(database.url, pickupSamples);
      }
    }
    return round;
  } finally {
    await worker.stop(1_000);
    await events.close();
    await conveyor.close();
    await database.drop();
  }
}

async function conveyorPickup(
  conveyor: ConveyorDatabase,
  events: JobEventCounter,
  worker: WorkerProcess,
  tenantId: string,
  samples: number,
): Promise<Pickup> {
  // The worker writes at most 200 routine lifecycle lines a second of the clock: waiting for the
  // next second lets the drain's pass, so every pickup's `started` line is written.
  await sleep(1_010 - (Date.now() % 1_000));
  const handler: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < samples; i++) {
    const id = randomUUID();
    const started = new Promise<number>((resolve) => {
      worker.onStarted = (jobId) => jobId === id && resolve(performance.now());
    });
    const completed = events.completion(id, 30_000);
    const sent = performance.now();
    await conveyor.queue.insertMany([noopJob(tenantId)], [id]);
    const at = await within(started, 10_000);
    if (at !== undefined) handler.push(at - sent);
    if (!(await completed)) throw new Error(`pickup job ${id} did not complete within 30 s`);
    ids.push(id);
    await sleep(20); // let the worker go idle again
  }
  return { handler, database: await conveyor.databasePickupMs(ids) };
}

/**
 * What PostgreSQL alone takes for an idle pickup on this server, with no queue around it: a
 * statement inserts a row and NOTIFYs its id; a client LISTENing hears it and at once has a second
 * session stamp the row (as a worker hears on its listener and claims on its pool). started_at -
 * created_at spans what every LISTEN/NOTIFY queue pays: the insert, its commit (and WAL flush), the
 * notification's delivery, waking the listener's process and the stamping session's backend.
 */
async function pickupFloor(url: string, samples: number): Promise<number[]> {
  const [inserter, listener, stamper] = await Promise.all([connect(url), connect(url), connect(url)]);
  try {
    await inserter.query(
      `CREATE TABLE pickup_floor (id int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz)`,
    );
    await listener.query('LISTEN pickup_floor');
    const stamped = new Map<number, () => void>();
    listener.on('notification', ({ payload }) => {
      const id = Number(payload);
      void stamper
        .query('UPDATE pickup_floor SET started_at = now() WHERE id = $1', [id])
        .then(() => stamped.get(id)?.());
    });
    for (let id = 1; id <= samples; id++) {
      const done = new Promise<void>((resolve) => stamped.set(id, resolve));
      await inserter.query(
        `WITH row AS (INSERT INTO pickup_floor (id) VALUES ($1) RETURNING id) SELECT pg_notify('pickup_floor', id::text) FROM row`,
        [id],
      );
      if (
        (await within(
          done.then(() => true),
          10_000,
        )) === undefined
      )
        throw new Error('the pickup floor heard no NOTIFY within 10 s');
      await sleep(20); // as apart as the pickup jobs
    }
    const { rows } = await inserter.query<{ ms: number }>(
      `SELECT extract(epoch FROM started_at - created_at)::float8 * 1000 AS ms FROM pickup_floor`,
    );
    return rows.map((row) => row.ms);
  } finally {
    await Promise.all([inserter.end(), listener.end(), stamper.end()]);
  }
}

/**
 * A peer, one database for the round as Conveyor has: for each drain the backlog is inserted
 * with its bulk API and ANALYZEd, then its worker (in this process) drains it, from the first
 * handler call until the database shows none unfinished (polled every 20 ms), and is stopped.
 * After the first drain the idle worker gets the pickup jobs; a drain cut by the time box has
 * its waiting jobs deleted first, so that the worker is idle and the next drain starts clean.
 */
export async function peerRound(
  context: BenchContext,
  system: SystemId,
  pickupSamples: number,
): Promise<Round> {
  const { sizes } = context;
  const { peer, database, close } = await openPeer(context.server, system, 'queue');
  const round: Round = { drains: [] };
  try {
    context.results.setup('queue', system, peer.settings);
    for (const jobs of sizes.drains) {
      for (let i = 0; i < jobs; i += 1_000) await peer.enqueueBulk(Math.min(1_000, jobs - i));
      await analyze(database);
      const completedBefore = round.drains.length === 0 ? 0 : await peer.completedCount();
      let firstStart!: (at: number) => void;
      const started = new Promise<number>((resolve) => (firstStart = resolve));
      let onStart = (_jobId: string) => {
        onStart = () => {};
        firstStart(performance.now());
      };
      const cpu = await meterDrain(database.url);
      await peer.startWorker((jobId) => onStart(jobId));
      const drainStart = await within(started, 60_000);
      if (drainStart === undefined) throw new Error(`${system} started no job within 60 s`);
      const deadline = drainStart + sizes.drainBoxSeconds * 1000;
      let done = false;
      while (!(done = !(await peer.anyUnfinished())) && performance.now() < deadline) await sleep(20);
      const seconds = (performance.now() - drainStart) / 1000;
      const drainCpu = await cpu.stop();
      const completed = done ? jobs : (await peer.completedCount()) - completedBefore;
      round.drains.push({ completed, seconds, boxed: !done, cpu: drainCpu });
      if (!done) {
        await peer.discardWaiting();
        while (await peer.anyUnfinished()) await sleep(20);
      }
      if (round.drains.length === 1 && pickupSamples > 0) {
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
        round.pickup = { handler, database: databaseMs };
      }
      await peer.stopWorker();
    }
    return round;
  } finally {
    await close();
  }
}

function record(context: BenchContext, system: SystemId, jobs: number, index: 0 | 1, drain: Drain) {
  context.results.add('queue', drainMetric(jobs, index), system, Math.round(drain.completed / drain.seconds));
  const { cpu } = drain;
  if (cpu !== undefined && cpu.worker + cpu.postgres > 0 && drain.completed > 0) {
    context.results.add(
      'queue',
      drainCpuMetric(jobs, index),
      system,
      Math.round(drain.completed / (cpu.worker + cpu.postgres)),
    );
    for (const part of ['worker', 'postgres'] as const)
      context.results.add(
        'queue',
        drainCpuPartMetric(jobs, index, part),
        system,
        Math.round((cpu[part] / drain.completed) * 1e6),
      );
  }
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
    `Per round and system, one fresh database and one worker at concurrency 10: ${fmt(sizes.drains[0])} ` +
    `no-op jobs inserted in statements of 1,000 and ANALYZEd with the worker held (Conveyor's process ` +
    `frozen with SIGSTOP, the peers' workers not started), then drained, from the first job's start until ` +
    `none is left (cut at ${sizes.drainBoxSeconds} s, the rate being what was done by then; waiting jobs ` +
    `left by the cut are deleted). The idle worker then gets ${sizes.pickupSamples} jobs one at a time, ` +
    `20 ms apart (plus a random part of the polling interval for pollers): insert → handler start on this ` +
    `machine's clock (Conveyor: its worker's \`started\` log line as it arrives on the pipe) and insert → lock ` +
    `on the database clock (created_at → started_at; pg-boss created_on → started_on; graphile-worker ` +
    `created_at → locked_at). Then ${fmt(sizes.drains[1])} jobs the same way on the same database. ` +
    `In Conveyor's rounds, after its pickup, the floor of an idle pickup on the same server, as many ` +
    `samples as apart: a bare INSERT that NOTIFYs, a listening client that at once stamps the row from a ` +
    `second session (created_at → started_at, no queue, no worker). ` +
    `Conveyor's worker is the built process logging at info (JOB_LOG_LEVEL info, the default) to a pipe; ` +
    `the peers' workers run in the benchmark process, as their libraries do. CPU over each drain from ` +
    `/proc: the worker's (Conveyor's process; for a peer this process's, which also polls for the end ` +
    `every 20 ms) plus the PostgreSQL server's processes, and each of the two per job; a drain's jobs per CPU-second tells what it ` +
    `would reach with the cores to itself, its jobs/s how well it uses the ones it has.`,
  systems: () => QUEUE_SYSTEMS,
  async run(context, system) {
    const { sizes } = context;
    const round = isPeer(system)
      ? await peerRound(context, system, sizes.pickupSamples)
      : await conveyorRound(context, sizes.pickupSamples);
    round.drains.forEach((drain, index) =>
      record(context, system, sizes.drains[index], index as 0 | 1, drain),
    );
    if (round.drains.length < 2)
      context.results.note(
        'queue',
        `${SYSTEM_LABELS[system]}: its first drain was cut, so a round had no second drain.`,
      );
    if (round.pickup) recordPickup(context, system, round.pickup);
    else if (sizes.pickupSamples > 0)
      context.results.note(
        'queue',
        `${SYSTEM_LABELS[system]}: no pickup measured in a round whose first drain was cut.`,
      );
    if (round.floor) {
      const floor = latencySummary(round.floor);
      context.results.add('queue', floorMetrics[0], system, floor.p50);
      context.results.add('queue', floorMetrics[1], system, floor.p95);
    }
  },
};
