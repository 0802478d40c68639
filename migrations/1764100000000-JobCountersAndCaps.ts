import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Counters that keep summaries off the jobs table, and the bookkeeping behind a tenant's
 * max_concurrency.
 *
 * - job_transitions: every hot-path statement appends one row per (tenant, queue, type,
 *   from → to status) it changed. Append-only, so concurrent workers never contend on a
 *   counter row; the roller folds it into job_counts and job_metrics every second.
 * - job_counts: jobs per (tenant, queue, type, status) as of the last roll. Current count =
 *   job_counts + the unrolled transitions (a handful of rows).
 * - tenants.running_jobs: running jobs of a capped tenant (max_concurrency set), locked by the
 *   claim so that a cap holds across every worker; uncapped tenants never touch it. Reconciling it counts running jobs through an
 *   index of running jobs (jobs_lease_idx then, jobs_running_tenant_idx since 1764810000000), so no index is added for it.
 */
export class JobCountersAndCaps1764100000000 implements MigrationInterface {
  name = 'JobCountersAndCaps1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE job_transitions (
        bucket timestamptz NOT NULL DEFAULT date_trunc('minute', now()),
        tenant_id uuid NOT NULL,
        queue text NOT NULL,
        type text NOT NULL,
        from_status text,
        to_status text,
        jobs integer NOT NULL,
        wait_ms bigint NOT NULL DEFAULT 0,
        run_ms bigint NOT NULL DEFAULT 0,
        CONSTRAINT job_transitions_changes_status CHECK (from_status IS DISTINCT FROM to_status)
      ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`);

    await queryRunner.query(`
      CREATE TABLE job_counts (
        tenant_id uuid NOT NULL,
        queue text NOT NULL,
        type text NOT NULL,
        status text NOT NULL,
        jobs bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, status, queue, type),
        CONSTRAINT job_counts_status_check
          CHECK (status IN ('pending', 'running', 'failed', 'completed', 'dead', 'cancelled'))
      )`);
    await queryRunner.query(`
      INSERT INTO job_counts (tenant_id, queue, type, status, jobs)
      SELECT tenant_id, queue, type, status, count(*) FROM jobs GROUP BY 1, 2, 3, 4`);

    await queryRunner.query(
      `ALTER TABLE tenants ADD COLUMN running_jobs integer NOT NULL DEFAULT 0, SET (fillfactor = 80)`,
    );
    await queryRunner.query(`
      UPDATE tenants t SET running_jobs = (
        SELECT count(*) FROM jobs j WHERE j.tenant_id = t.id AND j.status = 'running')
      WHERE t.max_concurrency IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX tenants_capped_idx ON tenants (id) WHERE max_concurrency IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tenants_capped_idx`);
    await queryRunner.query(`ALTER TABLE tenants DROP COLUMN running_jobs, RESET (fillfactor)`);
    await queryRunner.query(`DROP TABLE job_counts`);
    await queryRunner.query(`DROP TABLE job_transitions`);
  }
}
