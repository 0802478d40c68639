import { DataSource } from 'typeorm';
import { countActiveApiKeys, issueApiKey } from '../auth/credentials';
import { dataSourceOptions } from '../database/data-source-options';

export const DEFAULT_TENANT = 'default';

/**
 * On a database without any usable API key, creates the `default` tenant and an admin key and
 * returns the key (it is shown once and never stored). Returns undefined when a key exists.
 */
export async function ensureFirstApiKey(url: string): Promise<string | undefined> {
  const dataSource = await new DataSource(
    dataSourceOptions(url, { max: 1, applicationName: 'conveyor-launcher' }),
  ).initialize();
  try {
    if ((await countActiveApiKeys(dataSource)) > 0) return undefined;
    const issued = await issueApiKey(dataSource, {
      tenantName: DEFAULT_TENANT,
      role: 'admin',
      keyName: 'first start',
    });
    return issued.key;
  } finally {
    await dataSource.destroy();
  }
}
