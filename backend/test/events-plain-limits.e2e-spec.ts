import { type AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { WebSocket } from 'ws';
import { PLAIN_CLOSE_CODES } from '../../contracts/src/event-map';
import { JobQueue } from '../src/queue/job-queue';
import { createCaller, startApi, type TestCaller } from './support/api';
import { jobFactory } from './support/job-factory';
import {
  connectPlainSocket,
  type EventStream,
  jobMessagesOf,
  openEventStream,
  type PlainSocket,
} from './support/plain-clients';
import { waitUntil } from './support/processes';
import { type ClientSocket, connectSocket } from './support/sockets';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

/** The plain transports' limits, with a hostile tenant holding a valid key. */
describe('the limits of /ws and Server-Sent Events', () => {
  let db: TestDatabase;
  let api: ApiApplication;
  let url: string;
  let pool: Pool;
  let queue: JobQueue;
  const sockets: PlainSocket[] = [];
  const streams: EventStream[] = [];
  const ioSockets: ClientSocket[] = [];

  const listen = async (app: ApiApplication): Promise<string> => {
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  };
  const socketOf = async (caller: TestCaller, base = url): Promise<PlainSocket> => {
    const plain = connectPlainSocket(base, { bearer: caller.key }, sockets);
    await plain.opened;
    return plain;
  };
  const streamOf = (caller: TestCaller, options: { lastEventId?: string } = {}, base = url) =>
    openEventStream(base, { bearer: caller.key, ...options }, streams);
  const delayedJobs = async (caller: TestCaller, count: number): Promise<string[]> =>
    (
      await queue.insertMany(
        jobFactory.many(caller.tenantId, count, { runAt: new Date(Date.now() + 3_600_000) }),
      )
    ).map((job) => job.id);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(db.url, {
      EVENTS_MAX_SOCKETS_PER_KEY: '3',
      EVENTS_REPLAY_EVENTS: '5',
      EVENTS_HEARTBEAT_SECONDS: '1',
    });
    url = await listen(api);
    pool = new Pool({ connectionString: db.url, max: 2 });
    queue = new JobQueue(pool);
  });
  afterEach(() => {
    for (const plain of sockets.splice(0)) plain.socket.terminate();
    for (const stream of streams.splice(0)) stream.close();
    for (const socket of ioSockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await api.close();
    await pool.end();
    await db.drop();
  });

  it('counts a key’s socket.io sockets, /ws sockets and streams together against EVENTS_MAX_SOCKETS_PER_KEY', async () => {
    const hoarder = await createCaller(db.url, 'hoarder');
    await connectSocket(url, hoarder.key, ioSockets);
    const plain = await socketOf(hoarder);
    const stream = await streamOf(hoarder);
    expect(stream.status).toBe(200);

    const refusedSocket = connectPlainSocket(url, { token: hoarder.key }, sockets);
    expect(await refusedSocket.closed).toEqual({
      code: PLAIN_CLOSE_CODES.tooManyRequests,
      reason: 'too many live-event connections for this key (at most 3)',
    });
    const refusedStream = await streamOf(hoarder);
    expect(refusedStream.status).toBe(429);
    expect(JSON.parse(refusedStream.body)).toMatchObject({
      statusCode: 429,
      message: expect.stringContaining('at most 3'),
    });
    await expect(connectSocket(url, hoarder.key, ioSockets)).rejects.toThrow('too many sockets for this key');

    // Another tenant's key is not affected; a closed connection frees its place.
    expect((await streamOf(await createCaller(db.url, 'bystander'))).status).toBe(200);
    plain.socket.close();
    await plain.closed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await streamOf(hoarder)).status).toBe(200);
    stream.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await socketOf(hoarder);
  });

  it('sends SSE heartbeat comments and pings /ws every EVENTS_HEARTBEAT_SECONDS, cutting a socket that never answers', async () => {
    const caller = await createCaller(db.url, 'idler');
    const stream = await streamOf(caller);
    const plain = await socketOf(caller);
    let pings = 0;
    plain.socket.on('ping', () => pings++);
    // A client that does not answer pings: gone, as far as the server can tell.
    const mute = new WebSocket(`${url.replace('http', 'ws')}/ws?token=${caller.key}`, { autoPong: false });
    const muteClosed = new Promise<number>((resolve) => mute.once('close', resolve));
    await waitUntil(
      'two heartbeats went by',
      () => stream.comments.filter((c) => c === 'heartbeat').length >= 2,
      5_000,
    );
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(await muteClosed).toBe(1006);
    expect(plain.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('replays from a Last-Event-ID within its 5-event window, and answers an older one with a resync', async () => {
    const caller = await createCaller(db.url, 'reconnecter');
    const stream = await streamOf(caller);
    await delayedJobs(caller, 8);
    await waitUntil('eight events arrived', () => stream.events.length >= 8);
    const ids = stream.events.map((event) => event.id!);
    stream.close();

    const inside = await streamOf(caller, { lastEventId: ids[4] });
    await waitUntil('the rest was replayed', () => inside.events.length >= 3);
    expect(inside.events.map((event) => event.id)).toEqual(ids.slice(5));

    const outside = await streamOf(caller, { lastEventId: ids[1] });
    await waitUntil('it was answered', () => outside.events.length >= 1);
    expect(outside.events).toEqual([
      { id: ids[7], event: 'resync', data: { event: 'resync', reason: 'replay-unavailable' } },
    ]);
  });

  it('ignores what a client sends, but closes a socket sending a message over 1 KiB with 1009', async () => {
    const caller = await createCaller(db.url, 'chatty');
    const plain = await socketOf(caller);
    plain.socket.send(JSON.stringify({ subscribe: 'everything' }));
    const [id] = await delayedJobs(caller, 1);
    await waitUntil('events still flow', () => jobMessagesOf(plain.messages).some((m) => m.job_id === id));
    plain.socket.send('x'.repeat(1_025));
    expect((await plain.closed).code).toBe(1009);
  });

  it('drops frames for a /ws reader that stopped reading, then tells it to resync once it reads again', async () => {
    // Heartbeats far apart: a reader that answers no ping for two of them is cut, not resynced.
    const patient = await startApi(db.url, { EVENTS_HEARTBEAT_SECONDS: '300' });
    const patientUrl = await listen(patient);
    const [slowCaller, reader] = [
      await createCaller(db.url, 'stalled'),
      await createCaller(db.url, 'reader'),
    ];
    const slow = await socketOf(slowCaller, patientUrl);
    const watcher = await socketOf(reader, patientUrl);
    slow.socket.pause();
    // ~9 MB of messages: more than the kernel's socket buffers take, so the server's backlog grows.
    const SUBMITTED = 40_000;
    for (let i = 0; i < SUBMITTED / 1_000; i++) {
      await delayedJobs(slowCaller, 1_000);
      await delayedJobs(reader, 1);
    }
    await waitUntil(
      'the reading tenant got its events',
      () => watcher.messages.length >= SUBMITTED / 1_000,
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    slow.socket.resume();
    // It reads again: the next events that find its backlog drained reach it, after a resync.
    const after: string[] = [];
    await waitUntil(
      'the slow reader got an event submitted after it read again',
      async () => {
        after.push(...(await delayedJobs(slowCaller, 1)));
        return jobMessagesOf(slow.messages).some((message) => after.includes(message.job_id));
      },
      20_000,
      200,
    );
    expect(jobMessagesOf(slow.messages).length).toBeLessThan(SUBMITTED);
    const resyncs = slow.messages.filter((message) => message.event === 'resync');
    expect(resyncs).toEqual([{ event: 'resync', reason: 'slow-consumer' }]);
    const resyncAt = slow.messages.indexOf(resyncs[0]);
    const firstAfter = slow.messages.findIndex((m) => m.event !== 'resync' && after.includes(m.job_id));
    expect(firstAfter).toBeGreaterThan(resyncAt);
    slow.socket.terminate();
    watcher.socket.terminate();
    await patient.close();
  });

  it('closes its sockets with 1001 and ends its streams when the API stops', async () => {
    const stopping = await startApi(db.url);
    const stoppingUrl = await listen(stopping);
    const caller = await createCaller(db.url, 'leaving');
    const plain = await socketOf(caller, stoppingUrl);
    const stream = await streamOf(caller, {}, stoppingUrl);
    const started = Date.now();
    await stopping.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await plain.closed).code).toBe(PLAIN_CLOSE_CODES.goingAway);
    await stream.ended;
  });
});
