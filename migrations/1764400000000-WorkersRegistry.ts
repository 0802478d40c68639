import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The live fleet: one row per worker process, refreshed by its heartbeat, deleted when it stops
 * cleanly; a row not refreshed within WORKERS_STALE_SECONDS belongs to a dead worker and is pruned
 * by whichever worker holds the maintenance lock. `id` is the worker's lease owner (host:pid), so
 * a running job's lease_owner names its row.
 */
export class WorkersRegistry1764400000000 implements MigrationInterface {
  name = 'WorkersRegistry1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE workers (
        id text PRIMARY KEY,
        host text NOT NULL,
        pid integer NOT NULL,
        version text NOT NULL,
        concurrency integer NOT NULL CHECK (concurrency > 0),
        jobs_in_hand integer NOT NULL DEFAULT 0 CHECK (jobs_in_hand >= 0),
        started_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX workers_last_seen_idx ON workers (last_seen_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE workers`);
  }
}
