import 'reflect-metadata';
import { fork } from 'node:child_process';
import http from 'node:http';
import { Pool } from 'pg';
import { displayPrefix, generateApiKey, hashApiKey } from '../../backend/src/auth/api-key-secret';
import { migrateUp } from '../../backend/src/database/migrator';
import { startApi, stopApi } from './bench-api';
import { dropDatabase, recreateDatabase } from './bench-peer-harness';
import { percentile, sleep, wholeNumberArg } from './bench-stats';

const BENCH_DB = 'conveyor_bench_auth_flood';
/** Just under the default MAX_BODY_BYTES (1 MiB), so that a keyed request would be parsed in full. */
const BODY = Buffer.from(JSON.stringify({ type: 'email', payload: { blob: 'x'.repeat(1_000_000) } }));

interface Latency {
  requests: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** One tenant listing its jobs back to back for `seconds`: how long each request takes. */
async function tenantLatency(base: string, key: string, seconds: number): Promise<Latency> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const t = performance.now();
    const status = await send(agent, base, 'GET', '/api/v1/jobs?limit=20', `Bearer ${key}`);
    if (status !== 200) throw new Error(`tenant request answered ${status}`);
    latencies.push(performance.now() - t);
  }
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => +ms.toFixed(1);
  return {
    requests: latencies.length,
    p50_ms: round(percentile(latencies, 50)),
    p95_ms: round(percentile(latencies, 95)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(latencies[latencies.length - 1]),
  };
}

function send(
  agent: http.Agent,
  base: string,
  method: string,
  path: string,
  authorization?: string,
  body?: Buffer,
): Promise<number> {
  return new Promise((resolve) => {
    const request = http.request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: {
          ...(authorization ? { authorization } : {}),
          // The flood comes from an address of its own (the API trusts X-Forwarded-For from loopback).
          ...(body ? { 'x-forwarded-for': '203.0.113.66' } : {}),
          ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    // A server may answer and close before taking the whole body: that is a refusal, not a failure.
    request.on('error', () => resolve(0));
    request.end(body);
  });
}

/**
 * `clients` loops POSTing 1 MB bodies without a usable key for `seconds`: `kind` is `none` (no
 * Authorization header) or `guess` (a new well-formed random key each time). Returns the statuses.
 */
async function flood(base: string, clients: number, kind: string, seconds: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const statuses = new Map<number, number>();
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const authorization = kind === 'guess' ? `Bearer ${generateApiKey()}` : undefined;
        const status = await send(agent, base, 'POST', '/api/v1/jobs', authorization, BODY);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  agent.destroy();
  return Object.fromEntries(statuses);
}

/** Runs the flood in a child process, so that its CPU is not the measuring loop's. */
function floodInChild(base: string, clients: number, kind: string, seconds: number) {
  const child = fork(__filename, ['--flood', base, String(clients), kind, String(seconds)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise<Record<string, number>>((resolve, reject) => {
    child.once('message', (statuses) => resolve(statuses as Record<string, number>));
    child.once('exit', (code) => code !== 0 && reject(new Error(`flood exited with ${code}`)));
  });
}

/**
 * bench:auth-flood: a tenant's request latency at rest, then while `clients` connections send
 * 1 MB bodies without a key, then with guessed keys. Needs DATABASE_URL (a server where it may
 * create and drop the database conveyor_bench_auth_flood).
 */
async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('DATABASE_URL must name a PostgreSQL server for the scratch database');
  const args = process.argv.slice(2);
  const seconds = wholeNumberArg(args, 'seconds', 10);
  const clients = wholeNumberArg(args, 'clients', 32);
  const url = await recreateDatabase(serverUrl, BENCH_DB);
  try {
    await migrateUp(url);
    const pool = new Pool({ connectionString: url, max: 1 });
    const key = generateApiKey();
    const {
      rows: [tenant],
    } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name, rate_limit_per_second, rate_limit_burst) VALUES ('bench', 1000000, 1000000) RETURNING id`,
    );
    await pool.query(`INSERT INTO api_keys (tenant_id, key_hash, prefix) VALUES ($1, $2, $3)`, [
      tenant.id,
      hashApiKey(key),
      displayPrefix(key),
    ]);
    await pool.end();
    const { child, base } = await startApi(url);
    try {
      await tenantLatency(base, key, 1);
      const results: Record<string, unknown> = {
        quiet: await tenantLatency(base, key, seconds),
      };
      for (const kind of ['none', 'guess'] as const) {
        const flooding = floodInChild(base, clients, kind, seconds + 1);
        await sleep(500);
        const latency = await tenantLatency(base, key, seconds);
        const statuses = await flooding;
        const total = Object.values(statuses).reduce((a, b) => a + b, 0);
        results[`flood_${kind === 'none' ? 'without_key' : 'guessed_keys'}`] = {
          ...latency,
          flood_requests: total,
          flood_per_second: Math.round(total / (seconds + 1)),
          flood_statuses: statuses,
        };
        await sleep(1000);
      }
      console.log(JSON.stringify({ clients, body_bytes: BODY.length, seconds, ...results }, null, 2));
    } finally {
      await stopApi(child);
    }
  } finally {
    await dropDatabase(serverUrl, BENCH_DB);
  }
}

if (process.argv[2] === '--flood') {
  const [base, clients, kind, seconds] = process.argv.slice(3);
  void flood(base, Number(clients), kind, Number(seconds)).then((statuses) =>
    process.send!(statuses, () => process.exit(0)),
  );
} else
  main().catch((error: unknown) => {
    console.error(`bench:auth-flood failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  });
