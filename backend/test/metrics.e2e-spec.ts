import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import { createApiApp, initApiApp, type ApiApplication } from '../src/app/api-app';
import { loadConfig } from '../src/config/load-config';
import { freePort } from '../src/database/embedded/embedded-database';
import { JobQueue } from '../src/queue/job-queue';
import { createCaller, startApi, type TestCaller } from './support/api';
import { waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in Prometheus's text format. */
function samplesOf(text: string, name: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    samples.push({ labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels; undefined when there is none. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  const found = samplesOf(text, name).filter(
    (sample) =>
      Object.keys(sample.labels).length === wanted.length &&
      wanted.every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1)
    throw new Error(`${name} has ${found.length} samples labelled ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** prom-client's register.contentType; Express puts charset first when it sends a string, which means the same. */
const TEXT_FORMAT = /^text\/plain; (?=.*\bversion=0\.0\.4\b)(?=.*\bcharset=utf-8\b)/;

describe('GET /metrics', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let pool: Pool;
  let queue: JobQueue;
  let alice: TestCaller;
  let bob: TestCaller;

  const http = () => request(app.getHttpServer());
  const scrape = async (): Promise<string> => {
    const response = await http().get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(TEXT_FORMAT);
    return response.text;
  };
  const submit = (caller: TestCaller, body: object) =>
    http().post('/api/v1/jobs').set('Authorization', caller.bearer).send(body).expect(201);

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url);
    pool = new Pool({ connectionString: db.url, max: 2 });
    queue = new JobQueue(pool);
    alice = await createCaller(db.url, 'alice');
    bob = await createCaller(db.url, 'bob');
  });
  afterAll(async () => {
    await app.close();
    await pool.end();
    await db.drop();
  });

  it('answers without a key, unlimited, with the Node defaults and the database up', async () => {
    const response = await http().get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(TEXT_FORMAT);
    expect(response.headers['x-ratelimit-limit']).toBeUndefined();
    expect(valueOf(response.text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(response.text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    expect(valueOf(response.text, 'conveyor_metrics_database_up')).toBe(1);
  });

  it('stays out of the OpenAPI document', async () => {
    const { body } = await http().get('/docs-json').expect(200);
    expect(Object.keys(body.paths)).not.toContain('/metrics');
    expect(Object.keys(body.paths)).toContain('/api/v1/jobs/{id}');
  });

  it('labels request durations with the route template, never the job id', async () => {
    const route = { method: 'GET', route: '/api/v1/jobs/:id', status: '404' };
    const unmatched = { method: 'GET', route: 'unmatched', status: '404' };
    const count = 'conveyor_http_request_duration_seconds_count';
    const before = await scrape();
    const id = randomUUID();
    const stray = randomUUID();
    await http().get(`/api/v1/jobs/${id}`).set('Authorization', alice.bearer).expect(404);
    await http().get(`/api/no-such-route/${stray}`).set('Authorization', alice.bearer).expect(404);

    const after = await scrape();
    expect(valueOf(after, count, route)).toBe((valueOf(before, count, route) ?? 0) + 1);
    expect(valueOf(after, count, unmatched)).toBe((valueOf(before, count, unmatched) ?? 0) + 1);
    expect(valueOf(after, 'conveyor_http_request_duration_seconds_bucket', { ...route, le: '+Inf' })).toBe(
      valueOf(after, count, route),
    );
    expect(valueOf(after, 'conveyor_http_request_duration_seconds_sum', route)).toBeGreaterThan(0);
    expect(after).not.toContain(id);
    expect(after).not.toContain(stray);
  });

  it("counts each tenant's jobs by status and the queue's depth from the counters, rolled or not", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(alice, { queue: 'mail', payload: { n: i } })).body.id);
    await submit(bob, { queue: 'mail', payload: {} });
    await submit(alice, { queue: 'reports', type: 'sleep', payload: { seconds: 1 } });
    const jobs = (tenant: TestCaller, queueName: string, type: string, status: string) => ({
      tenant_id: tenant.tenantId,
      queue: queueName,
      type,
      status,
    });

    // No worker runs here, so nothing has rolled the transitions into job_counts yet.
    let text = await scrape();
    expect(valueOf(text, 'conveyor_jobs', jobs(alice, 'mail', 'default', 'pending'))).toBe(3);
    expect(valueOf(text, 'conveyor_jobs', jobs(bob, 'mail', 'default', 'pending'))).toBe(1);
    expect(valueOf(text, 'conveyor_jobs', jobs(alice, 'reports', 'sleep', 'pending'))).toBe(1);
    expect(valueOf(text, 'conveyor_jobs', jobs(alice, 'mail', 'default', 'running'))).toBe(0);
    expect(valueOf(text, 'conveyor_queue_depth', { queue: 'mail' })).toBe(4);
    expect(valueOf(text, 'conveyor_queue_depth', { queue: 'reports' })).toBe(1);

    await http().post(`/api/v1/jobs/${ids[0]}/cancel`).set('Authorization', alice.bearer).expect(200);
    expect(await queue.rollCountsExclusively()).toBeGreaterThan(0);
    text = await scrape();
    expect(valueOf(text, 'conveyor_jobs', jobs(alice, 'mail', 'default', 'pending'))).toBe(2);
    expect(valueOf(text, 'conveyor_jobs', jobs(alice, 'mail', 'default', 'cancelled'))).toBe(1);
    expect(valueOf(text, 'conveyor_queue_depth', { queue: 'mail' })).toBe(3);
  });

  it('exports the last complete minute of the rollups, and only that minute', async () => {
    const carol = await createCaller(db.url, 'carol');
    await submit(carol, { queue: 'imports', payload: {} });
    await queue.rollCountsExclusively();
    // A minute as the roller writes it, in the previous and the current bucket so that the
    // scrape reads it whichever side of a minute boundary it lands; and an older minute that
    // must not be added in.
    await pool.query(
      `INSERT INTO job_metrics (bucket, tenant_id, queue, type, submitted, started, completed, failed, retried,
                                dead, run_ms_sum, wait_ms_sum)
       SELECT date_trunc('minute', now()) - make_interval(mins => ago), $1, 'imports', 'email',
              7 * k, 5 * k, 4 * k, 1 * k, 1 * k, 0, 10250 * k, 2500 * k
       FROM (VALUES (0, 1), (1, 1), (5, 1000)) AS minutes(ago, k)`,
      [carol.tenantId],
    );

    const text = await scrape();
    const group = { tenant_id: carol.tenantId, queue: 'imports', type: 'email' };
    const event = (name: string) =>
      valueOf(text, 'conveyor_job_events_last_minute', { ...group, event: name });
    expect([event('submitted'), event('started'), event('completed')]).toEqual([7, 5, 4]);
    expect([event('failed'), event('retried'), event('dead')]).toEqual([1, 1, 0]);
    expect(valueOf(text, 'conveyor_job_wait_seconds_last_minute', group)).toBe(2.5);
    expect(valueOf(text, 'conveyor_job_run_seconds_last_minute', group)).toBe(10.25);
    // A counted group with nothing in the minute reads 0 rather than vanishing.
    expect(
      valueOf(text, 'conveyor_job_events_last_minute', { ...group, type: 'default', event: 'started' }),
    ).toBe(0);
  });

  it('shares one database read between concurrent scrapes', async () => {
    // Hold the counters so that the scrape's read stays in flight while the others arrive.
    const blocker = await pool.connect();
    try {
      await blocker.query('BEGIN; LOCK TABLE job_counts IN ACCESS EXCLUSIVE MODE');
      // Asked on another connection: within the blocker's transaction the view would not change.
      const waiting = async (): Promise<number> => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
             AND query LIKE '%FROM job_counts%'`,
        );
        return rows[0].n;
      };
      const scrapes = Promise.all(Array.from({ length: 5 }, () => http().get('/metrics')));
      await waitUntil('a scrape waits on the counters', async () => (await waiting()) > 0, 1_500, 20);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await waiting()).toBe(1);
      await blocker.query('ROLLBACK');
      for (const response of await scrapes) {
        expect(response.status).toBe(200);
        expect(valueOf(response.text, 'conveyor_metrics_database_up')).toBe(1);
      }
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
  });

  it("counts a tenant's 429s in conveyor_rate_limit_refusals_total", async () => {
    const dave = await createCaller(db.url, 'dave');
    // One request per one-second window (burst 2 → windows of 1), set before dave's first request.
    await pool.query('UPDATE tenants SET rate_limit_per_second = 1, rate_limit_burst = 2 WHERE id = $1', [
      dave.tenantId,
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await http().get('/api/v1/job-types').set('Authorization', dave.bearer)).status);
    const refused = statuses.filter((status) => status === 429).length;
    expect(refused).toBeGreaterThan(0);

    const text = await scrape();
    expect(valueOf(text, 'conveyor_rate_limit_refusals_total', { tenant_id: dave.tenantId })).toBe(refused);
    expect(
      valueOf(text, 'conveyor_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/job-types',
        status: '429',
      }),
    ).toBe(refused);
  });

  describe('with METRICS_TOKEN set', () => {
    const token = 'scrape-token-0123456789abcdef';
    let guarded: ApiApplication;

    beforeAll(async () => {
      guarded = await startApi(db.url, { METRICS_TOKEN: token });
    });
    afterAll(() => guarded.close());

    const get = (authorization?: string) => {
      const call = request(guarded.getHttpServer()).get('/metrics');
      return authorization === undefined ? call : call.set('Authorization', authorization);
    };

    it('refuses a scrape without the token with 401 in the error shape', async () => {
      const response = await get().expect(401);
      expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
      expect(response.body.message).toMatch(/Bearer/);
    });

    it('refuses a wrong token, a prefix of it and an API key with 401', async () => {
      for (const wrong of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, alice.bearer, token]) {
        const response = await get(wrong).expect(401);
        expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      }
    });

    it('answers the right token', async () => {
      const response = await get(`Bearer ${token}`).expect(200);
      expect(response.headers['content-type']).toMatch(TEXT_FORMAT);
      expect(valueOf(response.text, 'conveyor_queue_depth', { queue: 'mail' })).toBe(3);
    });
  });

  describe('with the database down', () => {
    let down: ApiApplication;

    beforeAll(async () => {
      // startApi waits for the database; this app is built on a port nothing listens on.
      const closedPort = await freePort();
      ({ app: down } = await createApiApp(
        loadConfig({
          DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/none`,
          LOG_LEVEL: 'silent',
          DASHBOARD_DIR: '',
        }),
      ));
      await initApiApp(down);
    });
    afterAll(() => down.close());

    it('still answers 200 with the Node defaults and conveyor_metrics_database_up 0', async () => {
      const response = await request(down.getHttpServer()).get('/metrics').expect(200);
      expect(response.headers['content-type']).toMatch(TEXT_FORMAT);
      expect(valueOf(response.text, 'conveyor_metrics_database_up')).toBe(0);
      expect(valueOf(response.text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      // No job series at all rather than stale ones passed off as current.
      expect(samplesOf(response.text, 'conveyor_jobs')).toEqual([]);
      expect(samplesOf(response.text, 'conveyor_queue_depth')).toEqual([]);
    });
  });
});
