import { Client } from 'pg';
import request from 'supertest';
import { createCaller, startApi, type TestCaller } from './support/api';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

describe('API statements have a deadline', () => {
  let db: TestDatabase;
  let api: ApiApplication;
  let tenant: TestCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(db.url, { API_STATEMENT_TIMEOUT_MS: '300' });
    tenant = await createCaller(db.url, 'acme');
  });
  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  /** Runs `work` while another session holds an ACCESS EXCLUSIVE lock on `table`. */
  const whileLocked = async (table: string, work: () => Promise<void>): Promise<void> => {
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      await work();
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  };

  it('answers a read stuck past API_STATEMENT_TIMEOUT_MS with 503 and Retry-After, not 500 or a hang', async () => {
    // Warm the key cache first, so that only the listing waits on the lock.
    await request(api.getHttpServer()).get('/api/v1/jobs').set('Authorization', tenant.bearer).expect(200);
    await whileLocked('jobs', async () => {
      const started = Date.now();
      const response = await request(api.getHttpServer())
        .get('/api/v1/jobs?type=email')
        .set('Authorization', tenant.bearer)
        .timeout(5_000);
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toMatch(/^\d+$/);
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/took too long/),
      });
      expect(Date.now() - started).toBeLessThan(3_000);
    });
    // The pool's connections are fine afterwards.
    await request(api.getHttpServer()).get('/api/v1/jobs').set('Authorization', tenant.bearer).expect(200);
  });

  it('also cuts a submission queued behind a lock', async () => {
    await whileLocked('jobs', async () => {
      const response = await request(api.getHttpServer())
        .post('/api/v1/jobs')
        .set('Authorization', tenant.bearer)
        .send({ type: 'email', payload: { to: 'a@example.com' } })
        .timeout(5_000);
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toMatch(/^\d+$/);
    });
  });
});
