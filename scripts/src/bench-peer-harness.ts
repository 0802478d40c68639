import { readFileSync } from 'node:fs';
import { Client } from 'pg';

/** Worker concurrency of every system in the queue benchmarks (Conveyor's worker runs at it too). */
export const PEER_CONCURRENCY = 10;

/**
 * How a peer is set up: `best` is its fastest known configuration for the scenario (the peer's
 * own performance advice, or what drained fastest here); `default` is what a new user gets,
 * every option at the library's default except the concurrency, which every system states.
 */
export type PeerSetup = 'best' | 'default';

export interface PeerOptions {
  setup: PeerSetup;
  /** Concurrent callers that will enqueue through this instance: the best setup sizes its pool for them. */
  callers?: number;
}

/** What the benchmarks need from a peer job queue, with its own worker running in this process. */
export interface PeerQueue {
  /** How the peer was set up, printed with its results. */
  readonly settings: Record<string, unknown>;
  /**
   * Set when an idle worker finds new jobs only by polling, every this many ms. Between pickup
   * samples the worker then idles 20 ms plus a random part of that interval, so that sends land
   * at random points of its polling cycle: a fixed 20 ms would send each job just after a poll
   * and measure the worst case every time. Peers woken by LISTEN/NOTIFY idle exactly 20 ms
   * between samples, as Conveyor does (longer idle gaps make every queue slower to wake here).
   */
  readonly idlePollMs?: number;
  /** Inserts `count` (at most 1,000) no-op jobs with one call of the peer's bulk API. */
  enqueueBulk(count: number): Promise<void>;
  /** Inserts one no-op job with the peer's one-job API and returns its id. */
  enqueueOne(): Promise<string>;
  /**
   * Whether any job is not yet completed, as the database sees it. Polled every 20 ms while a
   * worker drains, so it is a cheap probe (EXISTS): a count(*) over the job table would take a
   * share of the database away from the queue being measured.
   */
  anyUnfinished(): Promise<boolean>;
  /** How many of the jobs enqueued so far are completed (one count, read once at the end of a phase). */
  completedCount(): Promise<number>;
  /** Deletes the jobs no worker has taken yet (what a time-boxed drain left); returns how many. */
  discardWaiting(): Promise<number>;
  /** Starts the worker; `onJobStart` is called first thing in every job's handler. */
  startWorker(onJobStart: (jobId: string) => void): Promise<void>;
  /** Stops the worker (startWorker may start it again); waits until it takes no more jobs. */
  stopWorker(): Promise<void>;
  /** Insert → lock of a completed job on the database clock, as Conveyor's pickup is timed. */
  databasePickupMs(jobId: string): Promise<number>;
  /** Stops the worker and closes every connection. */
  close(): Promise<void>;
}

/** The version of an installed package, as its package.json says. */
export const installedVersion = (name: string): string =>
  JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;

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
