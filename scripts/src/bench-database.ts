import { Client } from 'pg';
import { loadConfigOrExit } from '../../backend/src/common/process-lifecycle';
import { openDatabaseTarget, type DatabaseTarget } from '../../backend/src/launcher/database-target';
import { sleep } from './bench-stats';

export interface BenchDatabase {
  /** The scratch database's URL (not migrated: a benchmark that needs the schema migrates it). */
  url: string;
  /** The server the scratch database lives on: DATABASE_URL's, or the embedded one. */
  target: DatabaseTarget;
  /** A connection to the server's own database (for its process ids, say). */
  admin: Client;
  /** Drops the scratch database and lets go of the server (stops the embedded one if started). */
  drop(): Promise<void>;
}

/**
 * A benchmark's scratch database, named `name`, made afresh on DATABASE_URL's server or the
 * embedded PostgreSQL: dropped first if a previous run left it behind.
 */
export async function openBenchDatabase(name: string): Promise<BenchDatabase> {
  const config = loadConfigOrExit();
  const target = await openDatabaseTarget(config, (m) => console.error(m));
  const admin = new Client({ connectionString: target.url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(target.url);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    target,
    admin,
    async drop() {
      // A client's end() resolves once it has said goodbye, not once its server process is gone:
      // a forced drop at once can cut a session still closing, and its client then raises an
      // error (unhandled on a pool without a listener, it ended the process with exit code 1).
      const deadline = Date.now() + 2_000;
      while (Date.now() < deadline) {
        const { rows } = await admin.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
          [name],
        );
        if (rows[0].n === 0) break;
        await sleep(20);
      }
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
      await target.release();
    },
  };
}
