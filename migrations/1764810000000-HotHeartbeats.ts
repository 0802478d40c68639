import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A heartbeat writes lease_expires_at and updated_at; with neither indexed its update is HOT (no
 * index entry written, the row version stays on its page: the table's fillfactor leaves room), and
 * a claim writes one index entry fewer. The rescuer finds expired leases by reading the running
 * rows through jobs_running_tenant_idx instead: they are few (the fleet's slots plus prefetch).
 * Dropped CONCURRENTLY, so a live jobs table keeps taking writes meanwhile.
 */
export class HotHeartbeats1764810000000 implements MigrationInterface {
  name = 'HotHeartbeats1764810000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS jobs_lease_idx`);
  }

  /** Plain CREATE INDEX: TypeORM reverts inside a transaction whatever `transaction` says. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS jobs_lease_idx ON jobs (lease_expires_at) WHERE status = 'running'`,
    );
  }
}
