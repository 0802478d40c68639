import { type AppConfig } from '../config/app-config';
import { EmbeddedDatabase } from '../database/embedded/embedded-database';

export interface DatabaseTarget {
  url: string;
  /** Stops the embedded server if this process started it; a no-op otherwise. */
  release(): Promise<void>;
  describe: string;
}

/**
 * DATABASE_URL when set, else the embedded server under DATA_DIR: attached to when `npm start`
 * already runs it, started (and later stopped by release()) when it does not.
 */
export async function openDatabaseTarget(
  config: AppConfig,
  log: (message: string) => void,
): Promise<DatabaseTarget> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, release: async () => undefined, describe: 'DATABASE_URL' };
  }
  const embedded = await new EmbeddedDatabase(config.DATA_DIR, log).open();
  return {
    url: embedded.url,
    release: () => embedded.stop(),
    describe: `embedded PostgreSQL on port ${embedded.port}`,
  };
}
