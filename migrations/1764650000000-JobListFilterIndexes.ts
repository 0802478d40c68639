import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Filtered job listing (`GET /api/v1/jobs?type=|queue=|status=`, newest first) read a tenant's
 * jobs_tenant_created_idx from the top and threw away every row of another type: a rare type
 * walked the tenant's whole index (5M rows: 1.1 s, docs/job-listing-plans.md). One index per
 * filter, in the listing's own order, makes each such page a short range scan.
 *
 * Built CONCURRENTLY, so that an existing jobs table keeps taking writes meanwhile; that cannot
 * run inside a transaction, hence `transaction = false`.
 */
export class JobListFilterIndexes1764650000000 implements MigrationInterface {
  name = 'JobListFilterIndexes1764650000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['type', 'queue', 'status'])
      await queryRunner.query(
        `CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_tenant_${column}_created_idx
           ON jobs (tenant_id, ${column}, created_at DESC, id DESC)`,
      );
  }

  /** Plain DROP INDEX: TypeORM reverts inside a transaction whatever `transaction` says. */
  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['type', 'queue', 'status'])
      await queryRunner.query(`DROP INDEX IF EXISTS jobs_tenant_${column}_created_idx`);
  }
}
