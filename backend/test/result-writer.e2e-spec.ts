import { Pool } from 'pg';
import { JobQueue } from '../src/queue/job-queue';
import { type Outcome, ResultWriter } from '../src/worker/result-writer';
import { jobFactory } from './support/job-factory';
import { createTestDatabase, type TestDatabase } from './support/test-database';

describe('the result writer on a real PostgreSQL', () => {
  let db: TestDatabase;
  let pool: Pool;
  let queue: JobQueue;
  let tenant: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
    queue = new JobQueue(pool);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('acme') RETURNING id`,
    );
    tenant = rows[0].id;
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /** A writer for worker w1, recording what it reports. */
  const writer = () => {
    const errors: Array<{ what: string; code?: string }> = [];
    const written: string[] = [];
    const dropped: string[] = [];
    const instance = new ResultWriter(
      queue,
      'w1',
      (what, error) => errors.push({ what, code: (error as { code?: string }).code }),
      { written: (o: Outcome) => written.push(o.id), notApplied: (o: Outcome) => dropped.push(o.id) },
    );
    return { instance, errors, written, dropped };
  };

  const claimed = async (count: number): Promise<string[]> => {
    await queue.insertMany(jobFactory.many(tenant, count));
    return (await queue.claim('w1', count, 30)).map((job) => job.id);
  };

  it('writes the outcomes that arrive while a write is in flight together, each reported', async () => {
    const ids = await claimed(3);
    const { instance, errors, written } = writer();
    await Promise.all(ids.map((id) => instance.push({ kind: 'complete', id, result: { ok: true } })));
    expect(errors).toEqual([]);
    expect(written.sort()).toEqual([...ids].sort());
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM jobs WHERE status = 'completed' AND id = ANY($1)`,
      [ids],
    );
    expect(rows).toEqual([{ n: 3 }]);
  });

  it('gives up at once on a write PostgreSQL refuses for its content, instead of retrying it', async () => {
    const [id] = await claimed(1);
    const { instance, errors, dropped } = writer();
    // jsonb refuses \u0000 (22P05): the same statement would fail on every retry.
    await instance.push({ kind: 'complete', id, result: { text: 'a\u0000b' } });
    expect(errors).toEqual([{ what: 'giving up on 1 outcome(s)', code: '22P05' }]);
    expect(dropped).toEqual([id]);
    expect(instance.unwritten).toBe(0);
    // Still running under w1's lease: the rescuer decides once it runs out.
    const { rows } = await pool.query(`SELECT status, lease_owner FROM jobs WHERE id = $1`, [id]);
    expect(rows).toEqual([{ status: 'running', lease_owner: 'w1' }]);
  });

  it('writes the rest of a group one outcome spoils, and gives up on that one alone', async () => {
    const [first, ...rest] = await claimed(4);
    const [good, bad, alsoGood] = rest;
    const { instance, errors, written, dropped } = writer();
    // The first goes alone (the writer is idle); the next three wait for it and go as one group.
    await Promise.all([
      instance.push({ kind: 'complete', id: first, result: 1 }),
      instance.push({ kind: 'complete', id: good, result: 2 }),
      instance.push({ kind: 'complete', id: bad, result: { text: 'a\u0000b' } }),
      instance.push({ kind: 'complete', id: alsoGood, result: 3 }),
    ]);
    expect(errors).toEqual([{ what: 'giving up on 1 outcome(s)', code: '22P05' }]);
    expect(dropped).toEqual([bad]);
    expect(written.sort()).toEqual([first, good, alsoGood].sort());
    const { rows } = await pool.query(`SELECT id, status FROM jobs WHERE id = ANY($1) ORDER BY status`, [
      [first, good, bad, alsoGood],
    ]);
    expect(rows.filter((row) => row.status === 'completed')).toHaveLength(3);
    expect(rows.find((row) => row.id === bad)).toEqual({ id: bad, status: 'running' });
  });
});
