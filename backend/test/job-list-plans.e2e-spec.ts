import { Pool } from 'pg';
import { type PgPool } from '../src/database/pg-pool';
import { type JobFilters, type JobRow, JobsRepository } from '../src/jobs/jobs.repository';
import { type PagePosition } from '../src/jobs/page-cursor';
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
 * A tenant's newest-first page, filtered by type, queue or status or not at all, must not read the
 * tenant's other jobs: 40,000 jobs, 20 of the rare kind and all of them the oldest, and 30 running
 * ones (which the listing indexes leave out) spread over the whole range. The statements are the
 * ones JobsRepository.list sends, caught on their way to the pool and run under EXPLAIN.
 */
describe('filtered job listing reads a bounded number of rows', () => {
  const TENANT = '00000000-0000-0000-0000-00000000000a';
  let db: TestDatabase;
  let pool: Pool;
  let repository: JobsRepository;
  let sent: { text: string; values: unknown[] } | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
    await pool.query(
      `INSERT INTO jobs (tenant_id, queue, type, status, created_at, updated_at, finished_at,
                         lease_owner, lease_expires_at)
       SELECT $1, CASE WHEN g <= 20 THEN 'rare-q' ELSE 'default' END,
              CASE WHEN g <= 20 THEN 'rare' ELSE 'email' END,
              CASE WHEN g <= 20 THEN 'dead' WHEN g % 1300 = 0 OR g = 39999 THEN 'running' ELSE 'completed' END,
              t, t,
              CASE WHEN g % 1300 = 0 OR g = 39999 THEN NULL ELSE t END,
              CASE WHEN g % 1300 = 0 OR g = 39999 THEN 'worker' END,
              CASE WHEN g % 1300 = 0 OR g = 39999 THEN now() + interval '1 hour' END
       FROM generate_series(1, 40000) g, LATERAL (SELECT now() - (40000 - g) * interval '1 s' AS t) c`,
      [TENANT],
    );
    await pool.query('ANALYZE jobs');
    const recording = {
      query: (text: string, values: unknown[]) => {
        sent = { text, values };
        return pool.query(text, values);
      },
    };
    repository = new JobsRepository({ pool: recording } as unknown as PgPool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /** The page the repository returns, and the plan of the statement it sent for it. */
  async function listed(filters: Omit<JobFilters, 'tenantId'>, after?: PagePosition) {
    const rows = await repository.list({ tenantId: TENANT, ...filters }, 51, after);
    const { rows: plan } = await pool.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${sent!.text}`,
      sent!.values,
    );
    return { rows, plan: plan[0]['QUERY PLAN'][0].Plan };
  }

  it.each([
    ['type', 'rare'],
    ['queue', 'rare-q'],
    ['status', 'dead'],
  ])('?%s= reads about a page, not the tenant’s 40,000 jobs', async (column, value) => {
    const { rows, plan } = await listed({ [column]: value });
    expect(rows).toHaveLength(20);
    expect(plan['Actual Rows']).toBe(20);
    expect(rowsTouched(plan)).toBeLessThan(500);
  });

  it('?status=running reads the running jobs, not the tenant’s 40,000', async () => {
    const { rows, plan } = await listed({ status: 'running' });
    expect(rows).toHaveLength(31);
    expect(rows.every((row) => row.status === 'running')).toBe(true);
    expect(rowsTouched(plan)).toBeLessThan(500);
  });

  it('an unfiltered page merges the running jobs into the others in order, page after page', async () => {
    const { rows: expected } = await pool.query<{ id: string }>(
      `SELECT id FROM jobs WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 3000`,
      [TENANT],
    );
    const seen: JobRow[] = [];
    let after: PagePosition | undefined;
    while (seen.length < 3000) {
      const { rows, plan } = await listed({}, after);
      expect(rowsTouched(plan)).toBeLessThan(500);
      seen.push(...rows.slice(0, 50));
      const last = rows[49];
      after = { at: last.position_at, id: last.id };
    }
    expect(seen.slice(0, 3000).map((row) => row.id)).toEqual(expected.map((row) => row.id));
    // The newest page holds the running job queued second to last, between two others.
    expect(seen.slice(0, 3).map((row) => row.status)).toEqual(['completed', 'running', 'completed']);
    expect(seen.filter((row) => row.status === 'running')).toHaveLength(3);
  });
});
