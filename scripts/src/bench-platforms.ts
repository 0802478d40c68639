import 'reflect-metadata';
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { Pool } from 'pg';
import { displayPrefix, generateApiKey, hashApiKey } from '../../backend/src/auth/api-key-secret';
import { migrateUp } from '../../backend/src/database/migrator';
import { startApi, stopApi } from './bench-api';
import { meterPhase, postgresPids } from './bench-cpu';
import { openBenchDatabase, type BenchDatabase } from './bench-database';
import { ApiClient } from './bench/conveyor';
import { load } from './bench/scenario-submit';
import { wholeNumberArg } from './bench-stats';

const BENCH_DB = 'conveyor_bench_platforms';
const CLIENTS = 20;
const BARE_SERVER = path.resolve(__dirname, 'bench-platform-server.js');
const THIS_API = path.resolve(__dirname, '../../backend/src/main.api.js');

interface Target {
  name: string;
  base: string;
  route: string;
  body: (i: number) => unknown;
  expected: number;
  pid: number;
  /** Meter PostgreSQL's processes too (the real route writes a job). */
  database: boolean;
  stop(): Promise<void>;
}

interface Round {
  calls_per_second: number;
  p50_ms: number;
  p99_ms: number;
  server_cpu_ms?: number;
  postgres_cpu_ms?: number;
  client_cpu_ms?: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A bare Nest app on `platform` in its own process, answering POST /echo. */
async function bareTarget(platform: 'express' | 'fastify', batch?: number): Promise<Target> {
  const child = fork(BARE_SERVER, [platform], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`bare ${platform} server exited with ${code}`)));
  });
  return {
    name: `bare Nest on ${platform}`,
    base: `http://127.0.0.1:${port}`,
    route: '/echo',
    body: batch ? batchBody(batch) : (i) => ({ n: i, note: 'a small JSON body' }),
    expected: 200,
    pid: child.pid!,
    database: false,
    stop: () => stopChild(child),
  };
}

/** A tenant with its rate limit out of the way and an API key, on the migrated scratch database. */
async function benchTenantKey(url: string): Promise<string> {
  await migrateUp(url);
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const [{ id }] = (
      await pool.query(
        `INSERT INTO tenants (name, rate_limit_per_second, rate_limit_burst) VALUES ('bench', 1000000, 1000000) RETURNING id`,
      )
    ).rows;
    const key = generateApiKey();
    await pool.query(`INSERT INTO api_keys (tenant_id, key_hash, prefix) VALUES ($1, $2, $3)`, [
      id,
      hashApiKey(key),
      displayPrefix(key),
    ]);
    return key;
  } finally {
    await pool.end();
  }
}

const jobBody = (i: number) => ({ type: 'email', payload: { to: `user${i}@example.com` } });

/** A batch of `size` jobs, the n-th request's. */
const batchBody = (size: number) => (n: number) => ({
  jobs: Array.from({ length: size }, (_, i) => jobBody(n * size + i)),
});

/**
 * Conveyor's API process of one build (`entry`, its main.api.js), answering POST /api/v1/jobs, or
 * with `batch` POST /api/v1/jobs/batch of that many jobs (every job answered in full).
 */
async function apiTarget(name: string, entry: string, databaseUrl: string, batch?: number): Promise<Target> {
  const { child, base } = await startApi(databaseUrl, {}, true, entry);
  return {
    name: batch ? `POST /api/v1/jobs/batch of ${batch}, ${name}` : `POST /api/v1/jobs, ${name}`,
    base,
    route: batch ? '/api/v1/jobs/batch' : '/api/v1/jobs',
    body: batch ? batchBody(batch) : jobBody,
    expected: 201,
    pid: child.pid!,
    database: true,
    stop: () => stopApi(child),
  };
}

/** `--api NAME=PATH`, repeatable: more builds of the API to measure beside this one. */
function apiBuilds(args: string[]): Array<[string, string]> {
  const builds: Array<[string, string]> = [];
  args.forEach((arg, at) => {
    if (arg !== '--api') return;
    const [name, entry] = (args[at + 1] ?? '').split('=');
    if (!name || !entry) {
      console.error('--api needs NAME=PATH (a build of backend/src/main.api.js)');
      process.exit(1);
    }
    builds.push([name, path.resolve(entry)]);
  });
  return builds;
}

/**
 * `npm run bench:platforms [-- --requests N --rounds R --batch N --bare-only --api NAME=PATH ...]`: the
 * HTTP stack's floor and the real submission route, interleaved in one run. A bare Nest app on
 * Express and on Fastify answers a small JSON POST; then POST /api/v1/jobs of this build's API
 * (and of any other build given with --api, e.g. another branch's dist/, on the same database).
 * 20 keep-alive clients; each round measures every target in turn (the order reversed every
 * other round), and the medians of the rounds are reported: requests/s, latency, and CPU ms per
 * request of the server process (and of PostgreSQL for the real route), from /proc. With
 * `--batch N` every request carries N jobs, to POST /api/v1/jobs/batch on the real route.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const requests = wholeNumberArg(args, 'requests', 10_000);
  const rounds = wholeNumberArg(args, 'rounds', 3);
  // --batch N: every request a batch of N jobs (the bare apps parse the same body); unset, one job.
  const batch = args.includes('--batch') ? wholeNumberArg(args, 'batch', 1_000) : undefined;
  const targets: Target[] = [await bareTarget('express', batch), await bareTarget('fastify', batch)];
  let scratch: BenchDatabase | undefined;
  let key = 'unused';
  if (!args.includes('--bare-only')) {
    scratch = await openBenchDatabase(BENCH_DB);
    key = await benchTenantKey(scratch.url);
    for (const [name, entry] of [['this build', THIS_API], ...apiBuilds(args)] as Array<[string, string]>)
      targets.push(await apiTarget(name, entry, scratch.url, batch));
  }
  // Every request carries the key, the bare apps' too (they ignore it): the same request, header
  // for header, on the floor and on the real route.
  const clients = new Map(targets.map((target) => [target, new ApiClient(target.base, key, CLIENTS)]));
  const phase = (target: Target, total: number) =>
    load(CLIENTS, total, (i) => clients.get(target)!.post(target.route, target.body(i), target.expected));

  // Warm up: connections, JIT, prepared statements, the key cache.
  for (const target of targets) await phase(target, 1_000);
  const results = new Map<Target, Round[]>(targets.map((target) => [target, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const meter = await meterPhase({
        server: async () => [target.pid],
        ...(target.database && scratch ? { postgres: () => postgresPids(scratch!.admin) } : {}),
      });
      const { callsPerSecond, p50, p99 } = await phase(target, requests);
      const cpu = await meter.stop(requests);
      results.get(target)!.push({
        calls_per_second: Math.round(callsPerSecond),
        p50_ms: +p50.toFixed(2),
        p99_ms: +p99.toFixed(2),
        server_cpu_ms: cpu.server_cpu_ms,
        postgres_cpu_ms: cpu.postgres_cpu_ms,
        client_cpu_ms: cpu.bench_process_cpu_ms,
      });
      console.error(
        `round ${round + 1}: ${target.name}: ${Math.round(callsPerSecond)}/s, ${cpu.server_cpu_ms} ms CPU`,
      );
    }
  }
  for (const client of clients.values()) client.close();
  for (const target of targets) await target.stop();
  await scratch?.drop();

  const medianOf = (rows: Round[], field: keyof Round) => {
    const values = rows.map((row) => row[field]).filter((value): value is number => value !== undefined);
    return values.length === 0 ? undefined : +median(values).toFixed(3);
  };
  const summary = targets.map((target) => {
    const rows = results.get(target)!;
    return {
      target: target.name,
      requests_per_second: medianOf(rows, 'calls_per_second'),
      server_cpu_ms_per_request: medianOf(rows, 'server_cpu_ms'),
      postgres_cpu_ms_per_request: medianOf(rows, 'postgres_cpu_ms'),
      client_cpu_ms_per_request: medianOf(rows, 'client_cpu_ms'),
      p50_ms: medianOf(rows, 'p50_ms'),
      p99_ms: medianOf(rows, 'p99_ms'),
      rounds: rows,
    };
  });
  console.log(JSON.stringify({ clients: CLIENTS, requests_per_round: requests, rounds, summary }, null, 2));
  console.table(summary.map(({ rounds: _, ...figures }) => figures));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
