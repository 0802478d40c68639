import { type ChildProcess } from 'node:child_process';
import { io, type Socket } from 'socket.io-client';
import { EVENTS_NAMESPACE, type JobEvent } from '../../../contracts/src/event-map';
import { startApi, stopApi } from '../bench-api';
import { cpuSecondsOfPid } from '../bench-cpu';
import { latencySummary, sleep } from '../bench-stats';
import { CONVEYOR_TEMPLATE, ConveyorDatabase, noopJob } from './conveyor';
import { type Metric, type Scenario, type Sizes } from './model';
import { type ScratchDatabase } from './server';

interface State {
  database: ScratchDatabase;
  conveyor: ConveyorDatabase;
  tenantId: string;
  api: ChildProcess;
  socket: Socket;
  received: { latencies: number[] };
}

type Phase = 'rest' | 'load10' | 'load1';

const phaseLabel = (phase: Phase, sizes: Sizes) =>
  phase === 'rest'
    ? 'at rest (one event every 50 ms)'
    : `${sizes.eventsPerSecond.toLocaleString('en')} events/s as ${phase === 'load10' ? '10-row' : 'one-row'} statements`;

const latencyMetric = (phase: Phase, p: 'p50' | 'p95' | 'p99', sizes: Sizes): Metric => ({
  key: `${phase}_${p}_ms`,
  label: `commit → socket.io frame, ${phaseLabel(phase, sizes)}: ${p}`,
  unit: 'ms',
  better: 'lower',
});

const cpuMetric = (phase: Phase, sizes: Sizes): Metric => ({
  key: `${phase}_api_cpu_percent`,
  label: `API process CPU, ${phaseLabel(phase, sizes)}`,
  unit: '% of a core',
  better: 'lower',
});

/** Not due for an hour: no worker runs here, the events are what is measured. */
const laterJob = (tenantId: string) => noopJob(tenantId, { runAt: new Date(Date.now() + 3_600_000) });

/**
 * Latency from a job change's commit to the socket.io frame that carries its event, one client on
 * one API process: at rest, and at a steady rate of events as 10-row and as one-row statements.
 * Measured from the change's transaction start (the event's `at`) to the frame's arrival on one
 * machine's clock, so it slightly overstates commit → frame. One API and database for all rounds.
 */
export const eventsScenario: Scenario<State> = {
  id: 'events',
  title: 'Live events',
  describe: (sizes) =>
    `One API process, one socket.io client subscribed to its tenant's events. Per round: ` +
    `${sizes.eventsAtRest} jobs one at a time 50 ms apart, then ${sizes.eventsLoadSeconds} s at ` +
    `${sizes.eventsPerSecond.toLocaleString('en')} events/s as 10-row statements, then the same as ` +
    `one-row statements (at most 8 in flight). Latency from the change's transaction start (the ` +
    `event's \`at\`) to the frame's arrival; CPU of the API process from /proc.`,
  systems: () => ['conveyor-http'],
  async setup(context) {
    const database = await context.server.database('events', CONVEYOR_TEMPLATE);
    const conveyor = ConveyorDatabase.open(database.url);
    const tenant = await conveyor.tenant('bench');
    const { child: api, base } = await startApi(database.url, {}, true);
    const socket = io(`${base}${EVENTS_NAMESPACE}`, {
      auth: { token: tenant.key },
      transports: ['websocket'],
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const received = { latencies: [] as number[] };
    socket.on('events', (batch: JobEvent[]) => {
      const now = Date.now();
      for (const event of batch) received.latencies.push(now - Date.parse(event.at));
    });
    return { database, conveyor, tenantId: tenant.id, api, socket, received };
  },
  async run(context, system, _round, state) {
    const { sizes, results } = context;
    const { conveyor, tenantId, api, received } = state;

    const phase = async (name: Phase, expected: number, work: () => Promise<void>) => {
      received.latencies = [];
      const cpuBefore = cpuSecondsOfPid(api.pid!);
      const started = Date.now();
      await work();
      const deadline = Date.now() + 30_000;
      while (received.latencies.length < expected && Date.now() < deadline) await sleep(10);
      if (received.latencies.length < expected)
        throw new Error(`${received.latencies.length} of ${expected} events arrived within 30 s`);
      const seconds = (Date.now() - started) / 1000;
      const cpu = cpuSecondsOfPid(api.pid!);
      const summary = latencySummary(received.latencies);
      for (const p of ['p50', 'p95', 'p99'] as const)
        results.add(this.id, latencyMetric(name, p, sizes), system, summary[p]);
      if (name !== 'rest' && cpu !== undefined && cpuBefore !== undefined)
        results.add(this.id, cpuMetric(name, sizes), system, Math.round(((cpu - cpuBefore) / seconds) * 100));
    };

    /** `rows` rows per statement, eventsPerSecond rows a second, for eventsLoadSeconds, paced by the clock. */
    const steadyLoad = (rows: number) => async () => {
      const statementsPerSecond = sizes.eventsPerSecond / rows;
      const total = Math.round(statementsPerSecond * sizes.eventsLoadSeconds);
      const started = Date.now();
      const inFlight: Array<Promise<unknown>> = [];
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / statementsPerSecond;
        if (due > Date.now()) await sleep(due - Date.now());
        inFlight.push(conveyor.queue.insertMany(Array.from({ length: rows }, () => laterJob(tenantId))));
        if (inFlight.length >= 8) await inFlight.shift();
      }
      await Promise.all(inFlight);
    };

    await phase('rest', sizes.eventsAtRest, async () => {
      for (let i = 0; i < sizes.eventsAtRest; i++) {
        await conveyor.queue.insertMany([laterJob(tenantId)]);
        await sleep(50);
      }
    });
    const loadEvents = Math.round(sizes.eventsPerSecond * sizes.eventsLoadSeconds);
    await phase('load10', loadEvents, steadyLoad(10));
    await phase('load1', loadEvents, steadyLoad(1));
  },
  async teardown(_context, state) {
    // Everything that holds a session ends before the database is dropped: a session cut by the
    // drop raises an error on its client (a pool with no listener would crash the run).
    state.socket.disconnect();
    await stopApi(state.api);
    await state.conveyor.close();
    await state.database.drop();
  },
};
