import 'reflect-metadata';
import { Pool } from 'pg';
import { io } from 'socket.io-client';
import { displayPrefix, generateApiKey, hashApiKey } from '../../backend/src/auth/api-key-secret';
import { migrateUp } from '../../backend/src/database/migrator';
import { EVENTS_NAMESPACE, type JobEvent } from '../../contracts/src/event-map';
import { JobQueue } from '../../backend/src/queue/job-queue';
import { type NewJob } from '../../backend/src/queue/queue.sql';
import { startApi, stopApi } from './bench-api';
import { loadConfigOrExit } from '../../backend/src/common/process-lifecycle';
import { openBenchDatabase } from './bench-database';
import { cpuSecondsOfPid } from './bench-cpu';
import { percentile, sleep } from './bench-stats';

const BENCH_DB = 'conveyor_bench_events';
const AT_REST_SAMPLES = 200;
const LOAD_SECONDS = 10;
const EVENTS_PER_SECOND = 1_000;

const delayedJob = (tenantId: string): NewJob => ({
  tenantId,
  queue: 'default',
  type: 'default',
  payload: {},
  priority: 0,
  // Not due for an hour: no worker runs here, the events are what is measured.
  runAt: new Date(Date.now() + 3_600_000),
  maxAttempts: 4,
  idempotencyKey: null,
  traceId: null,
});

interface Phase {
  name: string;
  events: number;
  frames: number;
  seconds: number;
  latency_ms: { p50: number; p95: number; p99: number };
  api_cpu_percent: number;
}

/**
 * `npm run bench:events`: latency from commit to socket frame, frames per second, and the API
 * process's CPU, with one socket.io client on one API process: at rest (one job every 50 ms),
 * and at 1,000 events/s sent as 10-row statements and as single-row statements. Latency is
 * measured from the change's transaction start (the event's `at`) to the frame's arrival, on
 * one machine's clock, so it slightly overstates commit-to-frame.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const scratch = await openBenchDatabase(BENCH_DB);
  const url = new URL(scratch.url);
  await migrateUp(url.toString());
  const pool = new Pool({ connectionString: url.toString(), max: 8 });
  const queue = new JobQueue(pool);
  const [{ id: tenantId }] = (await pool.query(`INSERT INTO tenants (name) VALUES ('bench') RETURNING id`))
    .rows;
  const key = generateApiKey();
  await pool.query(`INSERT INTO api_keys (tenant_id, key_hash, prefix) VALUES ($1, $2, $3)`, [
    tenantId,
    hashApiKey(key),
    displayPrefix(key),
  ]);

  const { child: api, base } = await startApi(url.toString());

  const socket = io(`${base}${EVENTS_NAMESPACE}`, {
    auth: { token: key },
    transports: ['websocket'],
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  let latencies: number[] = [];
  let frames = 0;
  socket.on('events', (batch: JobEvent[]) => {
    const now = Date.now();
    frames++;
    for (const event of batch) latencies.push(now - Date.parse(event.at));
  });

  const phase = async (name: string, expected: number, run: () => Promise<void>): Promise<Phase> => {
    latencies = [];
    frames = 0;
    const cpuBefore = cpuSecondsOfPid(api.pid!)!;
    const started = Date.now();
    await run();
    while (latencies.length < expected) await sleep(10);
    const seconds = (Date.now() - started) / 1000;
    const cpu = cpuSecondsOfPid(api.pid!)! - cpuBefore;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      name,
      events: latencies.length,
      frames,
      seconds: +seconds.toFixed(2),
      latency_ms: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) },
      api_cpu_percent: Math.round((cpu / seconds) * 100),
    };
  };

  /** `rows` rows per statement, `EVENTS_PER_SECOND` rows a second, for LOAD_SECONDS, paced by the clock. */
  const steadyLoad = (rows: number) => async () => {
    const statementsPerSecond = EVENTS_PER_SECOND / rows;
    const total = statementsPerSecond * LOAD_SECONDS;
    const started = Date.now();
    const inFlight: Array<Promise<unknown>> = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / statementsPerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      inFlight.push(queue.insertMany(Array.from({ length: rows }, () => delayedJob(tenantId))));
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
  };

  const results: Phase[] = [];
  results.push(
    await phase('at rest: one job every 50 ms', AT_REST_SAMPLES, async () => {
      for (let i = 0; i < AT_REST_SAMPLES; i++) {
        await queue.insertMany([delayedJob(tenantId)]);
        await sleep(50);
      }
    }),
  );
  results.push(
    await phase('1,000 events/s as 10-row statements', EVENTS_PER_SECOND * LOAD_SECONDS, steadyLoad(10)),
  );
  results.push(
    await phase('1,000 events/s as single-row statements', EVENTS_PER_SECOND * LOAD_SECONDS, steadyLoad(1)),
  );
  console.log(JSON.stringify({ events_flush_ms: config.EVENTS_FLUSH_MS, phases: results }, null, 2));

  socket.disconnect();
  await stopApi(api);
  await pool.end();
  await scratch.drop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
