import 'reflect-metadata';
import { Client } from 'pg';
import { loadConfigOrExit } from '../../backend/src/common/process-lifecycle';
import { migrateUp } from '../../backend/src/database/migrator';
import { openDatabaseTarget } from '../../backend/src/launcher/database-target';
import { jobClaim } from '../../backend/src/queue/queue.sql';

const EXPLAIN_DB = 'conveyor_explain';
const BIG_TENANT_JOBS = 1_000_000;
const SMALL_TENANTS = 99;
const SMALL_TENANT_JOBS = 100;
const CAPPED_TENANTS = 10;

/**
 * `npm run explain:claim`: the plan of jobClaim as workers run it (a prepared statement with a
 * generic plan, jit off) with one tenant holding 1,000,000 ready jobs, 99 more holding 100 each,
 * 10 of them capped. Its output is committed as backend/src/queue/jobClaim.plan.txt.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const target = await openDatabaseTarget(config, (m) => console.error(m));
  const admin = new Client({ connectionString: target.url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${EXPLAIN_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${EXPLAIN_DB}`);
  const url = new URL(target.url);
  url.pathname = `/${EXPLAIN_DB}`;
  await migrateUp(url.toString());
  const db = new Client({ connectionString: url.toString() });
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
    await db.query('VACUUM ANALYZE jobs');
    await db.query('VACUUM ANALYZE tenants');
    const { version } = (await db.query(`SELECT current_setting('server_version') AS version`)).rows[0];
    const claim = jobClaim('w1', 10, 30, 'seed');
    await db.query('SET jit = off');
    await db.query('SET plan_cache_mode = force_generic_plan');
    await db.query(`PREPARE claim(text, int, int, text) AS ${claim.text}`);
    await db.query('BEGIN');
    const plan = await db.query(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim('w1', 10, 30, 'seed')`);
    await db.query('ROLLBACK');
    console.log(
      `jobClaim (limit 10) with ${BIG_TENANT_JOBS.toLocaleString('en')} jobs ready for one tenant and ` +
        `${SMALL_TENANT_JOBS} for each of ${SMALL_TENANTS} others (${CAPPED_TENANTS} capped at 2),\n` +
        `PostgreSQL ${version}, generic plan of the prepared statement, jit off: as the worker runs it.\n` +
        `Made by: npm run explain:claim (scripts/src/explain-claim.ts).\n`,
    );
    for (const row of plan.rows as Array<{ 'QUERY PLAN': string }>) console.log(row['QUERY PLAN']);
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${EXPLAIN_DB} WITH (FORCE)`);
    await admin.end();
    await target.release();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
