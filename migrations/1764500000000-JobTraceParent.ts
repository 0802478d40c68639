import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The W3C traceparent of the request that submitted a job (when tracing is on), so the worker
 * continues that trace: trace_id alone names the trace but not the span to hang the job's
 * wait and run under. NULL when tracing is off; no default, so the column costs no rewrite.
 */
export class JobTraceParent1764500000000 implements MigrationInterface {
  name = 'JobTraceParent1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs ADD COLUMN trace_parent text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs DROP COLUMN trace_parent`);
  }
}
