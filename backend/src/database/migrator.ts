import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

async function withDataSource<T>(url: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = await new DataSource(
    dataSourceOptions(url, { max: 1, applicationName: 'conveyor-migrate' }),
  ).initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Applies every pending migration; returns the names applied. */
export function migrateUp(url: string): Promise<string[]> {
  return withDataSource(url, async (dataSource) => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}

/** Reverts the newest applied migration; returns false when none was applied. */
export function migrateDownOne(url: string): Promise<boolean> {
  return withDataSource(url, async (dataSource) => {
    if ((await appliedCount(dataSource)) === 0) return false;
    await dataSource.undoLastMigration({ transaction: 'each' });
    return true;
  });
}

async function appliedCount(dataSource: DataSource): Promise<number> {
  const exists = await dataSource.query(`SELECT to_regclass('typeorm_migrations') IS NOT NULL AS present`);
  if (!exists[0].present) return 0;
  const rows = await dataSource.query('SELECT count(*)::int AS n FROM typeorm_migrations');
  return rows[0].n as number;
}
