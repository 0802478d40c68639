import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The API's per-tenant rate-limit windows (rate-limiter-flexible's RateLimiterPostgres), kept in
 * PostgreSQL so that every API replica draws from the same bucket. The columns are exactly the
 * library's own `CREATE TABLE` (key, points used in the window, expire in epoch ms); the limiter
 * runs with `tableCreated: true`, so the schema is owned here and the API never runs DDL.
 * A tenant's row is rewritten on every window chunk it takes (once per request when this was
 * written; see TenantRateLimiter): fillfactor leaves room on the page for those updates to stay
 * HOT, so the primary key does not bloat under a flood.
 */
export class RateLimitBuckets1764200000000 implements MigrationInterface {
  name = 'RateLimitBuckets1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE rate_limit_buckets (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      ) WITH (fillfactor = 50)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE rate_limit_buckets`);
  }
}
