import request from 'supertest';
import { createApiApp, initApiApp, type ApiApplication } from '../../src/app/api-app';
import { displayPrefix, generateApiKey, hashApiKey } from '../../src/auth/api-key-secret';
import { type ApiKeyRole } from '../../src/auth/api-key-role';
import { loadConfig } from '../../src/config/load-config';
import { DatabaseConnector } from '../../src/database/database-connector';
import { query } from './test-database';

/**
 * The real API application on a test database, initialised (not listening: supertest drives it).
 * Rate limits are raised out of the way unless a test sets them: tests fire requests faster than
 * the defaults allow.
 */
export async function startApi(
  databaseUrl: string,
  overrides: Record<string, string> = {},
): Promise<ApiApplication> {
  const { app } = await createApiApp(
    loadConfig({
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      DASHBOARD_DIR: '',
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '200000',
      ...overrides,
    }),
  );
  await initApiApp(app);
  await app.get(DatabaseConnector).connected();
  return app;
}

export interface TestCaller {
  tenantId: string;
  keyId: string;
  key: string;
  /** `Authorization` header value. */
  bearer: string;
}

/** A tenant (created if new) and a fresh API key for it, written straight to the database. */
export async function createCaller(
  databaseUrl: string,
  tenantName: string,
  role: ApiKeyRole = 'tenant',
): Promise<TestCaller> {
  const [tenant] = await query<{ id: string }>(
    databaseUrl,
    `INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [tenantName],
  );
  const key = generateApiKey();
  const [row] = await query<{ id: string }>(
    databaseUrl,
    `INSERT INTO api_keys (tenant_id, key_hash, prefix, role) VALUES ($1, $2, $3, $4) RETURNING id`,
    [tenant.id, hashApiKey(key), displayPrefix(key), role],
  );
  return { tenantId: tenant.id, keyId: row.id, key, bearer: `Bearer ${key}` };
}

/** Submits one job as `caller` through the API (which must answer 201) and gives its id. */
export async function submitJob(app: ApiApplication, caller: TestCaller, body: object): Promise<string> {
  const response = await request(app.getHttpServer())
    .post('/api/v1/jobs')
    .set('Authorization', caller.bearer)
    .send(body)
    .expect(201);
  return response.body.id;
}

/** Two tenants, acme and globex, and an admin (tenant "operators"): whose events each may see. */
export async function createEventCallers(
  databaseUrl: string,
): Promise<{ acme: TestCaller; globex: TestCaller; admin: TestCaller }> {
  return {
    acme: await createCaller(databaseUrl, 'acme'),
    globex: await createCaller(databaseUrl, 'globex'),
    admin: await createCaller(databaseUrl, 'operators', 'admin'),
  };
}
