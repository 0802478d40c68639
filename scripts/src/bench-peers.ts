import {
  benchPeer,
  dropDatabase,
  recreateDatabase,
  type PeerBenchResult,
  type PeerQueue,
} from './bench-peer-harness';
import { GRAPHILE_WORKER_DATABASE, openGraphileWorker } from './bench-peer-graphile-worker';
import { openPgBoss, PG_BOSS_DATABASE } from './bench-peer-pg-boss';
import { benchQueue, type QueueBenchResult } from './bench-queue';
import { wholeNumberArg } from './bench-stats';

const DEFAULT_JOBS = 20_000;

const PEERS: { name: string; database: string; open: (url: string) => Promise<PeerQueue> }[] = [
  { name: 'pg-boss', database: PG_BOSS_DATABASE, open: openPgBoss },
  { name: 'graphile-worker', database: GRAPHILE_WORKER_DATABASE, open: openGraphileWorker },
];

const ratio = (a: number, b: number) => +(a / b).toPrecision(2);

/** Left-aligned first column, right-aligned others, two spaces apart. */
function layout(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  '),
    )
    .join('\n');
}

function tables(conveyor: QueueBenchResult, peers: Record<string, PeerBenchResult>): string {
  const latency = ({ p50, p95, p99 }: QueueBenchResult['pickup_ms']) => [p50, p95, p99].map(String);
  const results = [
    ['', 'drain jobs/s', 'pickup p50 ms', 'p95', 'p99', 'pickup measured as'],
    [
      'conveyor',
      String(conveyor.drain.jobs_per_second),
      ...latency(conveyor.pickup_ms),
      'insert → claim, db clock',
    ],
    ...Object.entries(peers).flatMap(([name, peer]) => [
      [name, String(peer.drain.jobs_per_second), ...latency(peer.pickup_ms), 'send → handler, client clock'],
      ['', '', ...latency(peer.pickup_db_ms), 'insert → claim, db clock'],
    ]),
  ];
  const ratios = [
    ['Conveyor/peer', 'drain jobs/s', 'pickup p50 (send → handler)', 'pickup p50 (db clock)'],
    ...Object.entries(peers).map(([name, peer]) => [
      name,
      `${ratio(conveyor.drain.jobs_per_second, peer.drain.jobs_per_second)}x`,
      `${ratio(conveyor.pickup_ms.p50, peer.pickup_ms.p50)}x`,
      `${ratio(conveyor.pickup_ms.p50, peer.pickup_db_ms.p50)}x`,
    ]),
  ];
  return `${layout(results)}\n\n${layout(ratios)}`;
}

/**
 * `npm run bench:peers [-- --jobs N]`: bench:queue's two measurements for pg-boss and
 * graphile-worker, each in its best-known throughput configuration at concurrency 10 with one
 * worker in this process and in its own fresh database on the server of DATABASE_URL
 * (bench_pgboss, bench_graphile), then bench:queue itself for Conveyor; prints every result as
 * JSON, with Conveyor/peer ratios of drain throughput (above 1: Conveyor drains faster) and pickup
 * p50 (below 1: Conveyor picks up sooner), then the same as a table.
 */
async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    console.error(
      'bench:peers needs DATABASE_URL, a postgres:// URL of a server where this role may create databases ' +
        '(e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:peers)',
    );
    process.exit(1);
  }
  const jobs = wholeNumberArg(process.argv.slice(2), 'jobs', DEFAULT_JOBS);

  const peers: Record<string, PeerBenchResult> = {};
  for (const { name, database, open } of PEERS) {
    console.error(`${name}: ${jobs} jobs in ${database}`);
    const url = await recreateDatabase(serverUrl, database);
    peers[name] = await benchPeer(await open(url), jobs);
    await dropDatabase(serverUrl, database);
  }
  console.error(`conveyor: ${jobs} jobs`);
  const conveyor = await benchQueue(serverUrl, jobs);

  const ratios = Object.fromEntries(
    Object.entries(peers).map(([name, peer]) => [
      name,
      {
        drain_jobs_per_second: ratio(conveyor.drain.jobs_per_second, peer.drain.jobs_per_second),
        pickup_p50: ratio(conveyor.pickup_ms.p50, peer.pickup_ms.p50),
        pickup_p50_db_clock: ratio(conveyor.pickup_ms.p50, peer.pickup_db_ms.p50),
      },
    ]),
  );
  console.log(JSON.stringify({ conveyor, ...peers, conveyor_per_peer: ratios }, null, 2));
  console.log(`\n${tables(conveyor, peers)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
