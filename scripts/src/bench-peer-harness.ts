import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { percentile, sleep, waitFor } from './bench-stats';

export const PEER_CONCURRENCY = 10;
const PICKUP_SAMPLES = 200;
const ENQUEUE_CHUNK = 1_000;

/** What the harness needs from a peer job queue, with its own worker running in this process. */
export interface PeerQueue {
  /** How the peer was set up, printed with its results. */
  readonly settings: Record<string, unknown>;
  /**
   * Set when an idle worker finds new jobs only by polling, every this many ms. Between pickup
   * samples the worker then idles 20 ms plus a random part of that interval, so that sends land
   * at random points of its polling cycle: a fixed 20 ms would send each job just after a poll
   * and measure the worst case every time. Peers woken by LISTEN/NOTIFY idle exactly 20 ms
   * between samples, as in bench:queue (longer idle gaps make every queue slower to wake here).
   */
  readonly idlePollMs?: number;
  /** Inserts `count` (at most 1,000) no-op jobs with one call of the peer's bulk API. */
  enqueueBulk(count: number): Promise<void>;
  /** Inserts one no-op job and returns its id. */
  enqueueOne(): Promise<string>;
  /**
   * Whether any job is not yet completed, as the database sees it. Polled every 20 ms while a
   * worker drains, so it is a cheap probe (EXISTS), as bench:queue's own is: a count(*) over
   * the job table would take a share of the database away from the queue being measured.
   */
  anyUnfinished(): Promise<boolean>;
  /** Starts the worker; `onJobStart` is called first thing in every job's handler. */
  startWorker(onJobStart: (jobId: string) => void): Promise<void>;
  /**
   * Insert → lock of a completed job on the database clock (Conveyor's own pickup definition),
   * for the jobs of the pickup phase.
   */
  databasePickupMs(jobId: string): Promise<number>;
  /** Stops the worker and closes every connection. */
  close(): Promise<void>;
}

export interface PeerBenchResult {
  settings: Record<string, unknown>;
  enqueue: { jobs: number; seconds: number; jobs_per_second: number };
  drain: { jobs: number; concurrency: number; seconds: number; jobs_per_second: number };
  /** Client clock: just before the insert is sent → first line of the handler. */
  pickup_ms: { samples: number; p50: number; p95: number; p99: number };
  /** Database clock: the insert's now() → the claim's now(), as bench:queue measures Conveyor. */
  pickup_db_ms: { samples: number; p50: number; p95: number; p99: number };
}

/** The version of an installed package, as its package.json says. */
export const installedVersion = (name: string): string =>
  JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;

const summary = (latencies: number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50: +percentile(sorted, 50).toFixed(2),
    p95: +percentile(sorted, 95).toFixed(2),
    p99: +percentile(sorted, 99).toFixed(2),
  };
};

/** Drops and recreates the database `name` on the server of `serverUrl`; returns its URL. */
export async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * The same two measurements as bench:queue, for a peer: `jobs` no-op jobs inserted in bulk, then
 * drained by one worker (from its first handler call until the database shows none unfinished,
 * polled every 20 ms as bench:queue does); then 200 single jobs sent to the idle worker, one at a
 * time, each timed from send to handler start (and from insert to lock on the database clock).
 */
export async function benchPeer(peer: PeerQueue, jobs: number): Promise<PeerBenchResult> {
  const enqueueStart = performance.now();
  for (let i = 0; i < jobs; i += ENQUEUE_CHUNK) await peer.enqueueBulk(Math.min(ENQUEUE_CHUNK, jobs - i));
  const enqueueSeconds = (performance.now() - enqueueStart) / 1000;

  let onStart: (jobId: string) => void;
  let firstStart!: () => void;
  const started = new Promise<void>((resolve) => (firstStart = resolve));
  let drainStart = 0;
  onStart = () => {
    drainStart = performance.now();
    onStart = () => {};
    firstStart();
  };
  await peer.startWorker((jobId) => onStart(jobId));
  await started;
  await waitFor(async () => !(await peer.anyUnfinished()), 20);
  const drainSeconds = (performance.now() - drainStart) / 1000;

  const latencies: number[] = [];
  const databaseLatencies: number[] = [];
  for (let i = 0; i < PICKUP_SAMPLES; i++) {
    let handlerStarted!: (at: number) => void;
    const handlerStart = new Promise<number>((resolve) => (handlerStarted = resolve));
    onStart = () => handlerStarted(performance.now());
    const sent = performance.now();
    const id = await peer.enqueueOne();
    latencies.push((await handlerStart) - sent);
    await waitFor(async () => !(await peer.anyUnfinished()), 1);
    databaseLatencies.push(await peer.databasePickupMs(id));
    await sleep(20 + Math.random() * (peer.idlePollMs ?? 0)); // let the worker go idle again
  }

  await peer.close();
  return {
    settings: peer.settings,
    enqueue: {
      jobs,
      seconds: +enqueueSeconds.toFixed(3),
      jobs_per_second: Math.round(jobs / enqueueSeconds),
    },
    drain: {
      jobs,
      concurrency: PEER_CONCURRENCY,
      seconds: +drainSeconds.toFixed(3),
      jobs_per_second: Math.round(jobs / drainSeconds),
    },
    pickup_ms: summary(latencies),
    pickup_db_ms: summary(databaseLatencies),
  };
}
