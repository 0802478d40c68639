import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A tenant's stored upload bytes are summed before each upload (its storage quota): this index
 * makes that an index-only scan of the tenant's own entries instead of a read of every file.
 */
export class JobFilesByTenant1764700000000 implements MigrationInterface {
  name = 'JobFilesByTenant1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX job_files_tenant_size_idx ON job_files (tenant_id) INCLUDE (size)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX job_files_tenant_size_idx`);
  }
}
