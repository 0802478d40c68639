import request from 'supertest';
import { createCaller, startApi, type TestCaller } from './support/api';
import { type RunningProcess, startReadyWorker, stopProcess, waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

describe('jobs submitted over HTTP, run by a real worker process', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let worker: RunningProcess;
  let caller: TestCaller;

  const api = () => ({
    get: (path: string) => request(app.getHttpServer()).get(path).set('Authorization', caller.bearer),
    post: (path: string) => request(app.getHttpServer()).post(path).set('Authorization', caller.bearer),
  });
  const statusOf = async (id: string): Promise<string> => (await api().get(`/api/v1/jobs/${id}`)).body.status;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url);
    caller = await createCaller(db.url, 'acme');
    worker = await startReadyWorker(db.url, { BACKOFF_MAX_MS: '200' });
  });
  afterAll(async () => {
    await stopProcess(worker);
    await app.close();
    await db.drop();
  });

  it('counts the patterns of an uploaded log (a curl-style analyze request)', async () => {
    const log = ['INFO start', 'ERROR disk full', 'WARN slow', 'ERROR again ERROR', 'INFO done'].join('\n');
    const { body: job } = await api()
      .post('/api/v1/jobs')
      .field('type', 'analyze')
      .field('payload', '{"patterns": ["ERROR","WARN"]}')
      .attach('filename', Buffer.from(log), 'example.log')
      .expect(201);
    await waitUntil(
      'the analyze job completed',
      async () => (await statusOf(job.id)) === 'completed',
      10_000,
    );
    const { body: done } = await api().get(`/api/v1/jobs/${job.id}`).expect(200);
    expect(done.result).toEqual({ counts: { ERROR: 3, WARN: 1 }, lines: 5 });
    expect(done.progress).toBe(100);
  });

  it('retries a failing default job into the DLQ, then redrives it from there', async () => {
    const { body: job } = await api()
      .post('/api/v1/jobs')
      .send({ payload: { task: 'fail' }, max_retries: 2 })
      .expect(201);
    await waitUntil('the job is dead', async () => (await statusOf(job.id)) === 'dead', 10_000);
    const { body: dlq } = await api().get('/api/v1/jobs/dlq').expect(200);
    const entry = dlq.jobs.find((j: { job_id: string }) => j.job_id === job.id);
    expect(entry.errors.map((e: { attempt: number }) => e.attempt)).toEqual([1, 2, 3]);
    await api()
      .post('/api/v1/jobs/dlq/retry')
      .send({ ids: [job.id] })
      .expect(200);
    await waitUntil(
      'the redriven job is dead again',
      async () => (await statusOf(job.id)) === 'dead',
      10_000,
    );
    const { body: again } = await api().get(`/api/v1/jobs/${job.id}`).expect(200);
    expect(again.attempts).toBe(3);
    expect(again.errors).toHaveLength(6);
  });

  it('runs the untyped default job and reports it in the summary', async () => {
    const { body: job } = await api()
      .post('/api/v1/jobs')
      .send({ payload: { task: 'process_data', duration_ms: 10 } })
      .expect(201);
    await waitUntil('the job completed', async () => (await statusOf(job.id)) === 'completed', 10_000);
    const { body: summary } = await api().get('/api/v1/jobs/metrics/summary').expect(200);
    expect(summary).toMatchObject({ completed_jobs: 2, dlq_jobs: 1, running_jobs: 0, pending_jobs: 0 });
  });
});
