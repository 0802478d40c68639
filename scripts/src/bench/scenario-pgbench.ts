import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QUEUE_SESSION_OPTIONS } from '../../../backend/src/database/pg-pool';
import { startServerCpuMeter } from '../bench-cpu';
import { jobClaim, jobCompleteMany } from '../../../backend/src/queue/queue.sql';
import { CONVEYOR_TEMPLATE, ConveyorDatabase } from './conveyor';
import { connect } from './server';
import { type BenchContext, type Metric, type Scenario, type SystemId } from './model';

/**
 * Jobs a claim asks for: what a draining worker asks for at the default WORKER_PREFETCH of 500,
 * which it refills once half has started (and what it completes in a group, about as many).
 * Claims of 10 from 10 clients measured a "ceiling" of ~3,500 jobs/s here, a third of what the
 * worker itself drains: a ceiling for another shape of work.
 */
const CLAIM = 250;
/** Concurrent pgbench clients tried; the ceiling is the best (2 ≈ one worker's claim and completion connections). */
const CLIENT_COUNTS = [2, 4];
/** The worker's fleet share of its own 10 slots at TENANT_MAX_SHARE 0.5, as the claim gets it. */
const TENANT_SLOTS = 5;

export const ceilingMetric: Metric = {
  key: 'ceiling_jobs_per_second',
  label: `pgbench: claim ${CLAIM} + complete them, best of ${CLIENT_COUNTS.join(' and ')} clients: jobs/s`,
  unit: 'jobs/s',
  better: 'higher',
};

export const ceilingCpuMetric: Metric = {
  key: 'ceiling_jobs_per_cpu_second',
  label: `pgbench: the same, jobs per CPU-second of PostgreSQL (at the better client count)`,
  unit: 'jobs/CPU-s',
  better: 'higher',
};

export const ceilingCoresMetric: Metric = {
  key: 'ceiling_server_cores_busy',
  label: `pgbench: the cores PostgreSQL kept busy over the run, its start and connections included (at the better client count)`,
  unit: 'cores',
  better: 'higher',
};

/** Tenants with jobs ready in the fairness rounds. */
const FAIRNESS_TENANTS = 100;

export const roundRobinMetric: Metric = {
  key: 'round_robin_jobs_per_second',
  label: `pgbench, ${FAIRNESS_TENANTS} tenants ready: the claim's round robin across them (no fleet share): jobs/s`,
  unit: 'jobs/s',
  better: 'higher',
};

export const globalOrderMetric: Metric = {
  key: 'global_order_jobs_per_second',
  label: `pgbench, ${FAIRNESS_TENANTS} tenants ready: one global order instead (no fairness): jobs/s`,
  unit: 'jobs/s',
  better: 'higher',
};

export const fairnessCostMetric: Metric = {
  key: 'fairness_cost_percent',
  label: `pgbench, ${FAIRNESS_TENANTS} tenants ready: what the round robin costs against one global order`,
  unit: '%',
  better: 'lower',
  signed: true,
};

/**
 * How the fairness rounds' backlog is queued. `by-tenant`: each tenant's jobs in statements of
 * their own, one tenant after another, so a global order takes one tenant's jobs at a time (the
 * layout kindest to it). `interleaved`: every statement holds the same number of jobs of every
 * tenant, as when many tenants submit at once, so a global order spreads across tenants too.
 */
type Layout = 'by-tenant' | 'interleaved';

const INTERLEAVED = ' (backlog interleaved)';

/** A fairness figure of the interleaved layout: the by-tenant one's, under its own key. */
const interleavedMetric = (metric: Metric): Metric => ({
  ...metric,
  key: `interleaved_${metric.key}`,
  label: metric.label.replace(
    `${FAIRNESS_TENANTS} tenants ready`,
    `${FAIRNESS_TENANTS} tenants ready${INTERLEAVED}`,
  ),
});

/** Where pgbench is, or undefined: the scenario is then skipped. */
export function pgbenchPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin', '/usr/lib/postgresql/bin'))
    if (dir && existsSync(path.join(dir, 'pgbench'))) return path.join(dir, 'pgbench');
  return undefined;
}

/**
 * `fair`: the claim as the worker makes it. `fair-only`: the same without the fleet share (round
 * robin alone). `global`: one global order, the claim a queue without fairness would make.
 */
type ClaimOrder = 'fair' | 'fair-only' | 'global';

/**
 * jobClaim with its tenant round robin replaced by one global order (priority, run_at, id), as
 * the claim of a queue without fairness: the same update, counters and events after it. The
 * backlog needs an index in that order for it (GLOBAL_ORDER_INDEX).
 */
function globalOrder(claim: string): string {
  const from = claim.indexOf('WITH RECURSIVE walk AS (');
  const to = claim.indexOf('claimed AS (');
  if (from < 0 || to < from)
    throw new Error("jobClaim's CTEs changed: update globalOrder (scripts/src/bench/scenario-pgbench.ts)");
  return (
    claim.slice(0, from) +
    `WITH capped AS (SELECT NULL::uuid AS id WHERE false),
      picked AS (
        SELECT id, row_number() OVER () AS rank, ''::text AS turn
        FROM (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= now()
              ORDER BY priority, run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) g
      ),
      ` +
    claim.slice(to)
  );
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const GLOBAL_ORDER_INDEX = `CREATE INDEX jobs_global_order_idx ON jobs (priority, run_at, id) WHERE status = 'pending'`;

/**
 * A pgbench script doing what a worker does per claim, with Conveyor's own statements (so it
 * follows any change to them): jobClaim for CLAIM jobs, its ids kept with \gset, then
 * jobCompleteMany of those ids, each its own transaction as in the worker. Parameters become
 * pgbench variables (prepared, as the worker's named statements are); the claim's final SELECT
 * returns the ids as one array instead of one row per job.
 */
export function pgbenchScript(order: ClaimOrder = 'fair'): string {
  const params = (text: string, values: Record<string, string>) =>
    text.replace(/\$(\d+)\b/g, (match, n: string) => values[n] ?? match);
  const fair = jobClaim('worker', CLAIM, 30, 'rotation', order === 'fair' ? TENANT_SLOTS : null).text;
  const claim = order === 'global' ? globalOrder(fair) : fair;
  // The statement's last top-level SELECT, which reads `claimed` in claim order.
  const end = /\n\s*FROM claimed c JOIN picked p USING \(id\)\s+ORDER BY p\.rank, p\.turn\s*$/.exec(claim);
  const start =
    end && Math.max(...[...claim.slice(0, end.index).matchAll(/\n\s*SELECT /g)].map((m) => m.index));
  if (!end || !(start! > 0))
    throw new Error(
      "jobClaim's final SELECT changed shape: update pgbenchScript (scripts/src/bench/scenario-pgbench.ts)",
    );
  // The fair claim also hands back where its walk of the tenants ended: the client's next claim
  // starts after it, as JobQueue does per worker.
  const cursor =
    order === 'global'
      ? ''
      : `,\n             (SELECT tenant_id FROM walk ORDER BY step DESC LIMIT 1) AS next_cursor`;
  const claimIds =
    claim.slice(0, start!) +
    `\n      SELECT coalesce(array_agg(c.id ORDER BY p.rank, p.turn), '{}') AS ids,\n` +
    `             (SELECT count(*) FROM events) AS notifications${cursor}\n      FROM claimed c JOIN picked p USING (id)`;
  const complete = jobCompleteMany('worker', [{ id: '', result: null }]).text;
  return [
    `\\set rotation random(1, 1000000000)`,
    `\\set claim ${CLAIM}`,
    `\\set lease 30`,
    `\\set slots ${TENANT_SLOTS}`,
    `${params(claimIds, { 1: ':client_id', 2: ':claim', 3: ':lease', 4: ':rotation', 5: order === 'fair' ? ':slots' : 'NULL', 6: ':next_cursor' }).trim()} \\gset`,
    `${params(complete, {
      1: ':client_id',
      2: ':ids',
      3: `array_fill('null'::jsonb, ARRAY[cardinality(:ids::uuid[])])`,
    }).trim()};`,
    '',
  ].join('\n');
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`pgbench failed: ${stderr || error.message}`)) : resolve(stdout),
    ),
  );
}

/**
 * Jobs/s of `clients` pgbench clients draining a fresh backlog of Conveyor's migrated schema, with
 * the worker's session settings: one tenant's jobs (`fair`, the ceiling the drain is measured
 * against), or 100 tenants' for the cost of fairness.
 */
async function ceiling(
  context: BenchContext,
  clients: number,
  order: ClaimOrder,
  layout: Layout,
): Promise<Ceiling> {
  const { sizes, results } = context;
  const database = await context.server.database('pgbench', CONVEYOR_TEMPLATE);
  const conveyor = ConveyorDatabase.open(database.url);
  const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-pgbench-'));
  try {
    const tenants = order === 'fair' ? 1 : FAIRNESS_TENANTS;
    const backlog = order === 'fair' ? sizes.pgbenchJobs : sizes.pgbenchFairnessJobs;
    const ids: string[] = [];
    for (let t = 0; t < tenants; t++) ids.push((await conveyor.tenant(`bench-${t}`)).id);
    if (layout === 'by-tenant')
      for (const id of ids) await conveyor.insertBacklog(id, Math.ceil(backlog / tenants), {}, 2);
    else await conveyor.insertInterleaved(ids, Math.ceil(backlog / tenants), 2);
    if (order === 'global') await conveyor.pool.query(GLOBAL_ORDER_INDEX);
    await conveyor.analyze();
    const script = path.join(dir, 'claim-complete.sql');
    writeFileSync(script, pgbenchScript(order));
    const perClient = Math.max(1, Math.floor((0.9 * backlog) / (clients * CLAIM)));
    // The server's processes over the run: what PostgreSQL spends per job, with no client code.
    const pids = await connect(database.url);
    let output: string;
    let cpuSeconds: number | undefined;
    let wallSeconds: number;
    try {
      const cpu = await startServerCpuMeter(pids);
      const startedAt = performance.now();
      output = await run(
        pgbenchPath()!,
        [
          '-n',
          '-M',
          'prepared',
          '-c',
          String(clients),
          '-j',
          '2',
          '-t',
          String(perClient),
          // Each client's first claim starts its walk of the tenants at the start (the nil uuid).
          '-D',
          `next_cursor=${NIL_UUID}`,
          '-f',
          script,
          database.url,
        ],
        { ...process.env, PGOPTIONS: QUEUE_SESSION_OPTIONS },
      );
      cpuSeconds = await cpu.stop();
      wallSeconds = (performance.now() - startedAt) / 1000;
    } finally {
      await pids.end();
    }
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1]);
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1]);
    if (!(tps > 0) || !(processed > 0)) throw new Error(`could not read pgbench's output:\n${output}`);
    const { rows } = await conveyor.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE status = 'completed'`,
    );
    const completed = rows[0].n;
    if (completed < processed * CLAIM * 0.95)
      results.note(
        'pgbench',
        `A ${order} round with ${clients} clients completed ${completed} jobs in ${processed} claims: claims came back short.`,
      );
    return {
      jobsPerSecond: Math.round((completed * tps) / processed),
      jobsPerCpuSecond: cpuSeconds ? Math.round(completed / cpuSeconds) : undefined,
      serverCoresBusy: cpuSeconds === undefined ? undefined : +(cpuSeconds / wallSeconds).toFixed(2),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await conveyor.close();
    await database.drop();
  }
}

/** One pgbench run: its rate, and its jobs per CPU-second of the server (undefined where /proc cannot tell). */
interface Ceiling {
  jobsPerSecond: number;
  jobsPerCpuSecond?: number;
  /** The server's CPU seconds over the metered run's seconds (its whole span, not pgbench's tps time). */
  serverCoresBusy?: number;
}

/** The best of CLIENT_COUNTS. */
async function best(
  context: BenchContext,
  order: ClaimOrder,
  layout: Layout = 'by-tenant',
): Promise<Ceiling> {
  let top: Ceiling = { jobsPerSecond: 0 };
  for (const clients of CLIENT_COUNTS) {
    const result = await ceiling(context, clients, order, layout);
    if (result.jobsPerSecond > top.jobsPerSecond) top = result;
  }
  return top;
}

/** The round robin and the global order on one layout of the backlog, and what the first costs. */
async function fairness(context: BenchContext, system: SystemId, layout: Layout): Promise<void> {
  const name = (metric: Metric) => (layout === 'by-tenant' ? metric : interleavedMetric(metric));
  const fair = (await best(context, 'fair-only', layout)).jobsPerSecond;
  const global = (await best(context, 'global', layout)).jobsPerSecond;
  context.results.add('pgbench', name(roundRobinMetric), system, fair);
  context.results.add('pgbench', name(globalOrderMetric), system, global);
  context.results.add(
    'pgbench',
    name(fairnessCostMetric),
    system,
    Math.round(1000 * (1 - fair / global)) / 10,
  );
}

export const pgbenchScenario: Scenario = {
  id: 'pgbench',
  title: 'Database ceiling (pgbench)',
  describe: (sizes) =>
    `Per round, on a fresh migrated database: ${sizes.pgbenchJobs.toLocaleString('en')} jobs queued, ` +
    `ANALYZE, then \`pgbench -n -M prepared -c <clients> -j 2\` runs Conveyor's own claim statement ` +
    `(jobClaim with a limit of ${CLAIM}, what a draining worker asks for at the default prefetch, and the tenant share ` +
    `of ${TENANT_SLOTS} a worker of 10 slots passes) and completion statement (jobCompleteMany of the claimed ids), ` +
    `each its own transaction, until 90 % of the backlog is done; with ${CLIENT_COUNTS.join(' and then ')} clients, ` +
    `each on a fresh backlog, the better counting, ` +
    `with the worker's session settings (\`${QUEUE_SESSION_OPTIONS}\`). jobs/s = jobs completed × tps / ` +
    `transactions (tps without connection time). No Node, no handler: what PostgreSQL alone allows ` +
    `for this work on this machine. The cost of fairness, the same way on ${FAIRNESS_TENANTS} tenants' ` +
    `backlog of ${sizes.pgbenchFairnessJobs.toLocaleString('en')} jobs in all (each run lasting seconds: ` +
    `runs of one second swung ±15 points between rounds): the claim's round robin (no fleet share; each client passes the ` +
    `tenant cursor its claim returns on to its next claim, as a worker does) against the claim with its ` +
    `round robin replaced by one global order (priority, run_at, id) over an index in that order, ` +
    `the update, counters and events unchanged. On two layouts of that backlog: queued tenant by tenant ` +
    `(each tenant's jobs in statements of their own, so the global order takes one tenant's jobs at a time ` +
    `and writes the tenant-led indexes in few places, the layout kindest to it), and interleaved ` +
    `(every statement of 1,000 holds ${Math.floor(1_000 / FAIRNESS_TENANTS)} jobs of each tenant, as when ` +
    `many tenants submit at once; the global order then spreads across tenants as well).`,
  systems: () => ['conveyor'],
  skip: () => (pgbenchPath() ? undefined : 'pgbench is not installed'),
  async run(context, system) {
    const { results } = context;
    const top = await best(context, 'fair');
    results.add(this.id, ceilingMetric, system, top.jobsPerSecond);
    if (top.jobsPerCpuSecond !== undefined)
      results.add(this.id, ceilingCpuMetric, system, top.jobsPerCpuSecond);
    if (top.serverCoresBusy !== undefined)
      results.add(this.id, ceilingCoresMetric, system, top.serverCoresBusy);
    await fairness(context, system, 'by-tenant');
    await fairness(context, system, 'interleaved');
  },
};
