import 'reflect-metadata';
import { Client } from 'pg';
import { openBenchDatabase } from './bench-database';
import { migrateUp } from '../../backend/src/database/migrator';
import { QUEUE_SESSION_OPTIONS } from '../../backend/src/database/pg-pool';
import { jobClaim } from '../../backend/src/queue/queue.sql';

const EXPLAIN_DB = 'conveyor_explain';
const BIG_TENANT_JOBS = 1_000_000;
const SMALL_TENANTS = 99;
const SMALL_TENANT_JOBS = 100;
const CAPPED_TENANTS = 10;
/** A fleet of 100 slots at TENANT_MAX_SHARE 0.5: the big tenant holds its 50, 50 others one each. */
const TENANT_SLOTS = 50;
const SMALL_TENANTS_RUNNING = 50;
const RUNS = 5;
/** The cursor is the tenant at this offset in id order: 5 tenants come after it, then the walk wraps. */
const CURSOR_AT = 94;

/**
 * `npm run explain:claim`: the plan of jobClaim as workers run it (a prepared statement, in a
 * session with the workers' settings: generic plans, jit and sequential scans off) with one tenant holding 1,000,000 ready jobs, 99 more holding 100 each,
 * 10 of them capped, and the fleet's 100 slots busy (the big tenant at its share of 50). The
 * plan is of the last of RUNS runs, each rolled back; the header lists every run's execution time.
 * Its output is committed as backend/src/queue/jobClaim.plan.txt.
 */
async function main(): Promise<void> {
  const scratch = await openBenchDatabase(EXPLAIN_DB);
  const url = new URL(scratch.url);
  await migrateUp(url.toString());
  const db = new Client({ connectionString: url.toString(), options: QUEUE_SESSION_OPTIONS });
  await db.connect();
  try {
    await db.query(`INSERT INTO tenants (name) SELECT 'tenant-' || g FROM generate_series(0, $1) g`, [
      SMALL_TENANTS,
    ]);
    await db.query(
      `UPDATE tenants SET max_concurrency = 2 WHERE id IN (SELECT id FROM tenants ORDER BY name DESC LIMIT $1)`,
      [CAPPED_TENANTS],
    );
    await db.query(
      `INSERT INTO jobs (tenant_id, run_at)
       SELECT (SELECT id FROM tenants WHERE name = 'tenant-0'), now() - interval '1 hour' + g * interval '1 ms'
       FROM generate_series(1, $1) g`,
      [BIG_TENANT_JOBS],
    );
    await db.query(
      `INSERT INTO jobs (tenant_id) SELECT t.id FROM tenants t, generate_series(1, $1) WHERE t.name <> 'tenant-0'`,
      [SMALL_TENANT_JOBS],
    );
    await db.query(
      `INSERT INTO jobs (tenant_id, status, attempts, lease_owner, lease_expires_at, started_at)
       SELECT t.id, 'running', 1, 'w0', now() + interval '1 minute', now()
       FROM tenants t, generate_series(1, CASE WHEN t.name = 'tenant-0' THEN $1 ELSE 1 END)
       WHERE t.name = 'tenant-0' OR t.name IN (SELECT name FROM tenants WHERE name <> 'tenant-0' ORDER BY name LIMIT $2)`,
      [TENANT_SLOTS, SMALL_TENANTS_RUNNING],
    );
    await db.query('VACUUM ANALYZE jobs');
    await db.query('VACUUM ANALYZE tenants');
    const { version } = (await db.query(`SELECT current_setting('server_version') AS version`)).rows[0];
    const claim = jobClaim('w1', 10, 30, 'seed', TENANT_SLOTS);
    // A cursor near the end of the tenants' order, so that the walk wraps around to the start.
    const { cursor } = (
      await db.query(`SELECT id AS cursor FROM tenants ORDER BY id OFFSET $1 LIMIT 1`, [CURSOR_AT])
    ).rows[0];
    await db.query(`PREPARE claim(text, int, int, text, int, uuid) AS ${claim.text}`);
    let plan: { rows: Array<{ 'QUERY PLAN': string }> } = { rows: [] };
    const times: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      await db.query('BEGIN');
      plan = await db.query(
        `EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('w1', 10, 30, 'seed-${run}', ${TENANT_SLOTS}, '${cursor}')`,
      );
      await db.query('ROLLBACK');
      const last = plan.rows[plan.rows.length - 1]['QUERY PLAN'];
      times.push(/Execution Time: ([\d.]+)/.exec(last)?.[1] ?? '?');
    }
    console.log(
      `jobClaim (limit 10) with ${BIG_TENANT_JOBS.toLocaleString('en')} jobs ready for one tenant and ` +
        `${SMALL_TENANT_JOBS} for each of ${SMALL_TENANTS} others (${CAPPED_TENANTS} capped at 2),\n` +
        `${TENANT_SLOTS + SMALL_TENANTS_RUNNING} jobs running (the big tenant at its fleet share of ` +
        `${TENANT_SLOTS}, ${SMALL_TENANTS_RUNNING} others one each),\n` +
        `the claim's walk starting after the ${CURSOR_AT + 1}th of the tenants in id order (it wraps around),\n` +
        `PostgreSQL ${version}, generic plan of the prepared statement, jit and sequential scans off: as the worker runs it.\n` +
        `Execution times of ${RUNS} runs (ms): ${times.join(', ')}; the plan of the last.\n` +
        `Made by: npm run explain:claim (scripts/src/explain-claim.ts).\n`,
    );
    for (const row of plan.rows) console.log(row['QUERY PLAN']);
  } finally {
    await db.end();
    await scratch.drop();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
