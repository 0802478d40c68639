import http from 'node:http';
import { type Pool } from 'pg';
import { displayPrefix, generateApiKey, hashApiKey } from '../../../backend/src/auth/api-key-secret';
import { migrateUp } from '../../../backend/src/database/migrator';
import { createPgPool } from '../../../backend/src/database/pg-pool';
import { JobQueue } from '../../../backend/src/queue/job-queue';
import { PRIORITY_RANGE } from '../../../backend/src/queue/job-submission';
import { JOB_EVENTS_CHANNEL, type NewJob } from '../../../backend/src/queue/queue.sql';
import { connect } from './server';

/** Conveyor's databases are copies of one migrated template (migrations run once a run). */
export const CONVEYOR_TEMPLATE = {
  kind: 'conveyor',
  prepare: (url: string) => migrateUp(url).then(() => undefined),
};

/** The largest priority a submission may carry: claimed after every other. */
export const LOWEST_PRIORITY = PRIORITY_RANGE;

/** Settings of Conveyor's processes in every scenario (the rest are the defaults). */
export const WORKER_ENV = { WORKER_CONCURRENCY: '10' };

export function noopJob(tenantId: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    tenantId,
    queue: 'default',
    type: 'default',
    payload: { duration_ms: 0 },
    priority: 0,
    runAt: null,
    maxAttempts: 4,
    idempotencyKey: null,
    traceId: null,
    ...overrides,
  };
}

/** A migrated Conveyor database used in process: JobQueue on a pool sized as the API's (20). */
export class ConveyorDatabase {
  private constructor(
    readonly url: string,
    readonly pool: Pool,
    readonly queue: JobQueue,
  ) {}

  static open(url: string): ConveyorDatabase {
    // The API's own pool settings (createPgPool: max 20, jit off), so in-process submits are the API's path.
    const pool = createPgPool(url, 'conveyor-bench', 20, false);
    pool.on('error', () => undefined); // a session ended by a forced drop must not crash the run
    return new ConveyorDatabase(url, pool, new JobQueue(pool));
  }

  /** A tenant whose rate limit is out of the way (the bucket is still consulted per request), with an API key. */
  async tenant(name: string): Promise<{ id: string; key: string }> {
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO tenants (name, rate_limit_per_second, rate_limit_burst) VALUES ($1, 1000000, 1000000) RETURNING id`,
      [name],
    );
    const key = generateApiKey();
    await this.pool.query(`INSERT INTO api_keys (tenant_id, key_hash, prefix) VALUES ($1, $2, $3)`, [
      rows[0].id,
      hashApiKey(key),
      displayPrefix(key),
    ]);
    return { id: rows[0].id, key };
  }

  /** `count` jobs in statements of 1,000 (the batch API's limit), `parallel` statements at a time. */
  async insertBacklog(tenantId: string, count: number, overrides: Partial<NewJob> = {}, parallel = 1) {
    await this.insertInterleaved([tenantId], count, parallel, overrides);
  }

  /**
   * `perTenant` jobs of each tenant in statements of 1,000 that each hold the same share of every
   * tenant's jobs (10 each for 100 tenants), `parallel` statements at a time: a backlog as many
   * tenants submitting at once leave it.
   */
  async insertInterleaved(
    tenantIds: string[],
    perTenant: number,
    parallel = 1,
    overrides: Partial<NewJob> = {},
  ) {
    const each = Math.max(1, Math.floor(1_000 / tenantIds.length));
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        for (let start = (next += each) - each; start < perTenant; start = (next += each) - each) {
          const count = Math.min(each, perTenant - start);
          await this.queue.insertMany(
            tenantIds.flatMap((id) => Array.from({ length: count }, () => noopJob(id, overrides))),
          );
        }
      }),
    );
  }

  async analyze(): Promise<void> {
    await this.pool.query('ANALYZE');
  }

  /** Insert → claim of each job on the database clock (created_at → started_at), in ms. */
  async databasePickupMs(ids: string[]): Promise<number[]> {
    const { rows } = await this.pool.query<{ ms: string | null }>(
      `SELECT extract(epoch FROM (started_at - created_at)) * 1000 AS ms FROM jobs WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.filter((row) => row.ms !== null).map((row) => Number(row.ms));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Counts the jobs started and completed, from the job events every state change publishes in its
 * own transaction (JOB_EVENTS_CHANNEL, as the API's socket gateway hears them): the moment a
 * drain is done is known without polling the jobs table, whose layout is the queue's business.
 */
export class JobEventCounter {
  started = 0;
  completed = 0;
  readonly completedBy = new Map<string, number>();
  private firstStart?: () => void;
  /** performance.now() when the first `started` event arrived. */
  firstStartedAt?: number;
  readonly firstStarted = new Promise<void>((resolve) => (this.firstStart = resolve));
  private readonly waiters = new Map<string, () => void>();
  private nextStart: Array<(at: number) => void> = [];
  private readonly thresholds: Array<{ count: () => number; at: number; resolve: () => void }> = [];

  private constructor(private readonly client: Awaited<ReturnType<typeof connect>>) {}

  static async listen(url: string): Promise<JobEventCounter> {
    const client = await connect(url);
    const counter = new JobEventCounter(client);
    client.on('notification', (message) => counter.receive(message.payload ?? ''));
    await client.query(`LISTEN ${JOB_EVENTS_CHANNEL}`);
    return counter;
  }

  private receive(payload: string): void {
    const kind = /^\{"kind" ?: ?"(\w+)"/.exec(payload)?.[1];
    if (kind !== 'started' && kind !== 'completed') return;
    const jobs = (JSON.parse(payload) as { jobs: Array<[string, string]> }).jobs;
    if (kind === 'started') {
      const now = performance.now();
      if (this.started === 0) {
        this.firstStartedAt = now;
        this.firstStart?.();
      }
      for (const resolve of this.nextStart.splice(0)) resolve(now);
      this.started += jobs.length;
    } else {
      this.completed += jobs.length;
      for (const [id, tenantId] of jobs) {
        this.completedBy.set(tenantId, (this.completedBy.get(tenantId) ?? 0) + 1);
        const waiter = this.waiters.get(id);
        if (waiter) {
          this.waiters.delete(id);
          waiter();
        }
      }
    }
    for (const threshold of [...this.thresholds])
      if (threshold.count() >= threshold.at) {
        this.thresholds.splice(this.thresholds.indexOf(threshold), 1);
        threshold.resolve();
      }
  }

  /** Resolves with performance.now() when the next `started` event arrives. */
  nextStarted(): Promise<number> {
    return new Promise((resolve) => this.nextStart.push(resolve));
  }

  /** Resolves when `count()` reaches `at` (checked on each event), or false after `timeoutMs`. */
  until(count: () => number, at: number, timeoutMs: number): Promise<boolean> {
    if (count() >= at) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.thresholds.splice(this.thresholds.indexOf(threshold), 1);
        resolve(false);
      }, timeoutMs);
      const threshold = {
        count,
        at,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.thresholds.push(threshold);
    });
  }

  /** Resolves once job `id` completes (register before the job can complete), false after `timeoutMs`. */
  completion(id: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve(false);
      }, timeoutMs);
      this.waiters.set(id, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** POSTs JSON to the API over keep-alive connections (node:http: fetch took half a core for the client alone). */
export class ApiClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly base: string,
    private readonly key: string,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  post(route: string, body: unknown, expected = 201, headers: Record<string, string> = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const request = http.request(
        `${this.base}${route}`,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.key}`,
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(payload),
            ...headers,
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
  }

  close(): void {
    this.agent.destroy();
  }
}
