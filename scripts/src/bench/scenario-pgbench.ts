import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QUEUE_SESSION_OPTIONS } from '../../../backend/src/database/pg-pool';
import { jobClaim, jobCompleteMany } from '../../../backend/src/queue/queue.sql';
import { PEER_CONCURRENCY } from '../bench-peer-harness';
import { CONVEYOR_TEMPLATE, ConveyorDatabase } from './conveyor';
import { type Metric, type Scenario } from './model';

const CLAIM = 10;
const CLIENTS = PEER_CONCURRENCY;
/** The worker's fleet share of its own 10 slots at TENANT_MAX_SHARE 0.5, as the claim gets it. */
const TENANT_SLOTS = 5;

export const ceilingMetric: Metric = {
  key: 'ceiling_jobs_per_second',
  label: `pgbench: claim ${CLAIM} + complete them, ${CLIENTS} clients: jobs/s`,
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
 * follows any change to them): jobClaim for 10 jobs, its ids kept with \gset, then
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
 * and completion statements from 10 clients against a copy of Conveyor's jobs table (migrated
 * schema) holding a backlog, with the worker's session settings. Conveyor's drain is reported
 * as a fraction of it.
 */
export const pgbenchScenario: Scenario = {
  id: 'pgbench',
  title: 'Database ceiling (pgbench)',
  describe: (sizes) =>
    `Per round, on a fresh migrated database: ${sizes.pgbenchJobs.toLocaleString('en')} jobs queued, ` +
    `ANALYZE, then \`pgbench -n -M prepared -c ${CLIENTS} -j 2\` runs Conveyor's own claim statement ` +
    `(jobClaim with a limit of ${CLAIM} and the tenant share of ${TENANT_SLOTS} a worker of 10 slots passes) and completion statement ` +
    `(jobCompleteMany of the claimed ids), each its own transaction, until 90 % of the backlog is done, ` +
    `with the worker's session settings (\`${QUEUE_SESSION_OPTIONS}\`). jobs/s = jobs completed × tps / ` +
    `transactions (tps without connection time). No Node, no handler: what PostgreSQL alone allows ` +
    `for this work on this machine.`,
  systems: () => ['conveyor'],
  skip: () => (pgbenchPath() ? undefined : 'pgbench is not installed'),
  async run(context, system) {
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
      const perClient = Math.max(1, Math.floor((0.9 * sizes.pgbenchJobs) / (CLIENTS * CLAIM)));
      const output = await run(
        pgbenchPath()!,
        [
          '-n',
          '-M',
          'prepared',
          '-c',
          String(CLIENTS),
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
          this.id,
          `A round completed ${completed} jobs in ${processed} claims: claims came back short.`,
        );
      results.add(this.id, ceilingMetric, system, Math.round((completed * tps) / processed));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await conveyor.close();
      await database.drop();
    }
  },
};
