import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QUEUE_SESSION_OPTIONS } from '../../../backend/src/database/pg-pool';
import { jobClaim, jobCompleteMany } from '../../../backend/src/queue/queue.sql';
import { CONVEYOR_TEMPLATE, ConveyorDatabase } from './conveyor';
import { type BenchContext, type Metric, type Scenario } from './model';

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

/** Where pgbench is, or undefined: the scenario is then skipped. */
export function pgbenchPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin', '/usr/lib/postgresql/bin'))
    if (dir && existsSync(path.join(dir, 'pgbench'))) return path.join(dir, 'pgbench');
  return undefined;
}

/**
 * A pgbench script doing what a worker does per claim, with Conveyor's own statements (so it
 * follows any change to them): jobClaim for CLAIM jobs, its ids kept with \gset, then
 * jobCompleteMany of those ids, each its own transaction as in the worker. Parameters become
 * pgbench variables (prepared, as the worker's named statements are); the claim's final SELECT
 * returns the ids as one array instead of one row per job.
 */
export function pgbenchScript(): string {
  const params = (text: string, values: Record<string, string>) =>
    text.replace(/\$(\d+)\b/g, (match, n: string) => values[n] ?? match);
  const claim = jobClaim('worker', CLAIM, 30, 'rotation', TENANT_SLOTS).text;
  // The statement's last top-level SELECT, which reads `claimed` in claim order.
  const end = /\n\s*FROM claimed c JOIN picked p USING \(id\)\s+ORDER BY p\.rank, p\.turn\s*$/.exec(claim);
  const start =
    end && Math.max(...[...claim.slice(0, end.index).matchAll(/\n\s*SELECT /g)].map((m) => m.index));
  if (!end || !(start! > 0))
    throw new Error(
      "jobClaim's final SELECT changed shape: update pgbenchScript (scripts/src/bench/scenario-pgbench.ts)",
    );
  const claimIds =
    claim.slice(0, start!) +
    `\n      SELECT coalesce(array_agg(c.id ORDER BY p.rank, p.turn), '{}') AS ids,\n` +
    `             (SELECT count(*) FROM events) AS notifications\n      FROM claimed c JOIN picked p USING (id)`;
  const complete = jobCompleteMany('worker', [{ id: '', result: null }]).text;
  return [
    `\\set rotation random(1, 1000000000)`,
    `\\set claim ${CLAIM}`,
    `\\set lease 30`,
    `\\set slots ${TENANT_SLOTS}`,
    `${params(claimIds, { 1: ':client_id', 2: ':claim', 3: ':lease', 4: ':rotation', 5: ':slots' }).trim()} \\gset`,
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
 * The database's ceiling for the worker's claim-and-complete work: pgbench runs Conveyor's claim
 * and completion statements from CLIENT_COUNTS clients (in turn, each on a fresh backlog) against a copy of Conveyor's jobs table (migrated
 * schema) holding a backlog, with the worker's session settings. Conveyor's drain is reported
 * as a fraction of it.
 */
/** Jobs/s of `clients` pgbench clients draining a fresh backlog. */
async function ceiling(context: BenchContext, clients: number): Promise<number> {
  const { sizes, results } = context;
  const database = await context.server.database('pgbench', CONVEYOR_TEMPLATE);
  const conveyor = ConveyorDatabase.open(database.url);
  const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-pgbench-'));
  try {
    const tenant = await conveyor.tenant('bench');
    await conveyor.insertBacklog(tenant.id, sizes.pgbenchJobs, {}, 2);
    await conveyor.analyze();
    const script = path.join(dir, 'claim-complete.sql');
    writeFileSync(script, pgbenchScript());
    const perClient = Math.max(1, Math.floor((0.9 * sizes.pgbenchJobs) / (clients * CLAIM)));
    const output = await run(
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
        '-f',
        script,
        database.url,
      ],
      { ...process.env, PGOPTIONS: QUEUE_SESSION_OPTIONS },
    );
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
        `A round with ${clients} clients completed ${completed} jobs in ${processed} claims: claims came back short.`,
      );
    return Math.round((completed * tps) / processed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await conveyor.close();
    await database.drop();
  }
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
    `for this work on this machine.`,
  systems: () => ['conveyor'],
  skip: () => (pgbenchPath() ? undefined : 'pgbench is not installed'),
  async run(context, system) {
    let best = 0;
    for (const clients of CLIENT_COUNTS) best = Math.max(best, await ceiling(context, clients));
    context.results.add(this.id, ceilingMetric, system, best);
  },
};
