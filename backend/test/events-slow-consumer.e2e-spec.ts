import { type AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { EVENTS_NAMESPACE, type JobEvent } from '../../contracts/src/event-map';
import { JobQueue } from '../src/queue/job-queue';
import { createCaller, startApi, type TestCaller } from './support/api';
import { jobFactory } from './support/job-factory';
import { waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

/** engine.io v4 joins the packets of one polling response with this record separator. */
const SEPARATOR = '\x1e';

/** What one polling response carried, decoded from the socket.io packets of the /events namespace. */
interface Drained {
  frames: JobEvent[][];
  resyncs: string[];
  packets: number;
}

/**
 * A socket.io client over engine.io long-polling, spoken by hand so that it can stop reading: the
 * server then holds its packets, which is what a client on a stalled network looks like. It
 * reads only when told to.
 */
class PollingClient {
  private constructor(
    private readonly base: string,
    private readonly sid: string,
  ) {}

  static async connect(url: string, token: string): Promise<PollingClient> {
    const handshake = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text();
    const { sid } = JSON.parse(handshake.slice(1)) as { sid: string };
    const client = new PollingClient(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, sid);
    await client.post(`40${EVENTS_NAMESPACE},${JSON.stringify({ token })}`);
    const connected = await client.poll();
    expect(connected.packets).toBeGreaterThan(0);
    return client;
  }

  private async post(body: string): Promise<void> {
    const response = await fetch(this.base, { method: 'POST', body });
    expect(await response.text()).toBe('ok');
  }

  /** One long-poll: every packet the server holds for this client; pings are answered. */
  async poll(): Promise<Drained> {
    const body = await (await fetch(this.base)).text();
    const drained: Drained = { frames: [], resyncs: [], packets: 0 };
    for (const packet of body.split(SEPARATOR)) {
      drained.packets++;
      if (packet === '2') await this.post('3');
      const prefix = `42${EVENTS_NAMESPACE},`;
      if (packet.startsWith('40') && packet.includes('"message"')) throw new Error(`refused: ${packet}`);
      if (!packet.startsWith(prefix)) continue;
      const [name, data] = JSON.parse(packet.slice(prefix.length)) as [string, unknown];
      if (name === 'events') drained.frames.push(data as JobEvent[]);
      if (name === 'resync') drained.resyncs.push((data as { reason: string }).reason);
    }
    return drained;
  }

  async close(): Promise<void> {
    await fetch(this.base, { method: 'POST', body: '1' }).catch(() => undefined);
  }
}

describe('a socket that stops reading', () => {
  let db: TestDatabase;
  let api: ApiApplication;
  let url: string;
  let pool: Pool;
  let queue: JobQueue;
  let acme: TestCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Frames are not paced here, so that every notification becomes a frame of its own at once.
    api = await startApi(db.url, { EVENTS_FLUSH_MS: '1', EVENTS_FRAMES_PER_FLUSH: '100' });
    await api.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
    pool = new Pool({ connectionString: db.url, max: 2 });
    queue = new JobQueue(pool);
    acme = await createCaller(db.url, 'acme');
  });
  afterAll(async () => {
    await api.close();
    await pool.end();
    await db.drop();
  });

  const delayedJobs = (count: number) =>
    queue.insertMany(jobFactory.many(acme.tenantId, count, { runAt: new Date(Date.now() + 3_600_000) }));

  const SUBMITTED = 600;

  it('holds a bounded backlog for it, then tells it to resync once it reads again', async () => {
    const slow = await PollingClient.connect(url, acme.key);
    const reader = await PollingClient.connect(url, acme.key);
    const read: JobEvent[] = [];
    let reading = true;
    const readLoop = (async () => {
      while (reading) read.push(...(await reader.poll()).frames.flat());
    })().catch((error: unknown) => {
      if (reading) throw error;
    });

    // One job per statement: one notification each, so hundreds of frames of one event or a few.
    for (let i = 0; i < SUBMITTED; i++) await delayedJobs(1);
    await waitUntil('the reading socket got every event', () => read.length >= SUBMITTED, 20_000, 20);

    const backlog = await slow.poll();
    const held = backlog.frames.flat().length;
    // The server stopped queueing frames past 256 packets instead of holding every event.
    expect(backlog.frames.length).toBeGreaterThan(64);
    expect(backlog.packets).toBeLessThanOrEqual(256 + 5);
    expect(held).toBeLessThan(SUBMITTED);
    expect(backlog.resyncs).toEqual([]);

    // Reading again, it is first told that it missed events, then gets new ones.
    const afterwards: Drained = { frames: [], resyncs: [], packets: 0 };
    const [job] = await delayedJobs(1);
    await waitUntil(
      'a resync, then the new job',
      async () => {
        const next = await slow.poll();
        afterwards.frames.push(...next.frames);
        afterwards.resyncs.push(...next.resyncs);
        return afterwards.frames.flat().some((event) => event.job_id === job.id);
      },
      10_000,
    );
    expect(afterwards.resyncs).toEqual(['slow-consumer']);

    reading = false;
    await delayedJobs(1); // ends the reader's pending long-poll
    await readLoop;
    await Promise.all([slow.close(), reader.close()]);
  });
});
