import 'reflect-metadata';
import http from 'node:http';
import { Pool } from 'pg';
import PgBoss from 'pg-boss';
import { displayPrefix, generateApiKey, hashApiKey } from '../../backend/src/auth/api-key-secret';
import { migrateUp } from '../../backend/src/database/migrator';
import { startApi, stopApi } from './bench-api';
import { openBenchDatabase } from './bench-database';
import { dropDatabase, installedVersion, recreateDatabase } from './bench-peer-harness';
import { meterPhase, postgresPids } from './bench-cpu';
import { percentile, wholeNumberArg } from './bench-stats';

const BENCH_DB = 'conveyor_bench_submit';
const PG_BOSS_DB = 'bench_pgboss_submit';
const CLIENTS = 20;
const SINGLE_REQUESTS = 20_000;
const BATCH_SIZE = 100;
const BATCH_REQUESTS = 400;

/** Runs `total` calls of `call` from `clients` concurrent loops; returns calls/s and latency percentiles. */
async function load(clients: number, total: number, call: (i: number) => Promise<void>) {
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
    calls: total,
    seconds: +seconds.toFixed(2),
    calls_per_second: Math.round(total / seconds),
    p50_ms: +percentile(latencies, 50).toFixed(2),
    p99_ms: +percentile(latencies, 99).toFixed(2),
  };
}

/**
 * The yardstick: pg-boss's in-process `send()` from the same number of concurrent callers, in its
 * own fresh database on the same server, with a pool as large as the callers so that none waits
 * for a connection (its default is 10). No HTTP, no auth, no rate limit: a lower bound on what a
 * service in front of it would cost.
 */
async function pgBossSend(serverUrl: string, postgres: () => Promise<number[]>) {
  const url = await recreateDatabase(serverUrl, PG_BOSS_DB);
  const boss = new PgBoss({ connectionString: url, max: CLIENTS, schedule: false, supervise: false });
  boss.on('error', (error) => console.error('pg-boss:', error));
  await boss.start();
  await boss.createQueue('bench');
  const send = async (payload: object) => {
    if (!(await boss.send('bench', payload))) throw new Error('pg-boss did not create the job');
  };
  await load(CLIENTS, 500, () => send({ n: 0 }));
  const meter = await meterPhase({ postgres });
  const result = await load(CLIENTS, SINGLE_REQUESTS, (i) => send({ to: `user${i}@example.com` }));
  const cpu = await meter.stop(SINGLE_REQUESTS);
  await boss.stop({ graceful: false, wait: true });
  await dropDatabase(serverUrl, PG_BOSS_DB);
  return { version: installedVersion('pg-boss'), ...result, cpu_per_call: cpu };
}

/**
 * `npm run bench:submit [-- --api-processes N]`: submissions over HTTP to one API process (or N,
 * requests dealt round-robin, as a load balancer would) on the same PostgreSQL, with 20
 * concurrent keep-alive clients: one job per request (POST /api/v1/jobs), then 100 jobs per
 * request (POST /api/v1/jobs/batch), then pg-boss's send() as the yardstick. The tenant's rate
 * limit is raised out of the way, but the bucket is still consulted on every request, as in
 * production. Where PostgreSQL runs on this machine, each phase also reports the CPU time per
 * call of every process involved, from /proc.
 */
async function main(): Promise<void> {
  const scratch = await openBenchDatabase(BENCH_DB);
  const { target, admin } = scratch;
  const url = new URL(scratch.url);
  await migrateUp(url.toString());
  const pool = new Pool({ connectionString: url.toString(), max: 2 });
  const [{ id: tenantId }] = (
    await pool.query(
      `INSERT INTO tenants (name, rate_limit_per_second, rate_limit_burst) VALUES ('bench', 1000000, 1000000) RETURNING id`,
    )
  ).rows;
  const key = generateApiKey();
  await pool.query(`INSERT INTO api_keys (tenant_id, key_hash, prefix) VALUES ($1, $2, $3)`, [
    tenantId,
    hashApiKey(key),
    displayPrefix(key),
  ]);

  const apis = await Promise.all(
    Array.from({ length: wholeNumberArg(process.argv.slice(2), 'api-processes', 1) }, () =>
      startApi(url.toString()),
    ),
  );

  // node:http with a keep-alive agent rather than fetch: fetch took half a core of this machine
  // for the client alone, CPU the API and PostgreSQL on the same two cores then lacked.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const post = (route: string, body: unknown, expected: number, i = 0) =>
    new Promise<void>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const request = http.request(
        `${apis[i % apis.length].base}${route}`,
        {
          method: 'POST',
          agent,
          headers: {
            Authorization: `Bearer ${key}`,
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(payload),
          },
        },
        (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === expected
              ? resolve()
              : reject(new Error(`${route}: HTTP ${response.statusCode}`)),
          );
        },
      );
      request.on('error', reject);
      request.end(payload);
    });

  // Warm up connections, prepared statements and the key cache.
  await load(CLIENTS, 500, (i) => post('/api/v1/jobs', { type: 'email', payload: { n: 0 } }, 201, i));
  const postgres = () => postgresPids(admin);
  const meter = await meterPhase({ api: async () => apis.map(({ child }) => child.pid!), postgres });
  const single = await load(CLIENTS, SINGLE_REQUESTS, (i) =>
    post('/api/v1/jobs', { type: 'email', payload: { to: `user${i}@example.com` } }, 201, i),
  );
  const singleCpu = await meter.stop(SINGLE_REQUESTS);
  const batchBody = {
    jobs: Array.from({ length: BATCH_SIZE }, (_, i) => ({ type: 'email', payload: { n: i } })),
  };
  const batch = await load(CLIENTS, BATCH_REQUESTS, (i) => post('/api/v1/jobs/batch', batchBody, 201, i));
  agent.destroy();
  await Promise.all(apis.map(({ child }) => stopApi(child)));
  const pgBoss = await pgBossSend(target.url, postgres);
  const serviceCpu = (figures: Record<string, number | undefined>, own: string) =>
    figures.postgres_cpu_ms === undefined ? undefined : figures[own]! + figures.postgres_cpu_ms;
  const conveyorCpu = serviceCpu(singleCpu, 'api_cpu_ms');
  const pgBossCpu = serviceCpu(pgBoss.cpu_per_call, 'bench_process_cpu_ms');

  console.log(
    JSON.stringify(
      {
        clients: CLIENTS,
        api_processes: apis.length,
        one_job_per_request: { ...single, jobs_per_second: single.calls_per_second, cpu_per_call: singleCpu },
        batch_of_100: { ...batch, jobs_per_second: batch.calls_per_second * BATCH_SIZE },
        pg_boss_send: pgBoss,
        conveyor_per_pg_boss_send: +(single.calls_per_second / pgBoss.calls_per_second).toPrecision(2),
        // Jobs per CPU-second of the service (API + PostgreSQL for Conveyor; the calling process,
        // where pg-boss runs, + PostgreSQL for pg-boss): what the ratio becomes once cores are
        // not shared with the clients and API replicas each get their own.
        conveyor_per_pg_boss_send_per_cpu:
          conveyorCpu && pgBossCpu ? +(pgBossCpu / conveyorCpu).toPrecision(2) : 'unmeasured (no /proc)',
      },
      null,
      2,
    ),
  );

  await pool.end();
  await scratch.drop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
