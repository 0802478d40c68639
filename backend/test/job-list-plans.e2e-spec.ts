import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/test-database';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows every node of a plan produced or threw away: what the statement had to read. */
function rowsTouched(node: PlanNode): number {
  const own = (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'];
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsTouched(child), 0);
}

/**
 * A tenant's newest-first page filtered by type, queue or status must not read the tenant's
 * other jobs: 40,000 jobs, 20 of the rare kind and all of them the oldest. The statement is the
 * shape JobsRepository.list sends (tenant, one filter, keyset order, limit + 1).
 */
describe('filtered job listing reads a bounded number of rows', () => {
  const TENANT = '00000000-0000-0000-0000-00000000000a';
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
    await pool.query(
      `INSERT INTO jobs (tenant_id, queue, type, status, created_at, updated_at, finished_at)
       SELECT $1, CASE WHEN g <= 20 THEN 'rare-q' ELSE 'default' END,
              CASE WHEN g <= 20 THEN 'rare' ELSE 'email' END,
              CASE WHEN g <= 20 THEN 'dead' ELSE 'completed' END, t, t, t
       FROM generate_series(1, 40000) g, LATERAL (SELECT now() - (40000 - g) * interval '1 s' AS t) c`,
      [TENANT],
    );
    await pool.query('ANALYZE jobs');
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it.each([
    ['type', 'rare'],
    ['queue', 'rare-q'],
    ['status', 'dead'],
  ])('?%s= reads about a page, not the tenant’s 40,000 jobs', async (column, value) => {
    const { rows } = await pool.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON)
       SELECT id, created_at FROM jobs WHERE tenant_id = $1 AND ${column} = $2
       ORDER BY created_at DESC, id DESC LIMIT 51`,
      [TENANT, value],
    );
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    expect(plan['Actual Rows']).toBe(20);
    expect(rowsTouched(plan)).toBeLessThan(500);
  });
});
