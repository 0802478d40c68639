import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A tenant's running jobs, counted by the claim to hold each tenant to its share of the fleet
 * while others wait (docs/fairness.md). Running rows are few (the fleet's slots plus prefetch),
 * so the index stays small; jobs_lease_idx cannot serve the count, as it does not lead with the
 * tenant. Built CONCURRENTLY so that a live jobs table keeps taking writes meanwhile.
 */
export class JobsRunningByTenant1764720000000 implements MigrationInterface {
  name = 'JobsRunningByTenant1764720000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_running_tenant_idx ON jobs (tenant_id) WHERE status = 'running'`,
    );
  }

  /** Plain DROP INDEX: TypeORM reverts inside a transaction whatever `transaction` says. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS jobs_running_tenant_idx`);
  }
}
