import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedDatabase, type EmbeddedDatabaseHandle } from '../src/database/embedded/embedded-database';

declare global {
  var __CONVEYOR_TEST_PG__: { handle: EmbeddedDatabaseHandle; dir: string } | undefined;
}

/**
 * One PostgreSQL server for the whole run: DATABASE_URL's when set, else an embedded one in a
 * temp directory (world-traversable, since as root PostgreSQL runs as the `postgres` user).
 * Each test file then makes its own database on it (support/test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'conveyor-test-'));
  await chmod(dir, 0o755); // mkdtemp makes it 0700
  const handle = await new EmbeddedDatabase(dir).open();
  globalThis.__CONVEYOR_TEST_PG__ = { handle, dir };
  process.env.TEST_ADMIN_DATABASE_URL = handle.url;
}
