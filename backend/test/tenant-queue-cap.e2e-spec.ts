import { Pool } from 'pg';
import request from 'supertest';
import { JobQueue } from '../src/queue/job-queue';
import { createCaller, startApi, type TestCaller } from './support/api';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

/** A tenant inventing queue names, and the rollups those names leave behind. */
describe('queue names per tenant', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let pool: Pool;
  let queue: JobQueue;
  let inventor: TestCaller;

  const submit = (caller: TestCaller, queueName: string) =>
    request(app.getHttpServer())
      .post('/api/v1/jobs')
      .set('Authorization', caller.bearer)
      .send({ type: 'email', payload: {}, queue: queueName, delay_ms: 3_600_000 });
  const sql = async <T>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await pool.query(text, values)).rows as T[];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url, { MAX_QUEUES_PER_TENANT: '3' });
    pool = new Pool({ connectionString: db.url, max: 2 });
    queue = new JobQueue(pool);
    inventor = await createCaller(db.url, 'inventor');
  });
  afterAll(async () => {
    await app.close();
    await pool.end();
    await db.drop();
  });

  it('refuses a queue name beyond MAX_QUEUES_PER_TENANT with a 400 naming queue, and keeps the ones in use', async () => {
    for (const name of ['q1', 'q2', 'q3']) await submit(inventor, name).expect(201);
    const refused = await submit(inventor, 'q4').expect(400);
    expect(refused.body).toMatchObject({ statusCode: 400, details: [{ field: 'queue' }] });
    expect(refused.body.message).toMatch(/at most 3 queues and this one uses 3/);
    await submit(inventor, 'q2').expect(201);
    const batch = await request(app.getHttpServer())
      .post('/api/v1/jobs/batch')
      .set('Authorization', inventor.bearer)
      .send({
        jobs: [
          { payload: {}, queue: 'q1' },
          { payload: {}, queue: 'q5' },
        ],
      })
      .expect(400);
    expect(batch.body.details[0].field).toBe('queue');
    // Another tenant's names are its own.
    const neighbour = await createCaller(db.url, 'neighbour');
    for (const name of ['q4', 'q5', 'q6']) await submit(neighbour, name).expect(201);
  });

  it('prunes counters at zero and per-minute metrics past retention, keeping the rest', async () => {
    const tenant = inventor.tenantId;
    await sql(
      `INSERT INTO job_counts (tenant_id, queue, type, status, jobs) VALUES ($1, 'gone', 'email', 'completed', 0)`,
      [tenant],
    );
    await sql(
      `INSERT INTO job_metrics (bucket, tenant_id, queue, type, submitted)
       VALUES (date_trunc('minute', now()) - interval '30 days', $1, 'old', 'email', 1),
              (date_trunc('minute', now()) - interval '1 day', $1, 'recent', 'email', 1)`,
      [tenant],
    );
    expect(await queue.pruneRollupsExclusively(7, 100)).toBe(1);
    expect(
      await sql(`SELECT queue FROM job_counts WHERE tenant_id = $1 AND queue = 'gone'`, [tenant]),
    ).toEqual([]);
    expect(
      await sql(`SELECT queue FROM job_metrics WHERE tenant_id = $1 AND queue IN ('old', 'recent')`, [
        tenant,
      ]),
    ).toEqual([{ queue: 'recent' }]);
  });
});
