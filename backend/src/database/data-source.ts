import { DataSource } from 'typeorm';
import { loadConfig } from '../config/load-config';
import { dataSourceOptions } from './data-source-options';

/**
 * For the TypeORM CLI only (`npx typeorm-ts-node-commonjs migration:show -d backend/src/database/data-source.ts`);
 * it needs DATABASE_URL. The app, the launcher and the tests build their own DataSource.
 */
const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('The TypeORM CLI needs DATABASE_URL');
export default new DataSource(dataSourceOptions(config.DATABASE_URL));
