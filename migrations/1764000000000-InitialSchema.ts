import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Tenants, API keys, the jobs table, the dead-letter queue and per-minute metric rollups.
 * Job states are mirrored by CHECK constraints so no writer can invent one or leave a finished
 * job without finished_at.
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        rate_limit_per_second integer CHECK (rate_limit_per_second > 0),
        rate_limit_burst integer CHECK (rate_limit_burst > 0),
        max_concurrency integer CHECK (max_concurrency > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tenants_name_not_blank CHECK (btrim(name) <> ''),
        CONSTRAINT tenants_name_unique UNIQUE (name)
      )`);

    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        key_hash char(64) NOT NULL,
        prefix text NOT NULL,
        name text,
        role text NOT NULL DEFAULT 'tenant' CHECK (role IN ('tenant', 'admin')),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT api_keys_key_hash_unique UNIQUE (key_hash)
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id)`);

    // The hot table: no foreign keys (each would add a lookup to every insert), a lower
    // fillfactor so that updates touching no indexed column (lease heartbeats) can stay HOT,
    // and autovacuum tuned for constant churn. A status change is never HOT (docs/storage.md).
    await queryRunner.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        queue text NOT NULL DEFAULT 'default',
        type text NOT NULL DEFAULT 'default',
        payload jsonb NOT NULL DEFAULT '{}'::jsonb,
        status text NOT NULL DEFAULT 'pending',
        priority integer NOT NULL DEFAULT 0,
        run_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL DEFAULT 4,
        lease_owner text,
        lease_expires_at timestamptz,
        progress smallint NOT NULL DEFAULT 0,
        result jsonb,
        last_error text,
        errors jsonb NOT NULL DEFAULT '[]'::jsonb,
        idempotency_key text,
        trace_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        CONSTRAINT jobs_status_check
          CHECK (status IN ('pending', 'running', 'failed', 'completed', 'dead', 'cancelled')),
        CONSTRAINT jobs_attempts_check CHECK (attempts >= 0 AND max_attempts >= 1),
        CONSTRAINT jobs_progress_check CHECK (progress BETWEEN 0 AND 100),
        CONSTRAINT jobs_finished_check
          CHECK ((status IN ('completed', 'dead', 'cancelled')) = (finished_at IS NOT NULL)),
        CONSTRAINT jobs_lease_check CHECK ((status = 'running') = (lease_expires_at IS NOT NULL))
      ) WITH (
        fillfactor = 70,
        autovacuum_vacuum_scale_factor = 0.02,
        autovacuum_analyze_scale_factor = 0.02,
        autovacuum_vacuum_cost_delay = 1
      )`);
    await queryRunner.query(`
      CREATE INDEX jobs_ready_idx ON jobs (tenant_id, priority, run_at, id)
        WHERE status IN ('pending', 'failed')`);
    // The claim's order (priority, run_at, id) over ready rows only; the per-tenant index above
    // serves per-tenant reads and fairness.
    await queryRunner.query(`
      CREATE INDEX jobs_claim_idx ON jobs (priority, run_at, id) WHERE status IN ('pending', 'failed')`);
    await queryRunner.query(`
      CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE status = 'running'`);
    await queryRunner.query(
      `CREATE INDEX jobs_tenant_created_idx ON jobs (tenant_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(`
      CREATE UNIQUE INDEX jobs_idempotency_idx ON jobs (tenant_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL`);

    await queryRunner.query(`
      CREATE TABLE dead_letter_jobs (
        job_id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        queue text NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        attempts integer NOT NULL,
        max_attempts integer NOT NULL,
        errors jsonb NOT NULL DEFAULT '[]'::jsonb,
        last_error text,
        trace_id text,
        job_created_at timestamptz NOT NULL,
        died_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX dead_letter_jobs_tenant_idx ON dead_letter_jobs (tenant_id, died_at DESC)`,
    );

    await queryRunner.query(`
      CREATE TABLE job_metrics (
        bucket timestamptz NOT NULL,
        tenant_id uuid NOT NULL,
        queue text NOT NULL,
        type text NOT NULL,
        submitted bigint NOT NULL DEFAULT 0,
        started bigint NOT NULL DEFAULT 0,
        completed bigint NOT NULL DEFAULT 0,
        failed bigint NOT NULL DEFAULT 0,
        retried bigint NOT NULL DEFAULT 0,
        dead bigint NOT NULL DEFAULT 0,
        run_ms_sum bigint NOT NULL DEFAULT 0,
        wait_ms_sum bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, bucket, queue, type),
        CONSTRAINT job_metrics_bucket_is_minute CHECK (bucket = date_trunc('minute', bucket))
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE job_metrics`);
    await queryRunner.query(`DROP TABLE dead_letter_jobs`);
    await queryRunner.query(`DROP TABLE jobs`);
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`DROP TABLE tenants`);
  }
}
