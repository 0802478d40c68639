import { type ChildProcess } from 'node:child_process';
import { type Client } from 'pg';
import { startApi, stopApi } from '../bench-api';
import { meterPhase, postgresPids } from '../bench-cpu';
import { percentile } from '../bench-stats';
import { ApiClient, CONVEYOR_TEMPLATE, ConveyorDatabase, noopJob } from './conveyor';
import { type BenchContext, type Metric, type Scenario, type Sizes, type SystemId, SYSTEMS } from './model';
import { openPeer } from './peers';
import { connect } from './server';

/** Runs `total` calls of `call` from `clients` concurrent loops; returns calls/s and latency percentiles. */
export async function load(clients: number, total: number, call: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await call(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    callsPerSecond: total / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const metrics = (sizes: Sizes) => {
  const single = `one job per call, ${sizes.callers} callers`;
  return {
    single: { key: 'single_jobs_per_second', label: `${single}: jobs/s`, unit: 'jobs/s', better: 'higher' },
    singleP50: { key: 'single_p50_ms', label: `${single}: call p50`, unit: 'ms', better: 'lower' },
    singleP99: { key: 'single_p99_ms', label: `${single}: call p99`, unit: 'ms', better: 'lower' },
    batch: {
      key: 'batch_jobs_per_second',
      label: `batches of ${sizes.batchSize.toLocaleString('en')}, ${sizes.batchCallers} callers: jobs/s`,
      unit: 'jobs/s',
      better: 'higher',
    },
    batchMinimal: {
      key: 'batch_minimal_jobs_per_second',
      label: `batches of ${sizes.batchSize.toLocaleString('en')}, ${sizes.batchCallers} callers, the least answer each offers (Conveyor's API: Prefer: return=minimal): jobs/s`,
      unit: 'jobs/s',
      better: 'higher',
    },
    apiCpu: {
      key: 'api_cpu_ms_per_job',
      label: `${single}: API process CPU per job`,
      unit: 'ms',
      better: 'lower',
    },
    serviceCpu: {
      key: 'single_jobs_per_cpu_second',
      label: `${single}: jobs per CPU-second of the service (the API or the caller's process, and PostgreSQL)`,
      unit: 'jobs/CPU-s',
      better: 'higher',
    },
  } satisfies Record<string, Metric>;
};

interface Target {
  single(i: number): Promise<unknown>;
  batch(): Promise<unknown>;
  /** A batch answered as briefly as the system can: the API's return=minimal; a library's only call. */
  batchMinimal?(): Promise<unknown>;
  /** The API process, whose CPU per job is measured (HTTP only). */
  api?: ChildProcess;
  close(): Promise<void>;
}

interface State {
  targets: Map<SystemId, Target>;
  /** Lists the server's processes, whose CPU counts in the service's (pg_stat_activity). */
  admin: Client;
}

async function openTarget(context: BenchContext, system: SystemId): Promise<Target> {
  const { server, sizes } = context;
  if (system === 'conveyor' || system === 'conveyor-http') {
    const database = await server.database(`submit_${system}`, CONVEYOR_TEMPLATE);
    const conveyor = ConveyorDatabase.open(database.url);
    const tenant = await conveyor.tenant('bench');
    if (system === 'conveyor') {
      const batch = () =>
        conveyor.queue.insertMany(Array.from({ length: sizes.batchSize }, () => noopJob(tenant.id)));
      return {
        // One-job submissions go through insertOne, as the API's do (committed in groups).
        single: () => conveyor.queue.insertOne(noopJob(tenant.id)),
        batch,
        async close() {
          await conveyor.close();
          await database.drop();
        },
      };
    }
    const { child, base } = await startApi(database.url, {}, true);
    const client = new ApiClient(base, tenant.key, Math.max(sizes.callers, sizes.batchCallers));
    const job = { type: 'default', payload: { duration_ms: 0 } };
    const batchBody = { jobs: Array.from({ length: sizes.batchSize }, () => job) };
    return {
      single: () => client.post('/api/v1/jobs', job),
      batch: () => client.post('/api/v1/jobs/batch', batchBody),
      batchMinimal: () => client.post('/api/v1/jobs/batch', batchBody, 201, { Prefer: 'return=minimal' }),
      api: child,
      async close() {
        client.close();
        await stopApi(child);
        await conveyor.close();
        await database.drop();
      },
    };
  }
  const { peer, close } = await openPeer(server, system, 'submit', sizes.callers);
  context.results.setup('submit', system, peer.settings);
  const batch = () => peer.enqueueBulk(sizes.batchSize);
  return { single: () => peer.enqueueOne(), batch, batchMinimal: batch, close };
}

/**
 * Enqueue throughput: one job per call from `callers` concurrent callers (Conveyor's JobQueue
 * submit path in process and its HTTP API, pg-boss send(), graphile-worker addJob), then batches
 * (Conveyor's batch endpoint and insertMany, pg-boss insert, graphile-worker addJobs). Each
 * system keeps one fresh database for the scenario, so every round inserts into a table holding
 * the same number of earlier rows for all of them.
 */
export const submitScenario: Scenario<State> = {
  id: 'submit',
  title: 'Enqueue and HTTP submit',
  describe: (sizes) =>
    `Per round and system: ${sizes.singleCalls.toLocaleString('en')} one-job calls from ${sizes.callers} ` +
    `concurrent callers (after a warm-up), then ${sizes.batches} batches of ${sizes.batchSize.toLocaleString('en')} ` +
    `from ${sizes.batchCallers} callers, and as many again answered as briefly as each system can (the API's ` +
    `Prefer: return=minimal; the libraries' one call again). Conveyor in process: JobQueue.insertOne (one-job submissions are ` +
    `committed in groups, as the API does) and insertMany on a pool like the API's; over HTTP: POST /api/v1/jobs ` +
    `and /api/v1/jobs/batch to one API process from keep-alive connections. Peers: pg-boss send()/insert(), ` +
    `graphile-worker addJob()/addJobs(), in this process. CPU is read from /proc: the API process's per job, ` +
    `and the service's per job, PostgreSQL's processes plus the API process (HTTP) or this process, where ` +
    `the library and its callers run (in process; the callers' loop is a small part of it), to compare ` +
    `what a job costs on a machine where the CPU, not the latency, is the limit. Without a local ` +
    `PostgreSQL (its processes not readable here) the service's figure is left out.`,
  systems: () => SYSTEMS,
  setup: async (context) => ({ targets: new Map(), admin: await connect(context.server.adminUrl) }),
  async run(context, system, _round, state) {
    const { sizes, results } = context;
    const m = metrics(sizes);
    let target = state.targets.get(system);
    if (!target) {
      target = await openTarget(context, system);
      state.targets.set(system, target);
      // Connections, prepared statements and the API's key cache warm up before anything is timed.
      await load(sizes.callers, Math.min(100, sizes.singleCalls), (i) => target!.single(i));
    }
    const api = target.api;
    const meter = await meterPhase({
      postgres: () => postgresPids(state.admin),
      ...(api ? { api: async () => [api.pid!] } : {}),
    });
    const single = await load(sizes.callers, sizes.singleCalls, (i) => target.single(i));
    const cpu = await meter.stop(sizes.singleCalls);
    results.add(this.id, m.single, system, Math.round(single.callsPerSecond));
    results.add(this.id, m.singleP50, system, +single.p50.toFixed(2));
    results.add(this.id, m.singleP99, system, +single.p99.toFixed(2));
    if (api) results.add(this.id, m.apiCpu, system, cpu.api_cpu_ms);
    const serviceMs = api ? cpu.api_cpu_ms : cpu.bench_process_cpu_ms;
    if (serviceMs !== undefined && cpu.postgres_cpu_ms !== undefined)
      results.add(this.id, m.serviceCpu, system, Math.round(1000 / (serviceMs + cpu.postgres_cpu_ms)));
    const batch = await load(sizes.batchCallers, sizes.batches, () => target.batch());
    results.add(this.id, m.batch, system, Math.round(batch.callsPerSecond * sizes.batchSize));
    if (target.batchMinimal) {
      const minimal = await load(sizes.batchCallers, sizes.batches, () => target.batchMinimal!());
      results.add(this.id, m.batchMinimal, system, Math.round(minimal.callsPerSecond * sizes.batchSize));
    }
  },
  async teardown(_context, state) {
    for (const target of state.targets.values()) await target.close();
    await state.admin.end();
  },
};
