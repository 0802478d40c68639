import { type AddressInfo } from 'node:net';
import { connect as netConnect } from 'node:net';
import { Pool } from 'pg';
import request from 'supertest';
import { PLAIN_CLOSE_CODES, type PlainJobEventMessage } from '../../contracts/src/event-map';
import { JobQueue } from '../src/queue/job-queue';
import { createEventCallers, startApi, submitJob, type TestCaller } from './support/api';
import { jobFactory } from './support/job-factory';
import {
  connectPlainSocket,
  type EventStream,
  jobMessagesOf,
  openEventStream,
  type PlainSocket,
  type PlainSocketOptions,
} from './support/plain-clients';
import { type RunningProcess, startReadyWorker, stopProcess, waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

/** Live events over the plain transports: a real `ws` client on /ws and node's http reading SSE. */
describe('live events over /ws and Server-Sent Events', () => {
  let db: TestDatabase;
  let api: ApiApplication;
  let url: string;
  let pool: Pool;
  let queue: JobQueue;
  let worker: RunningProcess;
  let acme: TestCaller;
  let globex: TestCaller;
  let admin: TestCaller;
  const sockets: PlainSocket[] = [];
  const streams: EventStream[] = [];

  const socketOf = async (options: PlainSocketOptions): Promise<PlainSocket> => {
    const plain = connectPlainSocket(url, options, sockets);
    await plain.opened;
    return plain;
  };
  const streamOf = async (caller: TestCaller, options: { lastEventId?: string; query?: string } = {}) => {
    const stream = await openEventStream(url, { bearer: caller.key, ...options }, streams);
    expect(stream.status).toBe(200);
    return stream;
  };
  const jobsIn = (messages: PlainJobEventMessage[], jobId: string): string[] =>
    messages.filter((message) => message.job_id === jobId).map((message) => message.event);
  const streamJobs = (stream: EventStream): PlainJobEventMessage[] =>
    jobMessagesOf(stream.events.map((event) => event.data));
  const delayedJobs = async (caller: TestCaller, count: number): Promise<string[]> =>
    (
      await queue.insertMany(
        jobFactory.many(caller.tenantId, count, { runAt: new Date(Date.now() + 3_600_000) }),
      )
    ).map((job) => job.id);
  const submit = (caller: TestCaller, body: object): Promise<string> => submitJob(api, caller, body);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(db.url);
    await api.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
    pool = new Pool({ connectionString: db.url, max: 4 });
    queue = new JobQueue(pool);
    ({ acme, globex, admin } = await createEventCallers(db.url));
    worker = await startReadyWorker(db.url);
  });
  afterEach(() => {
    for (const plain of sockets.splice(0)) plain.socket.terminate();
    for (const stream of streams.splice(0)) stream.close();
  });
  afterAll(async () => {
    await stopProcess(worker);
    await api.close();
    await pool.end();
    await db.drop();
  });

  describe('/ws', () => {
    it('takes the key as a Bearer header or as ?token=, and delivers the tenant’s events as JSON messages', async () => {
      const byHeader = await socketOf({ bearer: acme.key });
      const byToken = await socketOf({ token: acme.key });
      const [id] = await delayedJobs(acme, 1);
      await waitUntil('both sockets got the job', () =>
        [byHeader, byToken].every((plain) => jobsIn(jobMessagesOf(plain.messages), id).length > 0),
      );
      for (const plain of [byHeader, byToken])
        expect(plain.messages).toEqual([
          {
            event: 'job_submitted',
            job_id: id,
            tenant_id: acme.tenantId,
            queue: 'default',
            job_type: 'default',
            status: 'scheduled',
            attempt: 0,
            progress: 0,
            error: null,
            at: expect.any(String),
          },
        ]);
    });

    it('closes a socket with an unknown or missing key with 4401, and a bad tenant_id with 4400', async () => {
      const refusals: Array<[PlainSocketOptions, number]> = [
        [{ bearer: 'cvr_not-a-real-key-at-all' }, PLAIN_CLOSE_CODES.unauthorized],
        [{ token: 'cvr_not-a-real-key-at-all' }, PLAIN_CLOSE_CODES.unauthorized],
        [{}, PLAIN_CLOSE_CODES.unauthorized],
        [{ token: admin.key, tenantId: 'not-a-uuid' }, PLAIN_CLOSE_CODES.badRequest],
      ];
      for (const [options, code] of refusals) {
        const plain = connectPlainSocket(url, options, sockets);
        expect((await plain.closed).code).toBe(code);
        expect(plain.messages).toEqual([]);
      }
    });

    it('answers a plain GET /ws with 426, and an upgrade to any other path with 404', async () => {
      const plainGet = await request(api.getHttpServer()).get('/ws').expect(426);
      expect(plainGet.body).toMatchObject({ statusCode: 426, message: expect.stringMatching(/WebSocket/) });
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = netConnect(Number(new URL(url).port), '127.0.0.1', () =>
          socket.write(
            'GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
          ),
        );
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    });
  });

  describe('GET /api/v1/events', () => {
    it('streams unbuffered text/event-stream with an id on every event, and refuses a missing key with a JSON 401', async () => {
      const stream = await streamOf(acme);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(stream.headers['cache-control']).toBe('no-cache, no-transform');
      expect(stream.headers['x-accel-buffering']).toBe('no');
      expect(stream.headers['content-encoding']).toBeUndefined();
      const ids = await delayedJobs(acme, 3);
      await waitUntil('three events arrived', () => stream.events.length >= 3);
      expect(stream.events.map((event) => [event.event, event.data.event])).toEqual(
        Array(3).fill(['job_submitted', 'job_submitted']),
      );
      expect(streamJobs(stream).map((message) => message.job_id)).toEqual(ids);
      const eventIds = stream.events.map((event) => event.id);
      expect(eventIds.every((id) => /^[0-9a-f]{12}-\d+$/.test(id ?? ''))).toBe(true);
      expect(new Set(eventIds).size).toBe(3);

      const refused = await openEventStream(url, {}, streams);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      const badQuery = await openEventStream(url, { bearer: admin.key, query: '?tenant_id=nope' }, streams);
      expect(badQuery.status).toBe(400);
      expect(JSON.parse(badQuery.body).details).toEqual([
        { field: 'tenant_id', message: 'tenant_id must be a UUID' },
      ]);
    });

    it('replays what a client missed after its Last-Event-ID, its own tenant’s only, then follows live', async () => {
      // An admin's socket shows when the replica has heard every event, so that the reconnect
      // below comes after them: they can only reach it replayed.
      const witness = await socketOf({ bearer: admin.key });
      const first = await streamOf(acme);
      await delayedJobs(acme, 2);
      await waitUntil('two events arrived', () => first.events.length >= 2);
      const lastSeen = first.events.at(-1)!.id!;
      first.close();
      const missed = await delayedJobs(acme, 3);
      await delayedJobs(globex, 3);
      await waitUntil('the replica heard them all', () => witness.messages.length >= 8);
      const second = await streamOf(acme, { lastEventId: lastSeen });
      await waitUntil('the missed events were replayed', () => second.events.length >= 3);
      const live = await delayedJobs(acme, 1);
      await waitUntil('the live event arrived', () => second.events.length >= 4);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(streamJobs(second).map((message) => message.job_id)).toEqual([...missed, ...live]);
      expect(second.events.every((event) => event.event !== 'resync')).toBe(true);
    });

    it('answers a Last-Event-ID it cannot replay from with a resync carrying the latest id', async () => {
      for (const lastEventId of ['garbage', '000000000000-1', 'x'.repeat(200)]) {
        const stream = await streamOf(acme, { lastEventId });
        await waitUntil('a resync arrived', () => stream.events.length >= 1);
        expect(stream.events[0]).toMatchObject({
          event: 'resync',
          id: expect.stringMatching(/^[0-9a-f]{12}-\d+$/),
          data: { event: 'resync', reason: 'replay-unavailable' },
        });
        // From the resync's id, a reconnect replays normally.
        const next = await streamOf(acme, { lastEventId: stream.events[0].id });
        const [id] = await delayedJobs(acme, 1);
        await waitUntil('the next event arrived', () => next.events.length >= 1);
        expect(next.events.map((event) => event.data)).toEqual([
          expect.objectContaining({ event: 'job_submitted', job_id: id }),
        ]);
        stream.close();
        next.close();
      }
    });
  });

  describe('both transports', () => {
    it('shows a {"task": "fail"} job failing, retrying and landing in the DLQ, and a task completing', async () => {
      const plain = await socketOf({ bearer: acme.key });
      const stream = await streamOf(acme);
      const failing = await submit(acme, { task: 'fail', max_attempts: 2 });
      const working = await submit(acme, { task: 'resize', max_attempts: 1 });
      const done = (messages: PlainJobEventMessage[]) =>
        jobsIn(messages, failing).includes('job_dlq') && jobsIn(messages, working).includes('job_completed');
      await waitUntil(
        'both transports saw the jobs end',
        () => done(jobMessagesOf(plain.messages)) && done(streamJobs(stream)),
        15_000,
      );
      for (const messages of [jobMessagesOf(plain.messages), streamJobs(stream)]) {
        expect(jobsIn(messages, failing)).toEqual([
          'job_submitted',
          'job_started',
          'job_failed',
          'job_retry',
          'job_due',
          'job_started',
          'job_failed',
          'job_dlq',
        ]);
        expect(jobsIn(messages, working)).toEqual([
          'job_submitted',
          'job_started',
          'job_progress',
          'job_completed',
        ]);
        expect(messages.find((m) => m.job_id === failing && m.event === 'job_dlq')).toMatchObject({
          status: 'dead',
          attempt: 2,
          error: 'task "fail" always fails',
        });
      }
      const dlq = await request(api.getHttpServer())
        .get('/api/v1/jobs?status=dlq')
        .set('Authorization', acme.bearer)
        .expect(200);
      expect(dlq.body.jobs.map((job: { id: string; status: string }) => [job.id, job.status])).toEqual([
        [failing, 'dead'],
      ]);
    });

    it("keeps tenants apart: acme's socket and stream get none of globex's 2,000 events", async () => {
      const acmeSocket = await socketOf({ bearer: acme.key });
      const acmeStream = await streamOf(acme);
      const globexSocket = await socketOf({ token: globex.key });
      const globexStream = await streamOf(globex);
      await delayedJobs(globex, 2_000);
      const acmeIds = await delayedJobs(acme, 5);
      const counts = () => [
        jobMessagesOf(acmeSocket.messages).length,
        streamJobs(acmeStream).length,
        jobMessagesOf(globexSocket.messages).length,
        streamJobs(globexStream).length,
      ];
      await waitUntil('every event arrived', () => {
        const [a1, a2, g1, g2] = counts();
        return a1 >= 5 && a2 >= 5 && g1 >= 2_000 && g2 >= 2_000;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(counts()).toEqual([5, 5, 2_000, 2_000]);
      for (const messages of [jobMessagesOf(acmeSocket.messages), streamJobs(acmeStream)])
        expect(messages.map((message) => message.job_id)).toEqual(acmeIds);
      for (const messages of [jobMessagesOf(globexSocket.messages), streamJobs(globexStream)])
        expect(messages.every((message) => message.tenant_id === globex.tenantId)).toBe(true);
    });

    it('lets an admin watch every tenant or name one; a tenant key’s tenant_id is ignored', async () => {
      const everything = [await socketOf({ bearer: admin.key }), await streamOf(admin)];
      const justAcme = [
        await socketOf({ bearer: admin.key, tenantId: acme.tenantId }),
        await streamOf(admin, { query: `?tenant_id=${acme.tenantId}` }),
      ];
      const nosy = [
        await socketOf({ bearer: acme.key, tenantId: globex.tenantId }),
        await streamOf(acme, { query: `?tenant_id=${globex.tenantId}` }),
      ];
      const messagesOf = (client: PlainSocket | EventStream) =>
        'socket' in client ? jobMessagesOf(client.messages) : streamJobs(client);
      const [acmeJob] = await delayedJobs(acme, 1);
      const [globexJob] = await delayedJobs(globex, 1);
      await waitUntil(
        'every client saw what it may see',
        () =>
          [...everything, ...justAcme, ...nosy].every((client) =>
            messagesOf(client).some((message) => message.job_id === acmeJob),
          ) &&
          everything.every((client) => messagesOf(client).some((message) => message.job_id === globexJob)),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const client of everything)
        expect(messagesOf(client).map((message) => message.job_id)).toEqual([acmeJob, globexJob]);
      for (const client of [...justAcme, ...nosy])
        expect(messagesOf(client).map((message) => message.job_id)).toEqual([acmeJob]);
    });

    it('closes a revoked key’s socket with 4401 and ends its stream', async () => {
      const { body: key } = await request(api.getHttpServer())
        .post(`/api/v1/tenants/${acme.tenantId}/keys`)
        .set('Authorization', admin.bearer)
        .expect(201);
      const plain = await socketOf({ token: key.key });
      const stream = await openEventStream(url, { bearer: key.key }, streams);
      expect(stream.status).toBe(200);
      await request(api.getHttpServer())
        .post(`/api/v1/keys/${key.id}/revoke`)
        .set('Authorization', admin.bearer)
        .expect(200);
      expect(await plain.closed).toEqual({ code: PLAIN_CLOSE_CODES.unauthorized, reason: 'API key revoked' });
      await stream.ended;
      const again = connectPlainSocket(url, { token: key.key }, sockets);
      expect((await again.closed).code).toBe(PLAIN_CLOSE_CODES.unauthorized);
      // The stream the server ended is not a request duration, a refusal is: latency quantiles stay clean.
      await request(api.getHttpServer())
        .get('/api/v1/events?tenant_id=nope')
        .set('Authorization', admin.bearer)
        .expect(400);
      const metrics = await request(api.getHttpServer()).get('/metrics').expect(200);
      expect(metrics.text).toContain('route="/api/v1/events",status="400"');
      expect(metrics.text).not.toContain('route="/api/v1/events",status="200"');
    });

    it('tells both to resync when the LISTEN connection is killed, and refuses to replay across the gap', async () => {
      const plain = await socketOf({ bearer: acme.key });
      const stream = await streamOf(acme);
      await delayedJobs(acme, 1);
      await waitUntil('an event arrived', () => stream.events.length >= 1);
      const beforeGap = stream.events[0].id!;
      await pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'conveyor-api-listen' AND datname = current_database()`,
      );
      await waitUntil(
        'both were told to resync',
        () =>
          plain.messages.some((m) => m.event === 'resync' && m.reason === 'listener-reconnected') &&
          stream.events.some((e) => e.data.event === 'resync'),
        10_000,
      );
      expect(stream.events.at(-1)!.data).toEqual({ event: 'resync', reason: 'listener-reconnected' });
      const [job] = await delayedJobs(acme, 1);
      await waitUntil(
        'events flow again',
        () => jobsIn(jobMessagesOf(plain.messages), job).length > 0,
        5_000,
      );
      const reconnected = await streamOf(acme, { lastEventId: beforeGap });
      await waitUntil('it was answered', () => reconnected.events.length >= 1);
      expect(reconnected.events[0].data).toEqual({ event: 'resync', reason: 'replay-unavailable' });
    });
  });
});
