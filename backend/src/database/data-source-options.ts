import { type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';

export interface PoolOptions {
  /** Connections this process may hold; PostgreSQL's own max_connections is the shared limit. */
  max?: number;
  applicationName?: string;
}

/**
 * TypeORM runs the migrations and the background connection check; it maps no entities. Every
 * table is read and written with SQL through pg (docs/architecture.md).
 */
export function dataSourceOptions(url: string, pool: PoolOptions = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: pool.applicationName ?? 'conveyor',
    extra: {
      max: pool.max ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    },
  };
}
