import { countActiveApiKeys, issueApiKey } from '../auth/credentials';
import { createPgPool } from '../database/pg-pool';

export const DEFAULT_TENANT = 'default';

/**
 * On a database without any usable API key, creates the `default` tenant and an admin key and
 * returns the key (it is shown once and never stored). Returns undefined when a key exists.
 */
export async function ensureFirstApiKey(url: string): Promise<string | undefined> {
  const pool = createPgPool(url, 'conveyor-launcher', 1, false);
  try {
    if ((await countActiveApiKeys(pool)) > 0) return undefined;
    const issued = await issueApiKey(pool, {
      tenantName: DEFAULT_TENANT,
      role: 'admin',
      keyName: 'first start',
    });
    return issued.key;
  } finally {
    await pool.end();
  }
}
