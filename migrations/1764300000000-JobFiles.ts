import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Files uploaded with jobs (the `analyze` type's log files). Kept in PostgreSQL, like everything
 * else, so any worker replica can read what any API replica received; deleted with their job.
 */
export class JobFiles1764300000000 implements MigrationInterface {
  name = 'JobFiles1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE job_files (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        job_id uuid,
        filename text NOT NULL,
        content_type text,
        size integer NOT NULL CHECK (size >= 0),
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX job_files_job_idx ON job_files (job_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE job_files`);
  }
}
