import 'reflect-metadata';
import { loadConfigOrExit } from '../../backend/src/common/process-lifecycle';
import { migrateDownOne, migrateUp } from '../../backend/src/database/migrator';
import { openDatabaseTarget } from '../../backend/src/launcher/database-target';

/** `npm run migrate` (apply all pending) and `npm run migrate:revert` (undo the newest). */
async function main(direction: string | undefined): Promise<void> {
  if (direction !== 'up' && direction !== 'down') {
    console.error('Usage: migrate.js up|down');
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const log = (message: string): void => console.log(`[conveyor] ${message}`);
  const target = await openDatabaseTarget(config, log);
  try {
    if (direction === 'up') {
      const applied = await migrateUp(target.url);
      log(
        applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Nothing to apply; the schema is up to date',
      );
    } else {
      log((await migrateDownOne(target.url)) ? 'Reverted the newest migration' : 'No migration to revert');
    }
  } finally {
    await target.release();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(`Migration failed: ${(error as Error).message}`);
  process.exit(1);
});
