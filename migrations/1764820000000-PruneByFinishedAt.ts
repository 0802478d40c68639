import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The pruner takes the oldest finished jobs past retention (jobPruneFinished: completed or
 * cancelled, `finished_at` older than RETENTION_DAYS, oldest first, 1,000 a batch). No index read
 * `finished_at`, so every batch, and every run that found nothing to delete, read the whole
 * table and sorted it: 465-512 ms at 1,000,000 jobs, once a minute and once per batch of 1,000.
 * This index makes a batch a short range scan (2 ms; nothing due: 0.2 ms). Completions append at
 * its right edge, and drains with and without it did not differ beyond noise
 * (docs/storage.md).
 *
 * Built CONCURRENTLY, so that an existing jobs table keeps taking writes meanwhile; that cannot
 * run inside a transaction, hence `transaction = false`.
 */
export class PruneByFinishedAt1764820000000 implements MigrationInterface {
  name = 'PruneByFinishedAt1764820000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_finished_idx
         ON jobs (finished_at) WHERE status IN ('completed', 'cancelled')`,
    );
  }

  /** Plain DROP INDEX: TypeORM reverts inside a transaction whatever `transaction` says. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS jobs_finished_idx`);
  }
}
