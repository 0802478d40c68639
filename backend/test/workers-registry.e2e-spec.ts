import { Pool } from 'pg';
import request from 'supertest';
import { JobQueue } from '../src/queue/job-queue';
import { createCaller, startApi, type TestCaller } from './support/api';
import { jobFactory } from './support/job-factory';
import { builtScript, cleanEnv, type RunningProcess, startNode, waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

const WORKER = 'backend/src/main.worker.js';
/** Short registry timings so that a killed worker goes stale and is pruned within seconds. */
const REGISTRY = { WORKERS_HEARTBEAT_SECONDS: '1', WORKERS_STALE_SECONDS: '3' };

interface WorkersBody {
  live_workers: number;
  live_slots: number;
  workers?: Array<{ id: string; pid: number; concurrency: number; jobs_in_hand: number; live: boolean }>;
}

describe('workers registry (real worker processes)', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let admin: TestCaller;
  let tenant: TestCaller;
  let pool: Pool;
  const workers: RunningProcess[] = [];

  const startWorker = async (concurrency: number): Promise<RunningProcess> => {
    const worker = startNode(
      builtScript(WORKER),
      [],
      cleanEnv({
        DATABASE_URL: db.url,
        WORKER_CONCURRENCY: String(concurrency),
        LOG_LEVEL: 'info',
        ...REGISTRY,
      }),
    );
    workers.push(worker);
    await worker.waitFor(/Worker ready/);
    return worker;
  };
  const asAdmin = async (): Promise<WorkersBody> =>
    (await request(app.getHttpServer()).get('/api/v1/workers').set('Authorization', admin.bearer).expect(200))
      .body as WorkersBody;
  const scrapedWorkers = async (): Promise<number> => {
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    return Number(/^conveyor_workers (\d+)$/m.exec(text)?.[1]);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url, REGISTRY);
    admin = await createCaller(db.url, 'operators', 'admin');
    tenant = await createCaller(db.url, 'acme');
    pool = new Pool({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    await app.close();
    await pool.end();
    await db.drop();
  });

  it('lists every worker for admins and only the count for tenants; a killed one is pruned, a stopped one leaves', async () => {
    const a = await startWorker(3);
    const b = await startWorker(2);
    await waitUntil('both workers registered', async () => (await asAdmin()).live_workers === 2);

    const listed = await asAdmin();
    expect(listed.live_slots).toBe(5);
    expect(listed.workers).toHaveLength(2);
    const rowOf = (pid: number) => listed.workers!.find((row) => row.pid === pid);
    expect(rowOf(a.child.pid!)).toMatchObject({
      concurrency: 3,
      live: true,
      id: expect.stringMatching(/:\d+$/),
    });
    expect(rowOf(b.child.pid!)).toMatchObject({ concurrency: 2, live: true });
    expect(listed.workers![0]).toEqual(
      expect.objectContaining({
        host: expect.any(String),
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        started_at: expect.any(String),
        last_seen_at: expect.any(String),
      }),
    );

    const forTenant = await request(app.getHttpServer())
      .get('/api/v1/workers')
      .set('Authorization', tenant.bearer)
      .expect(200);
    expect(forTenant.body).toEqual({ live_workers: 2, live_slots: 5 });
    await request(app.getHttpServer()).get('/api/v1/workers').expect(401);
    expect(await scrapedWorkers()).toBe(2);

    // Jobs in hand reach the registry with the next heartbeat.
    await new JobQueue(pool).insertMany(
      jobFactory.many(tenant.tenantId, 4, { type: 'sleep', payload: { seconds: 4 } }),
    );
    await waitUntil(
      'the four sleeping jobs show as in hand',
      async () => (await asAdmin()).workers!.reduce((sum, row) => sum + row.jobs_in_hand, 0) === 4,
    );

    // SIGKILL: the row stays until it is stale, then the live worker prunes it.
    b.child.kill('SIGKILL');
    await b.exited;
    await waitUntil('the killed worker is no longer live', async () => (await asAdmin()).live_workers === 1);
    await waitUntil(
      'the killed worker is pruned',
      async () => (await asAdmin()).workers!.every((row) => row.pid !== b.child.pid),
      10_000,
    );
    expect(await scrapedWorkers()).toBe(1);

    // SIGTERM: the worker deletes its own row as it stops, without waiting to go stale.
    a.child.kill('SIGTERM');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(await asAdmin()).toEqual({ live_workers: 0, live_slots: 0, workers: [] });
    expect(await scrapedWorkers()).toBe(0);
  });
});
