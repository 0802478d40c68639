import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Jobs not yet due leave the claim's index. A job submitted for later is `scheduled`, a failed
 * attempt waiting for its retry stays `failed`, and the maintenance promoter turns either into
 * `pending` once run_at has passed. The claim's index then holds only what can run now, so no
 * backlog of future jobs (a year ahead, or retries in backoff) is walked by any claim
 * (docs/storage.md).
 *
 * No transaction: the indexes are built CONCURRENTLY so a live jobs table keeps taking writes;
 * each statement below commits on its own and each is safe to run again.
 */
export class ScheduledJobs1764800000000 implements MigrationInterface {
  name = 'ScheduledJobs1764800000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE jobs DROP CONSTRAINT jobs_status_check,
        ADD CONSTRAINT jobs_status_check
          CHECK (status IN ('scheduled', 'pending', 'running', 'failed', 'completed', 'dead', 'cancelled')) NOT VALID`);
    await queryRunner.query(`ALTER TABLE jobs VALIDATE CONSTRAINT jobs_status_check`);
    await queryRunner.query(`
      ALTER TABLE job_counts DROP CONSTRAINT job_counts_status_check,
        ADD CONSTRAINT job_counts_status_check
          CHECK (status IN ('scheduled', 'pending', 'running', 'failed', 'completed', 'dead', 'cancelled'))`);
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_pending_idx ON jobs (tenant_id, priority, run_at, id)
         WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_due_idx ON jobs (run_at) WHERE status IN ('scheduled', 'failed')`,
    );
    // Future jobs already queued become scheduled; the counters move with them.
    await queryRunner.query(`
      WITH moved AS (
        UPDATE jobs SET status = 'scheduled', updated_at = now()
        WHERE status = 'pending' AND run_at > now()
        RETURNING tenant_id, queue, type
      )
      INSERT INTO job_transitions (tenant_id, queue, type, from_status, to_status, jobs)
      SELECT tenant_id, queue, type, 'pending', 'scheduled', count(*) FROM moved GROUP BY tenant_id, queue, type`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS jobs_ready_idx`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS jobs_claim_idx`);
  }

  /**
   * Reverted inside a transaction (TypeORM's way whatever `transaction` says): plain DDL only.
   * Scheduled jobs, their counters and unrolled transitions all fold back into pending.
   */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE jobs SET status = 'pending', updated_at = now() WHERE status = 'scheduled'`,
    );
    await queryRunner.query(`
      INSERT INTO job_counts AS c (tenant_id, queue, type, status, jobs)
      SELECT tenant_id, queue, type, 'pending', jobs FROM job_counts WHERE status = 'scheduled'
      ON CONFLICT (tenant_id, status, queue, type) DO UPDATE SET jobs = c.jobs + EXCLUDED.jobs`);
    await queryRunner.query(`DELETE FROM job_counts WHERE status = 'scheduled'`);
    await queryRunner.query(`
      DELETE FROM job_transitions
      WHERE (from_status, to_status) IN (('pending', 'scheduled'), ('scheduled', 'pending'))`);
    await queryRunner.query(
      `UPDATE job_transitions SET from_status = 'pending' WHERE from_status = 'scheduled'`,
    );
    await queryRunner.query(`UPDATE job_transitions SET to_status = 'pending' WHERE to_status = 'scheduled'`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS jobs_ready_idx ON jobs (tenant_id, priority, run_at, id)
        WHERE status IN ('pending', 'failed')`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS jobs_claim_idx ON jobs (priority, run_at, id) WHERE status IN ('pending', 'failed')`);
    await queryRunner.query(`DROP INDEX IF EXISTS jobs_due_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS jobs_pending_idx`);
    await queryRunner.query(`
      ALTER TABLE job_counts DROP CONSTRAINT job_counts_status_check,
        ADD CONSTRAINT job_counts_status_check
          CHECK (status IN ('pending', 'running', 'failed', 'completed', 'dead', 'cancelled'))`);
    await queryRunner.query(`
      ALTER TABLE jobs DROP CONSTRAINT jobs_status_check,
        ADD CONSTRAINT jobs_status_check
          CHECK (status IN ('pending', 'running', 'failed', 'completed', 'dead', 'cancelled'))`);
  }
}
