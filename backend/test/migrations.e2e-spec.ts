import { migrateDownOne, migrateUp } from '../src/database/migrator';
import { MIGRATIONS } from '../../migrations';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';

const TABLES = [
  'api_keys',
  'dead_letter_jobs',
  'job_counts',
  'job_files',
  'job_metrics',
  'job_transitions',
  'jobs',
  'rate_limit_buckets',
  'tenants',
  'workers',
];

async function tables(url: string): Promise<string[]> {
  const rows = await query<{ name: string }>(
    url,
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations' ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

describe('migrations on a real database', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db.drop());

  it('applies every migration to an empty database, then nothing on a second run', async () => {
    expect(await migrateUp(db.url)).toEqual(MIGRATIONS.map((migration) => migration.name));
    expect(await tables(db.url)).toEqual(TABLES);
    expect(await migrateUp(db.url)).toEqual([]);
  });

  it('enforces job states and the finished_at invariant in the schema', async () => {
    const [tenant] = await query<{ id: string }>(
      db.url,
      `INSERT INTO tenants (name) VALUES ('t') RETURNING id`,
    );
    await expect(
      query(db.url, `INSERT INTO jobs (tenant_id, status) VALUES ($1, 'exploded')`, [tenant.id]),
    ).rejects.toThrow(/jobs_status_check/);
    await expect(
      query(db.url, `INSERT INTO jobs (tenant_id, status) VALUES ($1, 'completed')`, [tenant.id]),
    ).rejects.toThrow(/jobs_finished_check/);
    await expect(
      query(db.url, `INSERT INTO jobs (tenant_id, status) VALUES ($1, 'running')`, [tenant.id]),
    ).rejects.toThrow(/jobs_lease_check/);
    const [job] = await query<{ status: string; max_attempts: number }>(
      db.url,
      `INSERT INTO jobs (tenant_id) VALUES ($1) RETURNING status, max_attempts`,
      [tenant.id],
    );
    expect(job).toEqual({ status: 'pending', max_attempts: 4 });
  });

  it('keeps idempotency keys unique per tenant only', async () => {
    const [a, b] = await query<{ id: string }>(
      db.url,
      `INSERT INTO tenants (name) VALUES ('a'), ('b') RETURNING id`,
    );
    await query(db.url, `INSERT INTO jobs (tenant_id, idempotency_key) VALUES ($1, 'k'), ($2, 'k')`, [
      a.id,
      b.id,
    ]);
    await expect(
      query(db.url, `INSERT INTO jobs (tenant_id, idempotency_key) VALUES ($1, 'k')`, [a.id]),
    ).rejects.toThrow(/jobs_idempotency_idx/);
  });

  it('reverts down to an empty schema and applies again', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) expect(await migrateDownOne(db.url)).toBe(true);
    expect(await tables(db.url)).toEqual([]);
    expect(await migrateDownOne(db.url)).toBe(false);
    expect(await migrateUp(db.url)).toHaveLength(MIGRATIONS.length);
    expect(await tables(db.url)).toEqual(TABLES);
  });
});
