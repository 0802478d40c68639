import request from 'supertest';
import { ANALYZE_LIMITS } from '../src/handlers/analyze.handler';
import { IMAGE_LIMITS } from '../src/handlers/image.handler';
import { createCaller, startApi, type TestCaller } from './support/api';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

/** Submission refuses work past each job type's bounds, and time limits past JOB_TIMEOUT_MAX_MS. */
describe('job limits at submission', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let alice: TestCaller;
  const post = (body: object) =>
    request(app.getHttpServer()).post('/api/v1/jobs').set('Authorization', alice.bearer).send(body);
  const timeoutOf = async (id: string) =>
    (await query<{ timeout_ms: number }>(db.url, 'SELECT timeout_ms FROM jobs WHERE id = $1', [id]))[0]
      .timeout_ms;

  const jobsOfAlice = async () =>
    (
      await query<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1', [
        alice.tenantId,
      ])
    )[0].n;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url, { JOB_TIMEOUT_MAX_MS: '120000' });
    alice = await createCaller(db.url, 'alice');
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('stores timeout_ms, or the type’s default capped by JOB_TIMEOUT_MAX_MS, and lists the defaults', async () => {
    const given = await post({ type: 'email', payload: {}, timeout_ms: 5_000 }).expect(201);
    expect(await timeoutOf(given.body.id)).toBe(5_000);
    const byType = await post({ type: 'email', payload: {} }).expect(201);
    expect(await timeoutOf(byType.body.id)).toBe(60_000);
    const capped = await post({ type: 'sleep', payload: { seconds: 1 } }).expect(201);
    expect(await timeoutOf(capped.body.id)).toBe(120_000);
    const types = await request(app.getHttpServer())
      .get('/api/v1/job-types')
      .set('Authorization', alice.bearer)
      .expect(200);
    expect(types.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'email', default_timeout_ms: 60_000 }),
        expect.objectContaining({ type: 'sleep', default_timeout_ms: 120_000 }),
      ]),
    );
  });

  it.each([
    [{ type: 'email', payload: {}, timeout_ms: 120_001 }, 'timeout_ms'],
    [{ type: 'email', payload: {}, timeout_ms: 0 }, 'timeout_ms'],
    [{ type: 'sleep', payload: { seconds: 2_000_000 } }, 'payload.seconds'],
    [{ type: 'sleep', payload: { seconds: 10 }, timeout_ms: 5_000 }, 'payload.seconds'],
    [{ payload: { task: 'x', duration_ms: 200_000 } }, 'payload.duration_ms'],
    [{ type: 'image', payload: { iterations: IMAGE_LIMITS.maxIterations + 1 } }, 'payload.iterations'],
    [{ type: 'image', payload: { image: 'x'.repeat(IMAGE_LIMITS.maxImageLength + 1) } }, 'payload.image'],
  ])('refuses %j with a 400 naming %s, storing nothing', async (body, field) => {
    const before = await jobsOfAlice();
    const response = await post(body).expect(400);
    expect(response.body.details).toEqual([expect.objectContaining({ field })]);
    expect(await jobsOfAlice()).toBe(before);
  });

  it('refuses a batch item past the limits with its index, and nothing of the batch is stored', async () => {
    const response = await request(app.getHttpServer())
      .post('/api/v1/jobs/batch')
      .set('Authorization', alice.bearer)
      .send({
        jobs: [
          { type: 'email', payload: { n: 'batch-ok' } },
          { type: 'email', payload: {}, timeout_ms: 999_999 },
        ],
      })
      .expect(400);
    expect(response.body.details).toEqual([expect.objectContaining({ index: 1, field: 'timeout_ms' })]);
    expect(await query(db.url, `SELECT 1 FROM jobs WHERE payload->>'n' = 'batch-ok'`)).toEqual([]);
  });

  it.each([
    ['more patterns than allowed', Array.from({ length: ANALYZE_LIMITS.maxPatterns + 1 }, (_, i) => `p${i}`)],
    ['a pattern too long', ['x'.repeat(ANALYZE_LIMITS.maxPatternLength + 1)]],
    ['no pattern', []],
  ])(
    'refuses an analyze upload with %s, naming payload.patterns, storing no file',
    async (_label, patterns) => {
      const response = await request(app.getHttpServer())
        .post('/api/v1/jobs')
        .set('Authorization', alice.bearer)
        .field('type', 'analyze')
        .field('payload', JSON.stringify({ patterns }))
        .attach('file', Buffer.from('ERROR\n'), 'a.log')
        .expect(400);
      expect(response.body.details).toEqual([expect.objectContaining({ field: 'payload.patterns' })]);
      expect(await query(db.url, 'SELECT 1 FROM job_files WHERE tenant_id = $1', [alice.tenantId])).toEqual(
        [],
      );
    },
  );

  it('takes timeout_ms in a multipart submission too', async () => {
    const response = await request(app.getHttpServer())
      .post('/api/v1/jobs')
      .set('Authorization', alice.bearer)
      .field('type', 'analyze')
      .field('payload', JSON.stringify({ patterns: ['ERROR'] }))
      .field('timeout_ms', '30000')
      .attach('file', Buffer.from('ERROR\n'), 'a.log')
      .expect(201);
    expect(await timeoutOf(response.body.id)).toBe(30_000);
  });
});
