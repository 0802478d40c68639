import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrateUp } from '../../src/database/migrator';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url)
    throw new Error('TEST_ADMIN_DATABASE_URL is unset: run the tests through jest (globalSetup sets it)');
  return url;
}

async function asAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Drops a test database. pg's Pool.end() resolves once its clients have sent their goodbye, not
 * once their server processes have gone: DROP … WITH (FORCE) right away could kill one still
 * closing, whose client then raises an unhandled 57P01 in the test file. So this waits (up to
 * 2 s) for the database's sessions to end by themselves, and forces only what stays.
 */
async function dropDatabase(name: string): Promise<void> {
  await asAdmin(async (client) => {
    const deadline = Date.now() + 2_000;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
      if (rows[0].n === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/** A fresh database per test file, so files run in parallel without seeing each other's rows. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `conveyor_test_${randomBytes(5).toString('hex')}`;
  await asAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const database: TestDatabase = {
    url: url.toString(),
    name,
    drop: () => dropDatabase(name),
  };
  if (options.migrate ?? true) await migrateUp(database.url);
  return database;
}

export async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}
