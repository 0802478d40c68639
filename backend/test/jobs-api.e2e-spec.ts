import { request as httpRequest } from 'node:http';
import { type AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { Pool } from 'pg';
import request from 'supertest';
import { JobQueue } from '../src/queue/job-queue';
import { createCaller, startApi, type TestCaller } from './support/api';
import { jobFactory } from './support/job-factory';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

/** superagent would send a Buffer under a JSON Content-Type as the JSON of its bytes: sent as is instead. */
const asSent = (body: unknown) => body as string;

const ERROR_SHAPE = {
  statusCode: expect.any(Number),
  error: expect.any(String),
  message: expect.any(String),
};

describe('the jobs REST API', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let pool: Pool;
  let queue: JobQueue;
  let alice: TestCaller;
  let bob: TestCaller;

  const http = () => request(app.getHttpServer());
  const as = (caller: TestCaller) => ({
    get: (path: string) => http().get(path).set('Authorization', caller.bearer),
    post: (path: string, body?: object) => {
      const call = http().post(path).set('Authorization', caller.bearer);
      return body === undefined ? call : call.send(body);
    },
  });
  /** The app's port on loopback, listening from the first call: for requests supertest cannot shape. */
  const listeningPort = async (): Promise<number> => {
    const server = app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await pool.query(text, values)).rows as T[];

  /** Claims these jobs for test-worker: first in line, and whatever else the claim took goes back. */
  const claimOnly = async (ids: string[]): Promise<void> => {
    await sql(`UPDATE jobs SET priority = -1000000 WHERE id = ANY($1)`, [ids]);
    const claimed = await queue.claim('test-worker', 100, 30);
    const others = claimed.filter((job) => !ids.includes(job.id)).map((job) => job.id);
    if (others.length > 0) await queue.releaseMany('test-worker', others);
  };

  /** A job of `caller` that ran out of attempts: dead, with a DLQ entry. */
  const deadJobOf = async (caller: TestCaller, type = 'fail'): Promise<string> => {
    const [job] = await queue.insertMany([jobFactory.build(caller.tenantId, { type, maxAttempts: 1 })]);
    await claimOnly([job.id]);
    await queue.failMany('test-worker', [{ id: job.id, error: 'boom', retryDelayMs: 0 }]);
    return job.id;
  };

  /** JSON arrays nested `levels` deep around a 1. */
  const nestedArrays = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url, {
      MAX_BODY_BYTES: '65536',
      UPLOAD_MAX_BYTES: '4096',
      DLQ_BULK_MAX_PER_CALL: '2',
      TENANT_FILE_QUOTA_BYTES: '20000',
    });
    pool = new Pool({ connectionString: db.url, max: 4 });
    queue = new JobQueue(pool);
    alice = await createCaller(db.url, 'alice');
    bob = await createCaller(db.url, 'bob');
  });
  afterAll(async () => {
    await app.close();
    await pool.end();
    await db.drop();
  });

  describe('authentication', () => {
    it('refuses a request without a key with 401 in the error shape', async () => {
      const response = await http().get('/api/v1/jobs').expect(401);
      expect(response.body).toEqual({ ...ERROR_SHAPE, statusCode: 401, error: 'Unauthorized' });
      expect(response.body.message).toMatch(/Bearer/);
    });

    it('refuses a malformed Authorization header and an unknown key with 401', async () => {
      await http().get('/api/v1/jobs').set('Authorization', 'Basic abc').expect(401);
      await http().get('/api/v1/jobs').set('Authorization', 'Bearer cvr_not-a-real-key-at-all').expect(401);
    });

    it('refuses a keyless request before reading its body whatever form its target takes', async () => {
      // An escaped or absolute-form target routes like /api/…: the pre-check judges the route, so
      // the malformed body is never parsed (a parse would answer 400).
      for (const target of ['/%61pi/v1/jobs', '/api/v1/%6Aobs']) {
        const response = await http()
          .post(target)
          .set('Content-Type', 'application/json')
          .send('{"not json')
          .expect(401);
        expect(response.body.message).toMatch(/Missing API key/);
      }
    });

    it('answers a target the router cannot read with a 400 in the error shape, tagged with X-Request-Id', async () => {
      const response = await as(alice).get('/api/v1/jobs/%E0%A4%A').expect(400);
      expect(response.body).toEqual({ ...ERROR_SHAPE, statusCode: 400, error: 'Bad Request' });
      expect(response.headers['x-request-id']).toEqual(expect.any(String));
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    });

    it('answers /health and /ready without a key', async () => {
      await http().get('/health').expect(200);
      await http().get('/ready').expect(200);
    });
  });

  describe('POST /api/v1/jobs', () => {
    it('accepts the untyped default job with an idempotency key and max_retries, once', async () => {
      const body = {
        payload: { task: 'process_data', data: { id: 123 } },
        idempotency_key: 'unique-key-123',
        max_retries: 3,
      };
      const first = await as(alice).post('/api/v1/jobs', body).expect(201);
      expect(first.body).toMatchObject({
        type: 'default',
        status: 'pending',
        max_attempts: 4,
        attempts: 0,
        payload: body.payload,
        idempotency_key: 'unique-key-123',
        tenant_id: alice.tenantId,
      });
      const again = await as(alice).post('/api/v1/jobs', body).expect(200);
      expect(again.body.id).toBe(first.body.id);
      // The same key of another tenant is another job.
      const bobs = await as(bob).post('/api/v1/jobs', body).expect(201);
      expect(bobs.body.id).not.toBe(first.body.id);
    });

    it('takes a top-level task as a default job whose payload is {task}, with the other fields', async () => {
      const response = await as(alice)
        .post('/api/v1/jobs', { task: 'resize', max_attempts: 2, queue: 'scripts' })
        .expect(201);
      expect(response.body).toMatchObject({
        type: 'default',
        payload: { task: 'resize' },
        max_attempts: 2,
        queue: 'scripts',
      });
      // A task of the longest length, and the default type named outright, are taken too.
      const longest = 'y'.repeat(256);
      const named = await as(alice).post('/api/v1/jobs', { task: longest, type: 'default' }).expect(201);
      expect(named.body).toMatchObject({ type: 'default', payload: { task: longest } });
    });

    it('accepts a sleep job and stores the trace id it was given', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const response = await as(alice)
        .post('/api/v1/jobs')
        .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
        .send({ type: 'sleep', payload: { seconds: 5 } })
        .expect(201);
      expect(response.body).toMatchObject({ type: 'sleep', payload: { seconds: 5 }, trace_id: traceId });
      expect(response.headers['x-request-id']).toBe(traceId);
    });

    it('takes the Idempotency-Key header, and refuses a body key that differs from it', async () => {
      const first = await as(alice)
        .post('/api/v1/jobs')
        .set('Idempotency-Key', 'header-key-1')
        .send({ type: 'email', payload: { to: 'a@example.com' } })
        .expect(201);
      expect(first.body.idempotency_key).toBe('header-key-1');
      await as(alice)
        .post('/api/v1/jobs')
        .set('Idempotency-Key', 'header-key-1')
        .send({ type: 'email', payload: {} })
        .expect(200);
      const conflict = await as(alice)
        .post('/api/v1/jobs')
        .set('Idempotency-Key', 'header-key-2')
        .send({ payload: {}, idempotency_key: 'other' })
        .expect(400);
      expect(conflict.body.details).toEqual([{ field: 'idempotency_key', message: expect.any(String) }]);
    });

    it('creates one job when 20 calls with the same idempotency key race', async () => {
      const body = { type: 'email', payload: { to: 'race@example.com' }, idempotency_key: 'race-1' };
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => as(alice).post('/api/v1/jobs', body)),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
      expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
      expect(await sql(`SELECT id FROM jobs WHERE idempotency_key = 'race-1'`)).toHaveLength(1);
    });

    it.each([
      ['a missing payload', { type: 'email' }, 'payload'],
      ['a payload that is not an object', { payload: [1, 2] }, 'payload'],
      ['a payload that is a string', { payload: 'x' }, 'payload'],
      ['a priority of the wrong type', { payload: {}, priority: 'high' }, 'priority'],
      ['an unknown field', { payload: {}, colour: 'red' }, 'colour'],
      ['max_attempts 0', { payload: {}, max_attempts: 0 }, 'max_attempts'],
      ['max_attempts above the maximum', { payload: {}, max_attempts: 101 }, 'max_attempts'],
      ['both max_attempts and max_retries', { payload: {}, max_attempts: 2, max_retries: 2 }, 'max_retries'],
      ['a negative delay', { payload: {}, delay_ms: -5 }, 'delay_ms'],
      ['a run_at that is not a timestamp', { payload: {}, run_at: 'tomorrow' }, 'run_at'],
      ['both run_at and delay_ms', { payload: {}, run_at: '2030-01-01T00:00:00Z', delay_ms: 5 }, 'run_at'],
      ['a bad queue name', { payload: {}, queue: 'no spaces please' }, 'queue'],
      ['a type of the wrong type', { type: 7, payload: {} }, 'type'],
      ['a task beside a payload', { task: 'x', payload: { task: 'x' } }, 'task'],
      ['a task with another type', { task: 'x', type: 'email' }, 'task'],
      ['a task that is not a string', { task: 42 }, 'task'],
      ['an empty task', { task: '' }, 'task'],
      ['a task over 256 characters', { task: 'x'.repeat(257) }, 'task'],
      ['an unknown field beside a task', { task: 'x', colour: 'red' }, 'colour'],
      ['neither payload nor task', {}, 'payload'],
    ])('refuses %s with a 400 naming the field, writing nothing', async (_, body, field) => {
      const before = await sql<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
      const response = await as(alice).post('/api/v1/jobs', body).expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(await sql('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
    });

    it('refuses an unknown type with a 400 listing the registered types', async () => {
      const response = await as(alice).post('/api/v1/jobs', { type: 'teleport', payload: {} }).expect(400);
      expect(response.body.details).toEqual([{ field: 'type', message: expect.stringContaining('email') }]);
      expect(response.body.message).toMatch(/registered types: .*analyze/);
    });

    it('answers malformed JSON with 400 and a body over MAX_BODY_BYTES with 413', async () => {
      const malformed = await as(alice)
        .post('/api/v1/jobs')
        .set('Content-Type', 'application/json')
        .send('{"payload": {')
        .expect(400);
      expect(malformed.body).toEqual({ ...ERROR_SHAPE, statusCode: 400, error: 'Bad Request' });
      const huge = await as(alice)
        .post('/api/v1/jobs', { payload: { blob: 'x'.repeat(70_000) } })
        .expect(413);
      expect(huge.body).toEqual({ ...ERROR_SHAPE, statusCode: 413, error: 'Payload Too Large' });
    });

    it('tags a body refused before routing with X-Request-Id, like every other answer', async () => {
      const malformed = await as(alice)
        .post('/api/v1/jobs')
        .set('Content-Type', 'application/json')
        .set('X-Request-Id', 'trace-malformed-1')
        .send('{"payload": {')
        .expect(400);
      expect(malformed.headers['x-request-id']).toBe('trace-malformed-1');
      const huge = await as(alice)
        .post('/api/v1/jobs', { payload: { blob: 'x'.repeat(70_000) } })
        .expect(413);
      expect(huge.headers['x-request-id']).toEqual(expect.any(String));
    });

    it('refuses JSON nested deeper than 64 levels with a 400 naming where, and takes 60', async () => {
      const deep = await as(alice)
        .post('/api/v1/jobs', { payload: { a: nestedArrays(2_000) } })
        .expect(400);
      expect(deep.body).toMatchObject({ ...ERROR_SHAPE, statusCode: 400 });
      expect(deep.body.details[0].field).toMatch(/^payload\.a\.0\.0\./);
      await as(alice)
        .post('/api/v1/jobs', { payload: { a: nestedArrays(60) } })
        .expect(201);
    });

    it('names the batch item and field holding a NUL, storing none of the batch', async () => {
      const before = await sql<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
      const response = await as(alice)
        .post('/api/v1/jobs/batch', { jobs: [{ payload: { ok: 1 } }, { payload: { note: 'a\u0000b' } }] })
        .expect(400);
      expect(response.body.details).toEqual([
        { field: 'jobs.1.payload.note', message: expect.stringContaining('NUL') },
      ]);
      expect(await sql('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
    });

    it('refuses an Idempotency-Key header that is empty or longer than the body field allows', async () => {
      for (const key of ['', 'k'.repeat(4_000)]) {
        const response = await as(alice)
          .post('/api/v1/jobs')
          .set('Idempotency-Key', key)
          .send({ payload: {} })
          .expect(400);
        expect(response.body.details).toEqual([
          { field: 'Idempotency-Key', message: expect.stringContaining('1-200') },
        ]);
      }
    });

    it('answers a body that does not match its Content-Encoding or charset with a 4xx, not a 500', async () => {
      const garbled = await as(alice)
        .post('/api/v1/jobs')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send('{"payload": {}}')
        .expect(400);
      expect(garbled.body).toEqual({ ...ERROR_SHAPE, statusCode: 400, error: 'Bad Request' });
      const charset = await as(alice)
        .post('/api/v1/jobs')
        .set('Content-Type', 'application/json; charset=klingon')
        .send('{"payload": {}}')
        .expect(415);
      expect(charset.body).toEqual({ ...ERROR_SHAPE, statusCode: 415, error: 'Unsupported Media Type' });
    });

    it('reads a JSON body sent gzip, deflate or br encoded, and counts MAX_BODY_BYTES on the decoded body', async () => {
      const body = JSON.stringify({ payload: { encoded: true } });
      for (const [encoding, encode] of [
        ['gzip', gzipSync],
        ['deflate', deflateSync],
        ['br', brotliCompressSync],
      ] as const) {
        const response = await as(alice)
          .post('/api/v1/jobs')
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          .serialize(asSent)
          .send(encode(body))
          .expect(201);
        expect(response.body.payload).toEqual({ encoded: true });
      }
      // 70,000 bytes of JSON in a few hundred gzipped: the limit is the decoded size's.
      const bomb = gzipSync(JSON.stringify({ payload: { blob: 'x'.repeat(70_000) } }));
      expect(bomb.length).toBeLessThan(1_000);
      const huge = await as(alice)
        .post('/api/v1/jobs')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .serialize(asSent)
        .send(bomb)
        .expect(413);
      expect(huge.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'Request body exceeds 65536 bytes',
      });
      // Names every object has (constructor, toString) are no encodings either.
      for (const encoding of ['compress', 'constructor', 'toString', '__proto__']) {
        const unknown = await as(alice)
          .post('/api/v1/jobs')
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          .send('{"payload": {}}')
          .expect(415);
        expect(unknown.body.message).toContain(`Unsupported Content-Encoding "${encoding.toLowerCase()}"`);
      }
      await as(alice).get('/health').expect(200);
    });

    it('counts a chunked JSON body (no Content-Length) against MAX_BODY_BYTES as it arrives', async () => {
      const port = await listeningPort();
      const chunked = (chunks: string[]) =>
        new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/api/v1/jobs',
              headers: { Authorization: alice.bearer, 'Content-Type': 'application/json' },
            },
            (response) => {
              let text = '';
              response.on('data', (chunk: Buffer) => (text += chunk.toString()));
              response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
            },
          );
          req.on('error', reject);
          for (const chunk of chunks) req.write(chunk);
          req.end();
        });
      const small = await chunked(['{"payload": ', '{"chunked": true}}']);
      expect(small).toMatchObject({ status: 201, body: { payload: { chunked: true } } });
      const huge = await chunked(['{"payload": {"blob": "', 'x'.repeat(40_000), 'x'.repeat(40_000), '"}}']);
      expect(huge).toEqual({
        status: 413,
        body: { statusCode: 413, error: 'Payload Too Large', message: 'Request body exceeds 65536 bytes' },
      });
    });

    it('refuses a body of any type but JSON or multipart with a 415 naming it, and takes an empty JSON body as {}', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const response = await as(alice)
          .post('/api/v1/jobs')
          .set('Content-Type', type)
          .send('payload=1')
          .expect(415);
        expect(response.body).toEqual({
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: expect.stringContaining(`Content-Type ${type} is not accepted`),
        });
      }
      // A body with no Content-Type at all (supertest would add one: sent raw).
      const port = await listeningPort();
      const untyped = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/api/v1/jobs',
            headers: { Authorization: alice.bearer },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end('payload=1');
      });
      expect(untyped).toEqual({
        status: 415,
        body: {
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: expect.stringContaining('Content-Type (none) is not accepted'),
        },
      });
      const primitive = await as(alice)
        .post('/api/v1/jobs')
        .set('Content-Type', 'application/json')
        .send('"text"')
        .expect(400);
      expect(primitive.body.message).toBe('Malformed JSON body: a JSON object or array is expected');
      const empty = await as(alice).post('/api/v1/jobs').set('Content-Type', 'application/json').expect(400);
      expect(empty.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'payload' })]),
      );
      // A type without a body is no body to refuse: validation answers, as for no type at all.
      const bodiless = await as(alice).post('/api/v1/jobs').set('Content-Type', 'text/plain').expect(400);
      expect(bodiless.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'payload' })]),
      );
      // A refused body is left unread: its connection goes with the answer.
      const unread = await as(alice)
        .post('/api/v1/jobs')
        .set('Content-Type', 'text/plain')
        .send('x'.repeat(1_000));
      expect(unread.status).toBe(415);
      expect(unread.headers.connection).toBe('close');
      const bom = await as(alice)
        .post('/api/v1/jobs')
        .set('Content-Type', 'application/json')
        .send('\uFEFF{"payload": {"bom": true}}')
        .expect(201);
      expect(bom.body.payload).toEqual({ bom: true });
    });

    it('never answers a client mistake with a 500', async () => {
      const bodies: unknown[] = [
        null,
        [],
        'text',
        42,
        { payload: null },
        { payload: {}, priority: 1e300 },
        { payload: {}, priority: 2 ** 40 },
        { payload: {}, delay_ms: 1e20 },
        { payload: {}, run_at: '2030-02-30T00:00:00Z' },
        { payload: {}, idempotency_key: '' },
        { payload: {}, idempotency_key: 'k'.repeat(500) },
        { payload: { nested: { deep: [1, { x: '\u0000' }] } } },
        { payload: {}, queue: '' },
        { payload: {}, type: '' },
        { payload: {}, max_retries: -1 },
      ];
      for (const body of bodies) {
        const response = await as(alice)
          .post('/api/v1/jobs')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body));
        expect({ body, status: response.status }).toEqual({ body, status: expect.any(Number) });
        if (response.status >= 500) throw new Error(`${JSON.stringify(body)} → ${response.status}`);
        expect(response.body).toMatchObject(
          response.status >= 400 ? ERROR_SHAPE : { id: expect.any(String) },
        );
      }
    });

    it('never answers odd bodies or queries with a 500 on any route, for a tenant or an admin', async () => {
      const root = await createCaller(db.url, 'root-of-all', 'admin');
      const uuid = '6f1c1b5e-8a3d-4c4e-9f6a-2b7d9e0c1a2b';
      const odd: unknown[] = [
        null,
        [],
        'text',
        -1,
        {},
        { ids: null, filter: null, jobs: null, name: null, role: null },
        { ids: null },
        { filter: null },
        { ids: [null], jobs: [null], filter: { type: null, tenant_id: 'x' } },
        { ids: 'x', jobs: 'x', filter: 'x', name: 7, rate_limit_per_second: 'x', max_concurrency: -1 },
        { jobs: [{ payload: [] }, 42], ids: [uuid, uuid] },
        {
          name: 'n'.repeat(10_000),
          rate_limit_per_second: 1e300,
          rate_limit_burst: 2 ** 53,
          max_concurrency: 1e20,
        },
        { name: 'nul\u0000', role: 'root', label: { a: 1 } },
        { a: nestedArrays(500) },
      ];
      // As raw text: an object literal's __proto__ sets its prototype, which JSON.stringify drops.
      const raw = ['{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'];
      const posts = [
        '/api/v1/jobs/batch',
        '/api/v1/jobs/dlq/retry',
        '/api/v1/jobs/dlq/discard',
        `/api/v1/jobs/${uuid}/cancel`,
        `/api/v1/jobs/${uuid}/retry`,
        '/api/v1/tenants',
        `/api/v1/tenants/${alice.tenantId}/keys`,
        `/api/v1/keys/${uuid}/revoke`,
      ];
      const queries = [
        '?limit=-1&cursor=%00',
        '?limit=1e9&cursor=' + 'x'.repeat(5_000),
        '?status=nope&type=' + 'y'.repeat(500),
        '?minutes=NaN&tenant_id=nope',
        '?cursor=eyJhdCI6Im5vcGUiLCJpZCI6Im5vcGUifQ', // base64 of {"at":"nope","id":"nope"}
        '?limit[]=1&status[$ne]=x',
      ];
      const gets = ['/api/v1/jobs', '/api/v1/jobs/dlq', '/api/v1/jobs/metrics/timeseries', '/api/v1/tenants'];
      const failures: string[] = [];
      for (const caller of [alice, root]) {
        for (const route of posts)
          for (const text of [...odd.map((body) => JSON.stringify(body)), ...raw]) {
            const response = await as(caller).post(route).set('Content-Type', 'application/json').send(text);
            if (response.status >= 500) failures.push(`POST ${route} ${text.slice(0, 80)}`);
            else if (response.status >= 400) expect(response.body).toMatchObject(ERROR_SHAPE);
          }
        const patch = await http()
          .patch(`/api/v1/tenants/${alice.tenantId}`)
          .set('Authorization', caller.bearer)
          .send({ rate_limit_per_second: null, max_concurrency: 'x' });
        if (patch.status >= 500) failures.push('PATCH tenant');
        for (const route of gets)
          for (const query of queries) {
            const response = await as(caller).get(route + query);
            if (response.status >= 500) failures.push(`GET ${route}${query.slice(0, 60)}`);
          }
      }
      expect(failures).toEqual([]);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    });

    describe('multipart, for analyze jobs', () => {
      it('answers an unknown field at once, without waiting for (or keeping) the rest of the body', async () => {
        const port = await listeningPort();
        // Headers promise a 50 MB body; only the first part is ever sent.
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/api/v1/jobs',
              headers: {
                Authorization: alice.bearer,
                'Content-Type': 'multipart/form-data; boundary=x',
                'Content-Length': String(50_000_000),
              },
            },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
              req.destroy();
            },
          );
          req.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
          req.write('--x\r\nContent-Disposition: form-data; name="sneaky"\r\n\r\nx\r\n--x\r\n');
          setTimeout(() => reject(new Error('no answer while the body was still coming')), 3_000);
        });
        expect(status).toBe(400);
      });

      it('accepts the curl form: type=analyze, payload as JSON, the log as `filename`', async () => {
        const response = await as(alice)
          .post('/api/v1/jobs')
          .field('type', 'analyze')
          .field('payload', '{"patterns": ["ERROR","WARN"]}')
          .attach('filename', Buffer.from('ERROR one\nWARN two\nERROR three\n'), 'example.log')
          .expect(201);
        expect(response.body).toMatchObject({
          type: 'analyze',
          payload: { patterns: ['ERROR', 'WARN'], filename: 'example.log', file_size: 31 },
        });
        const [file] = await sql<{ job_id: string; size: number; tenant_id: string }>(
          'SELECT job_id, size, tenant_id FROM job_files WHERE id = $1',
          [response.body.payload.file_id],
        );
        expect(file).toEqual({ job_id: response.body.id, size: 31, tenant_id: alice.tenantId });
      });

      it('stores a file with its job in one transaction: a repeated idempotency key stores no second file', async () => {
        const ivy = await createCaller(db.url, 'ivy');
        const upload = () =>
          as(ivy)
            .post('/api/v1/jobs')
            .field('type', 'analyze')
            .field('payload', '{"patterns": ["x"]}')
            .field('idempotency_key', 'one-upload')
            .attach('file', Buffer.from('x\n'), 'a.log');
        const first = await upload().expect(201);
        const again = await upload().expect(200);
        expect(again.body.id).toBe(first.body.id);
        expect(await sql('SELECT job_id FROM job_files WHERE tenant_id = $1', [ivy.tenantId])).toEqual([
          { job_id: first.body.id },
        ]);
      });

      it('refuses an upload past the tenant’s storage quota with a 413, storing neither job nor file', async () => {
        const jay = await createCaller(db.url, 'jay');
        const upload = () =>
          as(jay)
            .post('/api/v1/jobs')
            .field('type', 'analyze')
            .field('payload', '{"patterns": ["x"]}')
            .attach('file', Buffer.alloc(4000, 'x'), 'big.log');
        for (let i = 0; i < 5; i++) await upload().expect(201); // 20,000 bytes: the quota, exactly
        const refused = await upload().expect(413);
        expect(refused.body).toMatchObject({
          statusCode: 413,
          details: [{ field: 'file', message: 'storage quota exceeded' }],
        });
        expect(await sql('SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1', [jay.tenantId])).toEqual(
          [{ n: 5 }],
        );
        // Another tenant's quota is its own.
        await as(alice)
          .post('/api/v1/jobs')
          .field('type', 'analyze')
          .field('payload', '{"patterns": ["x"]}')
          .attach('file', Buffer.alloc(4000, 'x'), 'big.log')
          .expect(201);
      });

      it('accepts a file of exactly UPLOAD_MAX_BYTES and refuses one byte more with a 413', async () => {
        const upload = (bytes: number) =>
          as(alice)
            .post('/api/v1/jobs')
            .field('type', 'analyze')
            .field('payload', '{"patterns": ["x"]}')
            .attach('file', Buffer.alloc(bytes, 'x'), 'edge.log');
        const atLimit = await upload(4096).expect(201);
        expect(atLimit.body.payload.file_size).toBe(4096);
        const [file] = await sql<{ size: number }>(
          'SELECT octet_length(content) AS size FROM job_files WHERE id = $1',
          [atLimit.body.payload.file_id],
        );
        expect(file).toEqual({ size: 4096 });
        const over = await upload(4097).expect(413);
        expect(over.body.details).toEqual([{ field: 'file', message: 'file too large' }]);
      });

      it('takes a payload field of exactly MAX_BODY_BYTES (65,536) and refuses one byte more with a 413', async () => {
        // {"patterns":["x…"]}: past its size check, a pattern this long is a 400 of the handler's.
        const payload = (bytes: number) => `{"patterns":["${'x'.repeat(bytes - 17)}"]}`;
        const upload = (bytes: number) =>
          as(alice)
            .post('/api/v1/jobs')
            .field('type', 'analyze')
            .field('payload', payload(bytes))
            .attach('file', Buffer.from('x\n'), 'a.log');
        expect(payload(65_536)).toHaveLength(65_536);
        const atLimit = await upload(65_536).expect(400);
        expect(atLimit.body.details).toMatchObject([{ field: 'payload.patterns' }]);
        const over = await upload(65_537).expect(413);
        expect(over.body.details).toEqual([{ field: 'payload', message: 'too large' }]);
      });

      it('accepts the file in field `file` too, with numeric fields as strings', async () => {
        const response = await as(alice)
          .post('/api/v1/jobs')
          .field('type', 'analyze')
          .field('payload', '{"patterns": ["x"]}')
          .field('max_retries', '1')
          .attach('file', Buffer.from('x\n'), 'a.log')
          .expect(201);
        expect(response.body.max_attempts).toBe(2);
      });

      it('checks the key before reading an upload: a bad key with a file over the limit is a 401', async () => {
        const response = await http()
          .post('/api/v1/jobs')
          .set('Authorization', 'Bearer cvr_not-a-key')
          .field('type', 'analyze')
          .field('payload', '{"patterns": ["x"]}')
          .attach('file', Buffer.alloc(5000), 'big.log')
          .expect(401);
        expect(response.body).toMatchObject({ ...ERROR_SHAPE, statusCode: 401 });
      });

      it.each([
        [
          'a payload that is not JSON',
          (r: request.Test) =>
            r.field('type', 'analyze').field('payload', '{oops').attach('file', Buffer.from('x'), 'a.log'),
          400,
          'payload',
        ],
        [
          'a payload nested deeper than JSON bodies may be',
          (r: request.Test) =>
            r
              .field('type', 'analyze')
              .field('payload', `{"patterns": ${'['.repeat(2_000)}${']'.repeat(2_000)}}`)
              .attach('file', Buffer.from('x'), 'a.log'),
          400,
          undefined,
        ],
        [
          'an analyze job without a file',
          (r: request.Test) => r.field('type', 'analyze').field('payload', '{"patterns": ["x"]}'),
          400,
          'file',
        ],
        [
          'two files',
          (r: request.Test) =>
            r
              .field('type', 'analyze')
              .field('payload', '{"patterns": ["x"]}')
              .attach('file', Buffer.from('a'), 'a.log')
              .attach('filename', Buffer.from('b'), 'b.log'),
          400,
          'file',
        ],
        [
          'a file over UPLOAD_MAX_BYTES',
          (r: request.Test) =>
            r
              .field('type', 'analyze')
              .field('payload', '{"patterns": ["x"]}')
              .attach('file', Buffer.alloc(5000), 'big.log'),
          413,
          undefined,
        ],
        [
          'a field the submission does not have, ahead of a file (refused before the file is read)',
          (r: request.Test) =>
            r
              .field('type', 'analyze')
              .field('sneaky', 'x')
              .field('payload', '{"patterns": ["x"]}')
              .attach('file', Buffer.alloc(3000), 'a.log'),
          400,
          'sneaky',
        ],
        [
          'a short field (queue) over 1 KiB',
          (r: request.Test) =>
            r
              .field('type', 'analyze')
              .field('queue', 'q'.repeat(2_000))
              .field('payload', '{"patterns": ["x"]}')
              .attach('file', Buffer.from('a'), 'a.log'),
          413,
          'queue',
        ],
        [
          'a file in an unexpected field',
          (r: request.Test) =>
            r
              .field('type', 'analyze')
              .field('payload', '{"patterns": ["x"]}')
              .attach('upload', Buffer.from('a'), 'a.log'),
          400,
          undefined,
        ],
        [
          'more than 20 fields',
          (r: request.Test) =>
            Array.from({ length: 25 }, (_, i) => i).reduce(
              (form, i) => form.field(`extra${i}`, 'x'),
              r.field('type', 'analyze').field('payload', '{"patterns": ["x"]}'),
            ),
          400,
          undefined,
        ],
        [
          'a multipart body without its boundary',
          (r: request.Test) =>
            r
              .set('Content-Type', 'multipart/form-data')
              .send('--x\r\nContent-Disposition: form-data; name="type"\r\n\r\nanalyze\r\n--x--'),
          400,
          undefined,
        ],
        [
          'a file in an unexpected field, cut short (its part errors: the process must stay up)',
          (r: request.Test) =>
            r
              .set('Content-Type', 'multipart/form-data; boundary=x')
              .send(
                '--x\r\nContent-Disposition: form-data; name="upload"; filename="a.log"\r\n\r\nhalf a fi',
              ),
          400,
          undefined,
        ],
        [
          'a multipart body cut short',
          (r: request.Test) =>
            r
              .set('Content-Type', 'multipart/form-data; boundary=x')
              .send('--x\r\nContent-Disposition: form-data; name="file"; filename="a.log"\r\n\r\nhalf a fi'),
          400,
          undefined,
        ],
      ])('refuses %s, storing nothing', async (_, build, status, field) => {
        const files = await sql('SELECT count(*)::int AS n FROM job_files');
        const response = await build(as(alice).post('/api/v1/jobs')).expect(status);
        expect(response.body).toMatchObject({ ...ERROR_SHAPE, statusCode: status });
        if (field) expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
        expect(await sql('SELECT count(*)::int AS n FROM job_files')).toEqual(files);
      });
    });
  });

  describe('POST /api/v1/jobs/batch', () => {
    it('inserts every job in one call and answers them in order', async () => {
      const response = await as(alice)
        .post('/api/v1/jobs/batch', {
          jobs: [
            { type: 'email', payload: { n: 1 } },
            { payload: { n: 2 }, idempotency_key: 'batch-key' },
            { type: 'sleep', payload: { seconds: 1 }, queue: 'slow', priority: 5 },
          ],
        })
        .expect(201);
      expect(response.body.jobs.map((j: { payload: { n?: number }; type: string }) => j.type)).toEqual([
        'email',
        'default',
        'sleep',
      ]);
      const again = await as(alice)
        .post('/api/v1/jobs/batch', { jobs: [{ payload: { n: 2 }, idempotency_key: 'batch-key' }] })
        .expect(201);
      expect(again.body.jobs[0].id).toBe(response.body.jobs[1].id);
    });

    it('answers each submitted job exactly as reading it back shows it', async () => {
      // The insert returns only what the database decided (id, status, time): the rest of the
      // answer is built from the request, and must not drift from the stored row.
      const later = new Date(Date.now() + 3_600_000).toISOString();
      const single = await as(alice)
        .post('/api/v1/jobs', {
          type: 'email',
          queue: 'mail',
          priority: -3,
          max_attempts: 2,
          run_at: later,
          idempotency_key: 'answer-shape',
          payload: { to: 'a@example.com', nested: { list: [1, 2.5, 'x'] } },
        })
        .set('X-Request-Id', 'answer-shape-trace')
        .expect(201);
      const batch = await as(alice)
        .post('/api/v1/jobs/batch', {
          jobs: [
            { payload: { n: 1 } },
            { type: 'sleep', payload: { seconds: 1 }, queue: 'slow', priority: 7 },
          ],
        })
        .expect(201);
      const answered = [single.body, ...batch.body.jobs];
      expect(answered.map((job) => job.status)).toEqual(['scheduled', 'pending', 'pending']);
      for (const job of answered) {
        const stored = await as(alice).get(`/api/v1/jobs/${job.id}`).expect(200);
        expect(job).toEqual(stored.body);
      }
    });
    it('answers only ids and statuses, in order, when the caller prefers return=minimal', async () => {
      const first = await as(alice)
        .post('/api/v1/jobs/batch', { jobs: [{ payload: { n: 1 }, idempotency_key: 'minimal-key' }] })
        .expect(201);
      expect(first.headers['preference-applied']).toBeUndefined();
      const later = new Date(Date.now() + 3_600_000).toISOString();
      const response = await as(alice)
        .post('/api/v1/jobs/batch', {
          jobs: [
            { payload: { n: 2 } },
            { payload: { n: 1 }, idempotency_key: 'minimal-key' },
            { payload: { n: 3 }, run_at: later },
          ],
        })
        .set('Prefer', 'respond-async, return=minimal')
        .expect(201);
      expect(response.headers['preference-applied']).toBe('return=minimal');
      expect(response.body).toEqual({
        jobs: [
          { id: expect.any(String), status: 'pending' },
          { id: first.body.jobs[0].id, status: 'pending' },
          { id: expect.any(String), status: 'scheduled' },
        ],
      });
      const stored = await Promise.all(
        response.body.jobs.map(
          async ({ id }: { id: string }) => (await as(alice).get(`/api/v1/jobs/${id}`).expect(200)).body,
        ),
      );
      expect(stored.map((job) => [job.payload.n, job.status])).toEqual([
        [2, 'pending'],
        [1, 'pending'],
        [3, 'scheduled'],
      ]);
    });

    it('keeps payload keys named like Object.prototype members, and refuses __proto__, constructor and prototype', async () => {
      // class-transformer used to drop the first kind from a payload silently, and the pipe
      // deletes the second kind wherever it is: now one is stored as sent, the other refused.
      const kept = { a: 1, toString: 'x', list: [{ valueOf: 2, hasOwnProperty: { isPrototypeOf: 3 } }] };
      for (const [route, body] of [
        ['/api/v1/jobs', { payload: kept }],
        ['/api/v1/jobs/batch', { jobs: [{ payload: { b: 1 } }, { payload: kept }] }],
      ] as const) {
        const response = await as(alice).post(route, body).expect(201);
        const id = route.endsWith('batch') ? response.body.jobs[1].id : response.body.id;
        const stored = await as(alice).get(`/api/v1/jobs/${id}`).expect(200);
        expect(stored.body.payload).toEqual(kept);
      }
      const before = await sql('SELECT count(*)::int AS n FROM jobs');
      for (const [text, field] of [
        [
          '{"jobs":[{"payload":{"a":1}},{"payload":{"list":[{"prototype":2}]}}]}',
          'jobs.1.payload.list.0.prototype',
        ],
        ['{"payload":{"a":1,"__proto__":{"polluted":true}}}', 'payload.__proto__'],
        ['{"payload":{"constructor":{"x":1}}}', 'payload.constructor'],
      ]) {
        const response = await as(alice)
          .post(text.startsWith('{"jobs"') ? '/api/v1/jobs/batch' : '/api/v1/jobs')
          .set('Content-Type', 'application/json')
          .send(text)
          .expect(400);
        expect(response.body.details).toEqual([{ field, message: expect.stringContaining('are refused') }]);
      }
      expect(await sql('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('refuses a field named like an Object.prototype member outside a payload, as any unknown field', async () => {
      // class-transformer skips such keys when it builds the DTO, so they were dropped silently.
      const before = await sql('SELECT count(*)::int AS n FROM jobs');
      for (const [route, text, field] of [
        ['/api/v1/jobs', '{"type":"default","payload":{},"toString":"x"}', 'toString'],
        [
          '/api/v1/jobs/batch',
          '{"jobs":[{"payload":{}},{"payload":{"valueOf":1},"valueOf":1}]}',
          'jobs.1.valueOf',
        ],
        ['/api/v1/jobs/batch', '{"jobs":[{"payload":{}}],"hasOwnProperty":true}', 'hasOwnProperty'],
      ] as const) {
        const response = await as(alice)
          .post(route)
          .set('Content-Type', 'application/json')
          .send(text)
          .expect(400);
        expect(response.body.details).toEqual([{ field, message: `${field} should not exist` }]);
      }
      expect(await sql('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
    });

    it('refuses the whole batch when any item is bad, naming each by index', async () => {
      const before = await sql('SELECT count(*)::int AS n FROM jobs');
      const response = await as(alice)
        .post('/api/v1/jobs/batch', {
          jobs: [{ payload: {} }, { type: 'nope', payload: {} }, { payload: {} }, { payload: 'x' }],
        })
        .expect(400);
      expect(response.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'jobs.3.payload' })]),
      );
      expect(await sql('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
      const typeOnly = await as(alice)
        .post('/api/v1/jobs/batch', { jobs: [{ payload: {} }, { type: 'nope', payload: {} }] })
        .expect(400);
      expect(typeOnly.body.details).toEqual([{ index: 1, field: 'type', message: expect.any(String) }]);
    });

    it('refuses an empty batch and one over 1,000 jobs', async () => {
      await as(alice).post('/api/v1/jobs/batch', { jobs: [] }).expect(400);
      const big = { jobs: Array.from({ length: 1001 }, () => ({ payload: {} })) };
      await as(alice).post('/api/v1/jobs/batch', big).expect(400);
      await as(alice).post('/api/v1/jobs/batch', {}).expect(400);
    });
  });

  describe('reading jobs', () => {
    it('shows one job with its payload, and 404s another tenant’s job or an unknown id', async () => {
      const created = await as(alice)
        .post('/api/v1/jobs', { type: 'email', payload: { to: 'x' } })
        .expect(201);
      const response = await as(alice).get(`/api/v1/jobs/${created.body.id}`).expect(200);
      expect(response.body).toMatchObject({
        id: created.body.id,
        payload: { to: 'x' },
        errors: [],
        result: null,
      });
      await as(bob).get(`/api/v1/jobs/${created.body.id}`).expect(404);
      await as(alice).get('/api/v1/jobs/6f1c1b5e-8a3d-4c4e-9f6a-2b7d9e0c1a2b').expect(404);
      const bad = await as(alice).get('/api/v1/jobs/not-a-uuid').expect(400);
      expect(bad.body.details).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    });

    it('pages through a tenant’s jobs newest first with a cursor, without repeats, filtered', async () => {
      const carol = await createCaller(db.url, 'carol');
      const ids: string[] = [];
      for (let i = 0; i < 7; i++)
        ids.push(
          (await as(carol).post('/api/v1/jobs', { type: 'email', payload: { i }, queue: 'mail' }).expect(201))
            .body.id,
        );
      await as(carol)
        .post('/api/v1/jobs', { type: 'sleep', payload: { seconds: 1 } })
        .expect(201);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await as(carol).get(
          `/api/v1/jobs?type=email&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.jobs.map((j: { id: string }) => j.id));
        expect(page.body.jobs[0]).not.toHaveProperty('payload');
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      const mail = await as(carol).get('/api/v1/jobs?queue=mail&status=pending&limit=500').expect(200);
      expect(mail.body.jobs).toHaveLength(7);
      const none = await as(carol).get('/api/v1/jobs?status=completed').expect(200);
      expect(none.body).toEqual({ jobs: [], next_cursor: null });
    });

    it('filters by the status names other services use, answering with ours', async () => {
      const erin = await createCaller(db.url, 'synonym-filter');
      const [pending, running, completed, cancelled] = await queue.insertMany(
        jobFactory.many(erin.tenantId, 4),
      );
      await claimOnly([running.id, completed.id]);
      await queue.completeMany('test-worker', [{ id: completed.id, result: {} }]);
      await as(erin).post(`/api/v1/jobs/${cancelled.id}/cancel`).expect(200);
      const dead = await deadJobOf(erin);
      const expected: Array<[string, string, string]> = [
        ['queued', 'pending', pending.id],
        ['processing', 'running', running.id],
        ['succeeded', 'completed', completed.id],
        ['canceled', 'cancelled', cancelled.id],
        ['dlq', 'dead', dead],
      ];
      for (const [synonym, state, id] of expected) {
        const [ours, theirs] = await Promise.all([
          as(erin).get(`/api/v1/jobs?status=${state}`).expect(200),
          as(erin).get(`/api/v1/jobs?status=${synonym}`).expect(200),
        ]);
        expect(theirs.body).toEqual(ours.body);
        expect(theirs.body.jobs.map((job: { id: string; status: string }) => [job.id, job.status])).toEqual([
          [id, state],
        ]);
      }
      const refused = await as(erin).get('/api/v1/jobs?status=done').expect(400);
      expect(refused.body.details).toEqual([
        { field: 'status', message: expect.stringContaining('queued for pending') },
      ]);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=501', 'limit'],
      ['limit=abc', 'limit'],
      ['status=exploded', 'status'],
      ['cursor=garbage', 'cursor'],
      [`cursor=${Buffer.from('["2026-01-01", "x"]').toString('base64url')}`, 'cursor'],
      ['surprise=1', 'surprise'],
    ])('refuses a list query with %s naming the field', async (query, field) => {
      const response = await as(alice).get(`/api/v1/jobs?${query}`).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('lists the registered job types with an example payload', async () => {
      const response = await as(alice).get('/api/v1/job-types').expect(200);
      expect(response.body).toEqual(
        expect.arrayContaining([
          {
            type: 'analyze',
            description: expect.any(String),
            example_payload: { patterns: ['ERROR', 'WARN'] },
            default_timeout_ms: 600_000,
          },
          expect.objectContaining({ type: 'default' }),
        ]),
      );
    });
  });

  describe('cancel and retry', () => {
    it('cancels a pending job once, and 404s for another tenant', async () => {
      const { body: job } = await as(alice).post('/api/v1/jobs', { type: 'email', payload: {} }).expect(201);
      await as(bob).post(`/api/v1/jobs/${job.id}/cancel`).expect(404);
      const cancelled = await as(alice).post(`/api/v1/jobs/${job.id}/cancel`).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', finished_at: expect.any(String) });
      const again = await as(alice).post(`/api/v1/jobs/${job.id}/cancel`).expect(409);
      expect(again.body.message).toMatch(/cancelled/);
    });

    it('retries a cancelled or dead job with a fresh attempt count, not a pending one', async () => {
      const { body: job } = await as(alice).post('/api/v1/jobs', { type: 'email', payload: {} }).expect(201);
      await as(alice).post(`/api/v1/jobs/${job.id}/retry`).expect(409);
      await as(alice).post(`/api/v1/jobs/${job.id}/cancel`).expect(200);
      await as(bob).post(`/api/v1/jobs/${job.id}/retry`).expect(404);
      const retried = await as(alice).post(`/api/v1/jobs/${job.id}/retry`).expect(200);
      expect(retried.body).toMatchObject({ status: 'pending', attempts: 0, finished_at: null });

      const dead = await deadJobOf(alice);
      const redriven = await as(alice).post(`/api/v1/jobs/${dead}/retry`).expect(200);
      expect(redriven.body).toMatchObject({ status: 'pending', attempts: 0 });
      expect(redriven.body.errors).toHaveLength(1);
      expect(await sql('SELECT 1 FROM dead_letter_jobs WHERE job_id = $1', [dead])).toEqual([]);
    });
  });

  describe('the dead-letter queue', () => {
    it('lists only the caller’s dead jobs with their errors', async () => {
      const mine = await deadJobOf(alice);
      const bobs = await deadJobOf(bob);
      const response = await as(alice).get('/api/v1/jobs/dlq?limit=500').expect(200);
      const ids = response.body.jobs.map((j: { job_id: string }) => j.job_id);
      expect(ids).toContain(mine);
      expect(ids).not.toContain(bobs);
      expect(response.body.jobs.find((j: { job_id: string }) => j.job_id === mine)).toMatchObject({
        errors: [{ attempt: 1, error: 'boom' }],
        last_error: 'boom',
      });
    });

    it('retries its own entries by ids, in either case', async () => {
      const ids = [await deadJobOf(alice), await deadJobOf(alice)];
      const response = await as(alice)
        .post('/api/v1/jobs/dlq/retry', { ids: [ids[0], ids[1].toUpperCase()] })
        .expect(200);
      expect(response.body).toEqual({ count: 2, ids: expect.arrayContaining(ids), remaining: 0 });
      expect(await sql('SELECT DISTINCT status FROM jobs WHERE id = ANY($1)', [ids])).toEqual([
        { status: 'pending' },
      ]);
    });

    it.each(['retry', 'discard'])(
      'answers a %s by ids that include another tenant’s entry with a 404 naming it, doing nothing',
      async (action) => {
        const mine = await deadJobOf(alice);
        const bobs = await deadJobOf(bob);
        const response = await as(alice)
          .post(`/api/v1/jobs/dlq/${action}`, { ids: [mine, bobs] })
          .expect(404);
        expect(response.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: `No such DLQ entry: ${bobs}`,
          details: [{ field: 'ids', message: `no DLQ entry ${bobs}` }],
        });
        expect(await sql('SELECT status FROM jobs WHERE id = ANY($1)', [[mine, bobs]])).toEqual([
          { status: 'dead' },
          { status: 'dead' },
        ]);
        // An admin sees every tenant's DLQ: the same ids are all found.
        const root = await createCaller(db.url, 'dlq-admin', 'admin');
        await as(root)
          .post(`/api/v1/jobs/dlq/${action}`, { ids: [mine, bobs] })
          .expect(200);
      },
    );

    it('discards every entry matching a filter, and only the caller’s', async () => {
      await deadJobOf(alice, 'report');
      await deadJobOf(alice, 'report');
      const bobs = await deadJobOf(bob, 'report');
      const response = await as(alice)
        .post('/api/v1/jobs/dlq/discard', { filter: { type: 'report' } })
        .expect(200);
      expect(response.body.count).toBe(2);
      expect(await sql(`SELECT id FROM jobs WHERE id = ANY($1)`, [response.body.ids])).toEqual([]);
      expect(await sql('SELECT job_id FROM dead_letter_jobs WHERE job_id = $1', [bobs])).toHaveLength(1);
    });

    it('refuses a selection with neither or both of ids and filter, or bad ids', async () => {
      await as(alice).post('/api/v1/jobs/dlq/retry', {}).expect(400);
      await as(alice)
        .post('/api/v1/jobs/dlq/retry', { ids: ['6f1c1b5e-8a3d-4c4e-9f6a-2b7d9e0c1a2b'], filter: {} })
        .expect(400);
      const bad = await as(alice)
        .post('/api/v1/jobs/dlq/discard', { ids: ['nope'] })
        .expect(400);
      expect(bad.body.details[0].field).toMatch(/^ids/);
    });

    it('pages the DLQ newest first with next_cursor, and redrives by filter only the matches', async () => {
      const erin = await createCaller(db.url, 'erin');
      const ids = [await deadJobOf(erin), await deadJobOf(erin), await deadJobOf(erin, 'report')];
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await as(erin).get(`/api/v1/jobs/dlq?limit=2${query}`).expect(200);
        expect(page.body.jobs.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.jobs.map((job: { job_id: string }) => job.job_id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      const redriven = await as(erin)
        .post('/api/v1/jobs/dlq/retry', { filter: { type: 'report' } })
        .expect(200);
      expect(redriven.body).toEqual({ count: 1, ids: [ids[2]], remaining: 0 });
      expect(await sql(`SELECT status FROM jobs WHERE id = $1`, [ids[2]])).toEqual([{ status: 'pending' }]);
      const rest = await as(erin).get('/api/v1/jobs/dlq').expect(200);
      expect(rest.body.jobs.map((job: { job_id: string }) => job.job_id)).toEqual([ids[1], ids[0]]);
    });

    it('acts by filter on a snapshot, at most DLQ_BULK_MAX_PER_CALL entries a call, and says how many remain', async () => {
      const hal = await createCaller(db.url, 'hal');
      const ids = [await deadJobOf(hal), await deadJobOf(hal), await deadJobOf(hal), await deadJobOf(hal)];
      // An entry that died after the request began (here: its died_at set ahead) is not in the snapshot.
      await sql(`UPDATE dead_letter_jobs SET died_at = now() + interval '1 hour' WHERE job_id = $1`, [
        ids[3],
      ]);
      const first = await as(hal).post('/api/v1/jobs/dlq/discard', { filter: {} }).expect(200);
      expect({ ...first.body, ids: first.body.ids.sort() }).toEqual({
        count: 2,
        ids: [ids[0], ids[1]].sort(),
        remaining: 1,
      });
      const second = await as(hal).post('/api/v1/jobs/dlq/discard', { filter: {} }).expect(200);
      expect(second.body).toEqual({ count: 1, ids: [ids[2]], remaining: 0 });
      expect(await sql('SELECT job_id FROM dead_letter_jobs WHERE job_id = ANY($1)', [ids])).toEqual([
        { job_id: ids[3] },
      ]);
    });

    it('counts the caller’s entries matching a filter, for a bulk action’s confirmation', async () => {
      const fay = await createCaller(db.url, 'fay');
      await deadJobOf(fay);
      await deadJobOf(fay, 'report');
      await deadJobOf(fay, 'report');
      await deadJobOf(bob, 'report');
      const all = await as(fay).get('/api/v1/jobs/dlq/count').expect(200);
      expect(all.body).toEqual({ count: 3, capped: false, cap: 100_000 });
      const reports = await as(fay).get('/api/v1/jobs/dlq/count?type=report').expect(200);
      expect(reports.body.count).toBe(2);
      const none = await as(fay).get('/api/v1/jobs/dlq/count?queue=elsewhere').expect(200);
      expect(none.body.count).toBe(0);
      const bad = await as(fay).get('/api/v1/jobs/dlq/count?tenant_id=nope').expect(400);
      expect(bad.body.details[0].field).toBe('tenant_id');
    });

    it.each([
      ['ids null', { ids: null }],
      ['filter null', { filter: null }],
      ['both null', { ids: null, filter: null }],
    ])('refuses a selection with %s as one with neither (400, not 500)', async (_, selection) => {
      for (const action of ['retry', 'discard']) {
        const response = await as(alice).post(`/api/v1/jobs/dlq/${action}`, selection).expect(400);
        expect(response.body).toMatchObject({
          ...ERROR_SHAPE,
          details: [{ field: 'ids', message: expect.any(String) }],
        });
      }
    });
  });

  describe('metrics', () => {
    it('summarises a tenant’s jobs from the counters, under the names simple dashboards use', async () => {
      const dave = await createCaller(db.url, 'dave');
      await as(dave)
        .post('/api/v1/jobs/batch', { jobs: [{ payload: {} }, { payload: {} }, { payload: {} }] })
        .expect(201);
      const { body: cancelMe } = await as(dave).post('/api/v1/jobs', { payload: {} }).expect(201);
      await as(dave).post(`/api/v1/jobs/${cancelMe.id}/cancel`).expect(200);
      await deadJobOf(dave);
      const response = await as(dave).get('/api/v1/jobs/metrics/summary').expect(200);
      expect(response.body).toEqual({
        total_jobs: 5,
        scheduled_jobs: 0,
        pending_jobs: 3,
        running_jobs: 0,
        completed_jobs: 0,
        failed_jobs: 0,
        dlq_jobs: 1,
        cancelled_jobs: 1,
        active_jobs: 0,
        queue_length: 3,
        throughput_per_second: 0,
        failure_rate: expect.any(Number),
        completed_per_minute: 0,
        failed_per_minute: expect.any(Number),
      });
    });

    it('gives queue depths by queue, the most waiting first, for the caller’s jobs only', async () => {
      const gus = await createCaller(db.url, 'gus');
      await as(gus)
        .post('/api/v1/jobs/batch', {
          jobs: [
            { payload: {}, queue: 'mail' },
            { payload: {}, queue: 'reports' },
            { payload: {}, queue: 'reports' },
          ],
        })
        .expect(201);
      const { body: cancelMe } = await as(gus)
        .post('/api/v1/jobs', { payload: {}, queue: 'mail' })
        .expect(201);
      await as(gus).post(`/api/v1/jobs/${cancelMe.id}/cancel`).expect(200);
      await as(bob).post('/api/v1/jobs', { payload: {}, queue: 'bobs-own' }).expect(201);
      const response = await as(gus).get('/api/v1/jobs/metrics/queues').expect(200);
      const zero = { scheduled: 0, running: 0, failed: 0, dead: 0, completed: 0 };
      expect(response.body).toEqual({
        queues: [
          { queue: 'reports', pending: 2, cancelled: 0, ...zero },
          { queue: 'mail', pending: 1, cancelled: 1, ...zero },
        ],
      });
    });

    it('reports the last minute’s throughput and failure rate from the rollups', async () => {
      const fran = await createCaller(db.url, 'fran');
      const jobs = await queue.insertMany([
        ...jobFactory.many(fran.tenantId, 3),
        jobFactory.build(fran.tenantId, { type: 'fail', maxAttempts: 1 }),
      ]);
      const ids = jobs.map((job) => job.id);
      await claimOnly(ids);
      await queue.completeMany(
        'test-worker',
        ids.slice(0, 3).map((id) => ({ id, result: null })),
      );
      await queue.failMany('test-worker', [{ id: ids[3], error: 'boom', retryDelayMs: 0 }]);
      await queue.rollCountsExclusively();

      const { body } = await as(fran).get('/api/v1/jobs/metrics/summary').expect(200);
      // The window is the current minute so far plus the previous one: 60-120 s.
      expect(body).toMatchObject({ completed_jobs: 3, dlq_jobs: 1, failure_rate: 0.25 });
      expect(body.throughput_per_second).toBeGreaterThanOrEqual(0.02);
      expect(body.throughput_per_second).toBeLessThanOrEqual(0.05);
      expect([2, 3]).toContain(body.completed_per_minute);
      expect([1]).toContain(body.failed_per_minute);
      const { body: series } = await as(fran).get('/api/v1/jobs/metrics/timeseries?minutes=2').expect(200);
      const total = (key: string) =>
        series.points.reduce((sum: number, point: Record<string, number>) => sum + point[key], 0);
      expect([
        total('submitted'),
        total('started'),
        total('completed'),
        total('failed'),
        total('dead'),
      ]).toEqual([4, 4, 3, 1, 1]);
    });

    it('returns a point per minute for charts, and refuses a bad window', async () => {
      const response = await as(alice).get('/api/v1/jobs/metrics/timeseries?minutes=5').expect(200);
      expect(response.body.minutes).toBe(5);
      expect(response.body.points).toHaveLength(5);
      expect(response.body.points[0]).toEqual({
        minute: expect.any(String),
        submitted: expect.any(Number),
        started: expect.any(Number),
        completed: expect.any(Number),
        failed: expect.any(Number),
        retried: expect.any(Number),
        dead: expect.any(Number),
        avg_run_ms: null,
        avg_wait_ms: null,
      });
      await as(alice).get('/api/v1/jobs/metrics/timeseries?minutes=0').expect(400);
      await as(alice).get('/api/v1/jobs/metrics/timeseries?minutes=99999').expect(400);
    });
  });

  describe('the rest of the HTTP surface', () => {
    it('answers an unknown route with a 404 in the error shape', async () => {
      const response = await as(alice).get('/api/v1/nothing-here').expect(404);
      expect(response.body).toEqual({ ...ERROR_SHAPE, statusCode: 404, error: 'Not Found' });
    });

    it('sets helmet’s security headers', async () => {
      const response = await http().get('/health').expect(200);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBeDefined();
    });

    it('documents every route with the Bearer scheme in the OpenAPI document', async () => {
      const { body } = await http().get('/docs-json').expect(200);
      expect(Object.keys(body.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/jobs',
          '/api/v1/jobs/batch',
          '/api/v1/jobs/{id}',
          '/api/v1/jobs/{id}/cancel',
          '/api/v1/jobs/{id}/retry',
          '/api/v1/jobs/dlq',
          '/api/v1/jobs/dlq/retry',
          '/api/v1/jobs/dlq/discard',
          '/api/v1/jobs/metrics/summary',
          '/api/v1/jobs/metrics/timeseries',
          '/api/v1/job-types',
          '/api/v1/tenants',
          '/api/v1/tenants/{id}/keys',
          '/api/v1/keys/{id}/revoke',
          '/api/v1/auth/me',
          '/api/v1/events',
        ]),
      );
      expect(body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const problems: string[] = [];
      const schemas = body.components.schemas as Record<string, unknown>;
      const refsIn = (value: unknown): string[] =>
        JSON.stringify(value ?? null)
          .match(/#\/components\/schemas\/[\w-]+/g)
          ?.map((ref) => ref.split('/').pop()!) ?? [];
      type Operation = { summary?: string; security?: unknown; responses?: object; requestBody?: unknown };
      for (const [path, operations] of Object.entries(
        body.paths as Record<string, Record<string, Operation>>,
      )) {
        for (const [method, operation] of Object.entries(operations)) {
          const where = `${method.toUpperCase()} ${path}`;
          if (!operation.summary) problems.push(`${where}: no summary`);
          const open = path === '/health' || path === '/ready';
          if (!open && JSON.stringify(operation.security) !== JSON.stringify([{ bearer: [] }]))
            problems.push(`${where}: not under the Bearer scheme`);
          const success = Object.keys(operation.responses ?? {}).filter((code) => code.startsWith('2'));
          if (success.length === 0) problems.push(`${where}: no success response`);
          if (
            ['post', 'patch'].includes(method) &&
            !path.endsWith('/cancel') &&
            !path.endsWith('/retry') &&
            !path.endsWith('/revoke') &&
            !operation.requestBody
          )
            problems.push(`${where}: no request body documented`);
          for (const ref of refsIn(operation))
            if (!(ref in schemas)) problems.push(`${where}: missing schema ${ref}`);
        }
      }
      expect(problems).toEqual([]);
      // The DTOs are documented field by field, not as bare objects.
      expect(schemas.CreateJobDto).toMatchObject({
        properties: expect.objectContaining({
          payload: expect.anything(),
          idempotency_key: expect.anything(),
        }),
      });
      expect(schemas.JobDto).toMatchObject({
        properties: expect.objectContaining({
          id: expect.anything(),
          status: expect.anything(),
          trace_id: expect.anything(),
        }),
      });
    });
  });
});
