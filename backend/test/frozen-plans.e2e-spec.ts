import { type Client, type Pool, type PoolClient } from 'pg';
import { createPgPool } from '../src/database/pg-pool';
import { jobClaim, jobCompleteMany, jobHeartbeat, type Statement } from '../src/queue/queue.sql';
import { createTestDatabase, type TestDatabase } from './support/test-database';

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] };
const scans = (node: PlanNode): string[] => [
  `${node['Node Type']} ${node['Relation Name'] ?? ''}`.trim(),
  ...(node.Plans ?? []).flatMap(scans),
];

/** The statement as a SQL-level prepared statement, so that EXPLAIN EXECUTE shows its cached plan. */
async function prepare(session: PoolClient | Client, name: string, statement: Statement): Promise<string> {
  await session.query(`PREPARE ${name} AS ${statement.text}`);
  const element = (v: unknown) => (v === null ? 'NULL' : `"${String(v).replace(/["\\]/g, '\\$&')}"`);
  const args = statement.values.map((value) =>
    value === null || value === undefined
      ? 'NULL'
      : Array.isArray(value)
        ? session.escapeLiteral(`{${value.map(element).join(',')}}`)
        : typeof value === 'number'
          ? String(value)
          : session.escapeLiteral(String(value)),
  );
  return `${name}(${args.join(', ')})`;
}

/**
 * Workers force generic plans (QUEUE_SESSION_OPTIONS): each statement's plan is made once, from
 * the statistics of that moment, and kept until the next ANALYZE. Made while `jobs` was nearly
 * empty, the claim and the completion once updated their rows by a sequential scan of the whole
 * table after it had grown.
 */
describe('the worker’s cached plans', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, 'frozen-plans-test', 2, true);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('read `jobs` through its indexes after it grew from empty, with no ANALYZE between', async () => {
    const admin = await pool.connect();
    const session = await pool.connect();
    try {
      // No ANALYZE may come between (it would replace the cached plans): autovacuum is off here.
      await admin.query('ALTER TABLE jobs SET (autovacuum_enabled = false)');
      const [{ id: tenant }] = (
        await admin.query<{ id: string }>(`INSERT INTO tenants (name) VALUES ('frozen') RETURNING id`)
      ).rows;
      await admin.query('ANALYZE jobs');
      const fill = () =>
        admin.query(
          `INSERT INTO jobs (tenant_id, status, payload) SELECT $1, 'pending', '{}'::jsonb FROM generate_series(1, 20000)`,
          [tenant],
        );
      const scansOf = async (call: string) => {
        const { rows } = await session.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (FORMAT JSON) EXECUTE ${call}`,
        );
        return scans(rows[0]['QUERY PLAN'][0].Plan);
      };
      const uuid = '00000000-0000-7000-8000-000000000000';
      const statements = {
        claim: jobClaim('w1', 10, 30, 'r', 5),
        complete: jobCompleteMany('w1', [{ id: uuid, result: null }]),
        heartbeat: jobHeartbeat('w1', [uuid], 30),
      };
      const calls: Record<string, string> = {};
      // Made and run once while the table is empty: the plan each session then keeps.
      for (const [name, statement] of Object.entries(statements)) {
        calls[name] = await prepare(session, name, statement);
        await session.query(`EXECUTE ${calls[name]}`);
      }
      await fill();
      for (const [name, call] of Object.entries(calls))
        expect([name, (await scansOf(call)).filter((scan) => scan === 'Seq Scan jobs')]).toEqual([name, []]);
      // Without the setting the same cached claim scans the whole table: what the test guards.
      await session.query('DEALLOCATE ALL');
      await session.query('SET enable_seqscan = on');
      await admin.query('TRUNCATE jobs');
      await admin.query('ANALYZE jobs');
      const claim = await prepare(session, 'claim_seqscan', statements.claim);
      await session.query(`EXECUTE ${claim}`);
      await fill();
      expect(await scansOf(claim)).toContain('Seq Scan jobs');
    } finally {
      session.release(true);
      admin.release();
    }
  });
});
