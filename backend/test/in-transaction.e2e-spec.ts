import { Pool } from 'pg';
import { inTransaction } from '../src/database/in-transaction';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/** A real PostgreSQL whose backend is terminated under a transaction, as a restart does. */
describe('inTransaction when the server goes away', () => {
  let db: TestDatabase;
  let pool: Pool;
  let admin: Pool;
  const idleErrors: Error[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
    pool.on('error', (error) => idleErrors.push(error));
    admin = new Pool({ connectionString: db.url, max: 1 });
  });
  afterAll(async () => {
    await pool.end();
    await admin.end();
    await db.drop();
  });

  const terminate = (pid: number) => admin.query('SELECT pg_terminate_backend($1)', [pid]);
  const backendPid = async (client: { query: Pool['query'] }) =>
    (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

  it('rejects, without an unhandled error event, when the connection dies between statements', async () => {
    const uncaught: Error[] = [];
    const onUncaught = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = inTransaction(pool, async ({ client }) => {
        await terminate(await backendPid(client));
        // The server's goodbye arrives while no statement is in flight: the client's 'error'.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await client.query('SELECT 1');
      });
      await expect(outcome).rejects.toThrow(/terminat|not queryable/);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });

  it('rejects a statement in flight when its connection dies, and discards that connection', async () => {
    let pid = 0;
    await expect(
      inTransaction(pool, async ({ client }) => {
        pid = await backendPid(client);
        await Promise.all([client.query('SELECT pg_sleep(5)'), terminate(pid)]);
      }),
    ).rejects.toThrow(/terminat/);
    // The pool hands out a working connection, not the dead one.
    const next = await inTransaction(pool, async ({ client }) => backendPid(client));
    expect(next).not.toBe(pid);
    expect(idleErrors).toEqual([]);
  });
});
