import { type AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { type SubscribeAck } from '../../contracts/src/event-map';
import { JobQueue } from '../src/queue/job-queue';
import { createCaller, startApi, type TestCaller } from './support/api';
import { jobFactory } from './support/job-factory';
import { type ClientSocket, connectSocket } from './support/sockets';
import { query, createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

/** A hostile tenant with a valid key against the socket gateway's limits. */
describe('the events gateway’s limits', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let url: string;
  let pool: Pool;
  let queue: JobQueue;
  const sockets: ClientSocket[] = [];

  const connect = (caller: TestCaller): Promise<ClientSocket> => connectSocket(url, caller.key, sockets);
  const subscribe = (socket: ClientSocket, jobId: string): Promise<SubscribeAck> =>
    new Promise((resolve) => socket.emit('subscribe', { job_id: jobId }, resolve));
  const jobsOf = async (caller: TestCaller, n: number): Promise<string[]> =>
    (await queue.insertMany(jobFactory.many(caller.tenantId, n))).map((job) => job.id);

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url, {
      EVENTS_MAX_SOCKETS_PER_KEY: '3',
      EVENTS_MAX_SUBSCRIPTIONS_PER_SOCKET: '5',
    });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    pool = new Pool({ connectionString: db.url, max: 2 });
    queue = new JobQueue(pool);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await app.close();
    await pool.end();
    await db.drop();
  });

  it('refuses a key’s socket beyond EVENTS_MAX_SOCKETS_PER_KEY, and takes one again once a socket closes', async () => {
    const caller = await createCaller(db.url, 'socket-hoarder');
    const open = [await connect(caller), await connect(caller), await connect(caller)];
    await expect(connect(caller)).rejects.toThrow('too many sockets for this key');
    // Another key of another tenant is not affected by this key's sockets.
    await expect(connect(await createCaller(db.url, 'bystander'))).resolves.toBeDefined();
    open[0].disconnect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(connect(caller)).resolves.toBeDefined();
  });

  it('refuses job subscriptions beyond EVENTS_MAX_SUBSCRIPTIONS_PER_SOCKET', async () => {
    const caller = await createCaller(db.url, 'room-hoarder');
    const socket = await connect(caller);
    const ids = await jobsOf(caller, 6);
    for (const id of ids.slice(0, 5)) expect(await subscribe(socket, id)).toEqual({ ok: true });
    expect(await subscribe(socket, ids[5])).toEqual({
      ok: false,
      error: 'too many subscriptions on this socket (at most 5): unsubscribe first',
    });
    // Following a job again is not a new subscription.
    expect(await subscribe(socket, ids[0])).toEqual({ ok: true });
    await new Promise((resolve) => socket.emit('unsubscribe', { job_id: ids[0] }, resolve));
    expect(await subscribe(socket, ids[5])).toEqual({ ok: true });
  });

  it('charges each subscribe to the tenant’s token bucket, refusing once it is empty', async () => {
    const caller = await createCaller(db.url, 'subscribe-flooder');
    await query(db.url, 'UPDATE tenants SET rate_limit_per_second = 1, rate_limit_burst = 2 WHERE id = $1', [
      caller.tenantId,
    ]);
    const socket = await connect(caller);
    const ids = await jobsOf(caller, 5);
    const acks: SubscribeAck[] = [];
    for (const id of ids) acks.push(await subscribe(socket, id));
    const refused = acks.filter((ack) => !ack.ok);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused[0]).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^rate limited: retry in \d+ s$/),
    });
  });
});
