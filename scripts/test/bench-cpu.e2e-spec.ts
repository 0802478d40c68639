import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../backend/test/support/test-database';
import { waitUntil } from '../../backend/test/support/processes';
import { cpuSecondsOfPid, postgresPids, startServerCpuMeter } from '../src/bench-cpu';

/**
 * The benchmark's meter of a whole PostgreSQL server's CPU, on the test server (it runs on this
 * machine): a backend that ends during the metered phase counts only what it used in it.
 */
describe("the PostgreSQL server's CPU meter", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db.drop());

  const connect = async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return { client, pid: rows[0].pid };
  };
  const burn = (client: Client, rows: number) =>
    client.query('SELECT sum(i) FROM generate_series(1, $1::int) i', [rows]);
  const gone = (pid: number) =>
    waitUntil(`backend ${pid} to exit`, () => cpuSecondsOfPid(pid) === undefined, 10_000);

  it("counts a backend's CPU within the phase, not what one that ends in it used before", async () => {
    const meterClient = await connect();
    try {
      expect((await postgresPids(meterClient.client)).length).toBeGreaterThan(0);
      // A long-lived backend, another client's, busy before the phase and ending in it.
      const old = await connect();
      await burn(old.client, 20_000_000);
      const usedBefore = cpuSecondsOfPid(old.pid)!;
      expect(usedBefore).toBeGreaterThan(1);

      const meter = await startServerCpuMeter(meterClient.client);
      await old.client.end();
      await gone(old.pid);
      // A backend that comes and goes within the phase counts in full.
      const brief = await connect();
      await burn(brief.client, 3_000_000);
      const briefUsed = cpuSecondsOfPid(brief.pid)!;
      await brief.client.end();
      await gone(brief.pid);
      const total = (await meter.stop())!;

      expect(total).toBeGreaterThanOrEqual(briefUsed * 0.9);
      // Counted with its past it would be usedBefore and more; the phase lasted well under a second.
      expect(total).toBeLessThan(usedBefore - 0.5);
    } finally {
      await meterClient.client.end();
    }
  });

  it('counts backends that exit as the meter stops', async () => {
    const meterClient = await connect();
    try {
      for (let round = 0; round < 5; round++) {
        const meter = await startServerCpuMeter(meterClient.client);
        const clients = await Promise.all([1, 2, 3, 4].map(() => connect()));
        await Promise.all(clients.map(({ client }) => burn(client, 2_000_000)));
        const used = clients.reduce((sum, { pid }) => sum + cpuSecondsOfPid(pid)!, 0);
        // Not waiting for them to exit: the meter stops while the server reaps them.
        await Promise.all(clients.map(({ client }) => client.end()));
        const total = (await meter.stop())!;
        expect(total).toBeGreaterThanOrEqual(used * 0.9);
      }
    } finally {
      await meterClient.client.end();
    }
  });
});
