import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Each job's time limit per attempt, resolved at submission (the request's timeout_ms or its
 * type's default). NULL for jobs submitted before it: the worker applies the type's default.
 * No default, and the CHECK added NOT VALID, so neither rewrites nor scans the jobs table.
 */
export class JobTimeouts1764710000000 implements MigrationInterface {
  name = 'JobTimeouts1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE jobs
        ADD COLUMN timeout_ms integer,
        ADD CONSTRAINT jobs_timeout_ms_positive CHECK (timeout_ms > 0) NOT VALID`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs DROP COLUMN timeout_ms`);
  }
}
