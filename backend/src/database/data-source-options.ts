import { type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { ApiKeyEntity } from '../auth/api-key.entity';
import { TenantEntity } from '../auth/tenant.entity';

export const ENTITIES = [TenantEntity, ApiKeyEntity];

export interface PoolOptions {
  /** Connections this process may hold; PostgreSQL's own max_connections is the shared limit. */
  max?: number;
  applicationName?: string;
}

export function dataSourceOptions(url: string, pool: PoolOptions = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
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
