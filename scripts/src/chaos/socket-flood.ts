import { io, type Socket } from 'socket.io-client';
import { EVENTS_NAMESPACE, type JobEvent, type SubscribeAck } from '../../../contracts/src/event-map';
import {
  type ChaosContext,
  type Findings,
  http,
  jsonInit,
  percentile,
  runScenario,
  sleep,
  stage,
} from './harness';

export interface SocketFloodOptions {
  /** Sockets the flooder tries to open with one key (the API allows `cap`). */
  sockets: number;
  cap: number;
  /** subscribe calls the flooder sends on each socket it got. */
  subscribesPerSocket: number;
  /** Jobs the victim submits, one every 50 ms, timing each job.submitted event. */
  probes: number;
}

export const SOCKET_FLOOD_FULL: SocketFloodOptions = {
  sockets: 200,
  cap: 50,
  subscribesPerSocket: 200,
  probes: 100,
};

const connect = (base: string, key: string): Promise<Socket | null> =>
  new Promise((resolve) => {
    const socket = io(`${base}${EVENTS_NAMESPACE}`, {
      auth: { token: key },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', () => {
      socket.disconnect();
      resolve(null);
    });
  });

/**
 * Socket and subscribe floods: one tenant opens sockets past the per-key cap and floods
 * `subscribe` on each, while another tenant's socket times its own events (submission to
 * job.submitted frame), once quiet and once under the flood. The flooder gets at most the cap
 * of sockets, its subscribes are charged to its token bucket (most refused), and the other
 * tenant's events keep arriving with a p95 within 5× of quiet (and under 1 s).
 */
export function socketFlood(context: ChaosContext, options: SocketFloodOptions): Promise<Findings> {
  return runScenario('socket and subscribe floods', async (findings, cleanup) => {
    const { tenants, api } = await stage(
      context,
      cleanup,
      { flooder: { ratePerSecond: 20, burst: 40 }, victim: {} },
      {
        EVENTS_MAX_SOCKETS_PER_KEY: String(options.cap),
        RATE_LIMIT_PER_SECOND: '1000',
        RATE_LIMIT_BURST: '2000',
      },
    );
    const { flooder, victim } = tenants;

    const watcher = await connect(api.base, victim.key);
    if (!watcher) throw new Error("the victim's socket was refused");
    cleanup.push(() => watcher.disconnect());
    const seen = new Map<string, number>();
    watcher.on('events', (batch: JobEvent[]) => {
      for (const event of batch)
        if (event.type === 'job.submitted') seen.set(event.job_id, performance.now());
    });
    const latencies = async (): Promise<number[]> => {
      const sent = new Map<string, number>();
      for (let i = 0; i < options.probes; i++) {
        const started = performance.now();
        const result = await http(
          `${api.base}/api/v1/jobs`,
          jsonInit(victim.bearer, { type: 'email', payload: {}, delay_ms: 3_600_000 }),
        );
        if (result.status === 201) sent.set((result.body as { id: string }).id, started);
        await sleep(50);
      }
      await sleep(1_000);
      return [...sent]
        .map(([id, at]) => (seen.has(id) ? seen.get(id)! - at : Number.POSITIVE_INFINITY))
        .sort((a, b) => a - b);
    };

    const quiet = await latencies();
    // The flood: sockets past the cap, then subscribe calls on every socket that opened.
    const opened = (
      await Promise.all(Array.from({ length: options.sockets }, () => connect(api.base, flooder.key)))
    ).filter((socket): socket is Socket => socket !== null);
    cleanup.push(() => opened.forEach((socket) => socket.disconnect()));
    let accepted = 0;
    let refused = 0;
    let rateLimited = 0;
    const flood = Promise.all(
      opened.map(async (socket) => {
        for (let i = 0; i < options.subscribesPerSocket; i++) {
          const ack = await new Promise<SubscribeAck>((resolve) =>
            socket.emit('subscribe', { job_id: '00000000-0000-4000-8000-000000000000' }, resolve),
          );
          if (ack.ok) accepted++;
          else {
            refused++;
            if (ack.error.startsWith('rate limited')) rateLimited++;
          }
        }
      }),
    );
    const loaded = await latencies();
    await flood;

    const p95 = (list: number[]) => Math.round(percentile(list, 95));
    findings.set('sockets asked / opened (cap)', `${options.sockets} / ${opened.length} (${options.cap})`);
    findings.set(
      'subscribes accepted / refused (of them rate limited)',
      `${accepted} / ${refused} (${rateLimited})`,
    );
    findings.set("victim's event p50/p95 ms, quiet", `${Math.round(percentile(quiet, 50))} / ${p95(quiet)}`);
    findings.set(
      "victim's event p50/p95 ms, under the flood",
      `${Math.round(percentile(loaded, 50))} / ${p95(loaded)}`,
    );
    findings.expect(
      opened.length <= options.cap,
      `the flooder opened ${opened.length} sockets, over the cap of ${options.cap}`,
    );
    findings.expect(opened.length > 0, 'the flooder opened no socket: the check saw nothing');
    findings.expect(accepted === 0, `${accepted} subscribes to a job that does not exist were accepted`);
    findings.expect(
      refused === opened.length * options.subscribesPerSocket,
      'some subscribe went unanswered',
    );
    findings.expect(
      Number.isFinite(p95(loaded)),
      "some of the victim's events never arrived under the flood",
    );
    findings.expect(
      p95(loaded) <= Math.max(1_000, 5 * p95(quiet)),
      `the victim's event p95 went from ${p95(quiet)} to ${p95(loaded)} ms`,
    );
    // 20 requests/s with a burst of 40: nearly every subscribe must have been charged and refused.
    findings.expect(
      rateLimited > refused / 2,
      `only ${rateLimited} of ${refused} subscribes were refused by the token bucket`,
    );
  });
}
