import { type AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import {
  type ClientToServerEvents,
  EVENTS_NAMESPACE,
  type JobEvent,
  type MetricsSummaryEvent,
  type ServerToClientEvents,
} from '../../contracts/src/event-map';
import { JobQueue } from '../src/queue/job-queue';
import { createEventCallers, startApi, submitJob, type TestCaller } from './support/api';
import { jobFactory } from './support/job-factory';
import { type RunningProcess, startReadyWorker, stopProcess, waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A connected socket.io client that records every frame it gets. */
interface Listener {
  socket: ClientSocket;
  frames: JobEvent[][];
  events: JobEvent[];
  summaries: MetricsSummaryEvent[];
  resyncs: string[];
}

describe('live events over socket.io', () => {
  let db: TestDatabase;
  let apiA: ApiApplication;
  let apiB: ApiApplication;
  let urlA: string;
  let urlB: string;
  let pool: Pool;
  let queue: JobQueue;
  let worker: RunningProcess;
  let acme: TestCaller;
  let globex: TestCaller;
  let admin: TestCaller;
  const sockets: ClientSocket[] = [];

  const listen = async (app: ApiApplication): Promise<string> => {
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  };

  const connect = (url: string, token: string, extra: Record<string, string> = {}): ClientSocket => {
    const socket: ClientSocket = io(`${url}${EVENTS_NAMESPACE}`, {
      auth: { token, ...extra },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    return socket;
  };

  const listener = async (
    url: string,
    caller: TestCaller,
    extra: Record<string, string> = {},
  ): Promise<Listener> => {
    const socket = connect(url, caller.key, extra);
    const recorded: Listener = { socket, frames: [], events: [], summaries: [], resyncs: [] };
    socket.on('events', (batch) => {
      recorded.frames.push(batch);
      recorded.events.push(...batch);
    });
    socket.on('metrics.summary', (event) => recorded.summaries.push(event));
    socket.on('resync', (event) => recorded.resyncs.push(event.reason));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return recorded;
  };

  const eventsOf = (recorded: Listener, jobId: string): string[] =>
    recorded.events.filter((event) => event.job_id === jobId).map((event) => event.type);

  const submit = (caller: TestCaller, body: object): Promise<string> => submitJob(apiA, caller, body);

  beforeAll(async () => {
    db = await createTestDatabase();
    [apiA, apiB] = await Promise.all([startApi(db.url), startApi(db.url)]);
    [urlA, urlB] = await Promise.all([listen(apiA), listen(apiB)]);
    pool = new Pool({ connectionString: db.url, max: 4 });
    queue = new JobQueue(pool);
    ({ acme, globex, admin } = await createEventCallers(db.url));
    worker = await startReadyWorker(db.url);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stopProcess(worker);
    await Promise.all([apiA.close(), apiB.close()]);
    await pool.end();
    await db.drop();
  });

  it('refuses a socket with a bad key or none with connect_error "unauthorized"', async () => {
    for (const token of ['cvr_wrong-wrong-wrong-wrong', '']) {
      const socket = connect(urlA, token);
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(error.message).toBe('unauthorized');
    }
  });

  it('delivers submitted, started, progress and completed in order for one job', async () => {
    const watcher = await listener(urlA, acme);
    const id = await submit(acme, { type: 'report', payload: { failure_rate: 0 } });
    await waitUntil('the job completed', () => eventsOf(watcher, id).includes('job.completed'), 10_000);
    const types = eventsOf(watcher, id);
    expect(types[0]).toBe('job.submitted');
    expect(types[1]).toBe('job.started');
    expect(types.at(-1)).toBe('job.completed');
    expect(types.slice(2, -1).every((type) => type === 'job.progress')).toBe(true);
    expect(types.length).toBeGreaterThan(3);
    const completed = watcher.events.find((event) => event.job_id === id && event.type === 'job.completed')!;
    expect(completed).toEqual({
      type: 'job.completed',
      job_id: id,
      tenant_id: acme.tenantId,
      queue: 'default',
      job_type: 'report',
      status: 'completed',
      attempt: 1,
      progress: 100,
      error: null,
      at: expect.any(String),
    });
    expect(completed).not.toHaveProperty('payload');
  });

  it('shows a failing job as failed → retry → … → failed → dead, with the error', async () => {
    const watcher = await listener(urlA, acme);
    const id = await submit(acme, { type: 'fail', payload: { reason: 'nope' }, max_attempts: 2 });
    await waitUntil('the job died', () => eventsOf(watcher, id).includes('job.dead'), 10_000);
    expect(eventsOf(watcher, id)).toEqual([
      'job.submitted',
      'job.started',
      'job.failed',
      'job.retry',
      'job.due',
      'job.started',
      'job.failed',
      'job.dead',
    ]);
    const dead = watcher.events.find((event) => event.job_id === id && event.type === 'job.dead')!;
    expect(dead).toMatchObject({ status: 'dead', attempt: 2, error: 'nope' });
  });

  it("keeps tenants apart: acme's sockets get none of globex's 10,000 events", async () => {
    const acmeWatcher = await listener(urlA, acme);
    const globexWatcher = await listener(urlB, globex);
    for (let i = 0; i < 10; i++)
      await queue.insertMany(
        jobFactory.many(globex.tenantId, 1_000, { runAt: new Date(Date.now() + 3_600_000) }),
      );
    await queue.insertMany(jobFactory.many(acme.tenantId, 5, { runAt: new Date(Date.now() + 3_600_000) }));
    await waitUntil(
      'every event arrived',
      () => globexWatcher.events.length >= 10_000 && acmeWatcher.events.length >= 5,
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(acmeWatcher.events).toHaveLength(5);
    expect(acmeWatcher.events.every((event) => event.tenant_id === acme.tenantId)).toBe(true);
    expect(globexWatcher.events).toHaveLength(10_000);
    expect(globexWatcher.events.every((event) => event.tenant_id === globex.tenantId)).toBe(true);
  });

  it('keeps tenants apart when one grouped insert carries both tenants’ submissions', async () => {
    const acmeWatcher = await listener(urlA, acme);
    const globexWatcher = await listener(urlA, globex);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    // Concurrent one-job submissions to one API process share insert statements (group commit).
    const callers = Array.from({ length: 40 }, (_, i) => (i % 2 ? acme : globex));
    const ids = await Promise.all(callers.map((caller) => submit(caller, { payload: {}, run_at: later })));
    const [{ statements }] = (
      await pool.query<{ statements: number }>(
        'SELECT count(DISTINCT xmin::text)::int AS statements FROM jobs WHERE id = ANY($1)',
        [ids],
      )
    ).rows;
    expect(statements).toBeLessThan(40);
    await waitUntil(
      'every submission was announced',
      () => acmeWatcher.events.length >= 20 && globexWatcher.events.length >= 20,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const [watcher, caller] of [
      [acmeWatcher, acme],
      [globexWatcher, globex],
    ] as const) {
      expect(watcher.events).toHaveLength(20);
      expect(watcher.events.every((event) => event.tenant_id === caller.tenantId)).toBe(true);
      expect(new Set(watcher.events.map((event) => event.job_id))).toEqual(
        new Set(ids.filter((_, i) => callers[i] === caller)),
      );
    }
  });

  it('bounds frames per second under a burst of 20,000 events, collapsing nothing but progress', async () => {
    const watcher = await listener(urlA, globex);
    const started = Date.now();
    for (let i = 0; i < 20; i++)
      await queue.insertMany(
        jobFactory.many(globex.tenantId, 1_000, { runAt: new Date(Date.now() + 3_600_000) }),
      );
    await waitUntil('every event arrived', () => watcher.events.length >= 20_000, 20_000, 20);
    const elapsed = Date.now() - started;
    expect(watcher.events).toHaveLength(20_000);
    // A burst of EVENTS_FRAMES_PER_FLUSH (5) frames, then one per 100 ms / 5 = 20 ms at most.
    expect(watcher.frames.length).toBeLessThanOrEqual(Math.ceil(elapsed / 20) + 5);
    expect(watcher.frames.length).toBeLessThan(200);
  });

  it('lets admins watch every tenant, or pick one', async () => {
    const everything = await listener(urlA, admin);
    const justAcme = await listener(urlB, admin, { tenant_id: acme.tenantId });
    const acmeJob = (await queue.insertMany([jobFactory.delayed(acme.tenantId, 3_600_000)]))[0].id;
    const globexJob = (await queue.insertMany([jobFactory.delayed(globex.tenantId, 3_600_000)]))[0].id;
    await waitUntil('the admin saw both', () => everything.events.some((e) => e.job_id === globexJob), 5_000);
    expect(everything.events.map((event) => event.job_id)).toEqual(
      expect.arrayContaining([acmeJob, globexJob]),
    );
    await waitUntil(
      'the tenant pick saw acme',
      () => justAcme.events.some((e) => e.job_id === acmeJob),
      5_000,
    );
    expect(justAcme.events.every((event) => event.tenant_id === acme.tenantId)).toBe(true);
  });

  it("follows one job's room, and refuses another tenant's job", async () => {
    const follower = await listener(urlA, admin, { tenant_id: acme.tenantId });
    const [globexJob] = await queue.insertMany([jobFactory.delayed(globex.tenantId, 3_600_000)]);
    expect(await follower.socket.emitWithAck('subscribe', { job_id: globexJob.id })).toEqual({ ok: true });
    await queue.cancel(globex.tenantId, globexJob.id);
    await waitUntil(
      'the followed job’s event arrived',
      () => eventsOf(follower, globexJob.id).length > 0,
      5_000,
    );
    expect(eventsOf(follower, globexJob.id)).toEqual(['job.cancelled']);

    const tenantSocket = await listener(urlA, acme);
    const [other] = await queue.insertMany([jobFactory.delayed(globex.tenantId, 3_600_000)]);
    expect(await tenantSocket.socket.emitWithAck('subscribe', { job_id: other.id })).toEqual({
      ok: false,
      error: 'no such job',
    });
    expect(await tenantSocket.socket.emitWithAck('subscribe', { tenant_id: globex.tenantId })).toEqual({
      ok: false,
      error: 'only admins choose a tenant',
    });
  });

  it('sends a tenant at most one metrics.summary a second', async () => {
    const watcher = await listener(urlA, acme);
    for (let i = 0; i < 10; i++) {
      await queue.insertMany([jobFactory.delayed(acme.tenantId, 3_600_000)]);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await waitUntil('a summary arrived', () => watcher.summaries.length >= 1, 3_000);
    const times = watcher.summaries.map((s) => Date.parse(s.at));
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(900);
    expect(watcher.summaries[0]).toMatchObject({ type: 'metrics.summary', tenant_id: acme.tenantId });
    expect(watcher.summaries.at(-1)!.summary.scheduled_jobs).toBeGreaterThanOrEqual(10);
  });

  it('delivers events from a job run by the worker to sockets on both API instances', async () => {
    const onA = await listener(urlA, acme);
    const onB = await listener(urlB, acme);
    const id = await submit(acme, { type: 'email', payload: { to: 'x@example.com' } });
    await waitUntil(
      'both saw it complete',
      () => eventsOf(onA, id).includes('job.completed') && eventsOf(onB, id).includes('job.completed'),
      10_000,
    );
  });

  it('disconnects the sockets of a revoked key', async () => {
    const { body: key } = await request(apiA.getHttpServer())
      .post(`/api/v1/tenants/${acme.tenantId}/keys`)
      .set('Authorization', admin.bearer)
      .expect(201);
    const socket = connect(urlB, key.key);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    await request(apiA.getHttpServer())
      .post(`/api/v1/keys/${key.id}/revoke`)
      .set('Authorization', admin.bearer)
      .expect(200);
    expect(await disconnected).toBe('io server disconnect');
    const again = connect(urlB, key.key);
    expect((await new Promise<Error>((resolve) => again.once('connect_error', resolve))).message).toBe(
      'unauthorized',
    );
  });

  it('tells sockets to resync when its LISTEN connection is killed, and events flow again', async () => {
    const watcher = await listener(urlA, acme);
    const before = await pool.query(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'conveyor-api-listen' AND datname = current_database()`,
    );
    expect(before.rows).toHaveLength(2);
    await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)', [
      before.rows.map((row: { pid: number }) => row.pid),
    ]);
    await waitUntil('a resync arrived', () => watcher.resyncs.includes('listener-reconnected'), 10_000);
    const [job] = await queue.insertMany([jobFactory.delayed(acme.tenantId, 3_600_000)]);
    await waitUntil('events flow again', () => eventsOf(watcher, job.id).includes('job.submitted'), 5_000);
  });
});
