import { Pool } from 'pg';
import { JobQueue } from '../src/queue/job-queue';
import { type Outcome, ResultWriter } from '../src/worker/result-writer';
import { jobFactory } from './support/job-factory';
import { waitUntil } from './support/processes';
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
      { baseMs: 60_000, maxMs: 60_000 },
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
    await Promise.all(
      ids.map((id) => instance.push({ kind: 'complete', id, result: { ok: true }, attempt: 1 })),
    );
    expect(errors).toEqual([]);
    expect(written.sort()).toEqual([...ids].sort());
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM jobs WHERE status = 'completed' AND id = ANY($1)`,
      [ids],
    );
    expect(rows).toEqual([{ n: 3 }]);
  });

  it('fails the attempt of a job whose result PostgreSQL refuses, saying why, instead of retrying the write or leaving it to the rescuer', async () => {
    const [id] = await claimed(1);
    const { instance, errors, written, dropped } = writer();
    // jsonb refuses \u0000 (22P05): the same statement would fail on every retry.
    await instance.push({ kind: 'complete', id, result: { text: 'a\u0000b' }, attempt: 1 });
    expect(errors).toEqual([{ what: `failing job ${id}: its result could not be stored`, code: '22P05' }]);
    expect(written).toEqual([id]);
    expect(dropped).toEqual([]);
    expect(instance.unwritten).toBe(0);
    const { rows } = await pool.query<{ status: string; last_error: string; retry_in_s: number }>(
      `SELECT status, last_error, extract(epoch FROM run_at - now())::float8 AS retry_in_s FROM jobs WHERE id = $1`,
      [id],
    );
    expect(rows[0].status).toBe('failed');
    expect(rows[0].last_error).toMatch(
      /^the job's result could not be stored: unsupported Unicode escape sequence/,
    );
    // The attempt's backoff (capped at 60 s, half of it jittered: 30-60 s), as after a handler's throw.
    expect(rows[0].retry_in_s).toBeGreaterThan(25);
  });

  it('writes the rest of a group one outcome spoils, and fails that one alone', async () => {
    const [first, ...rest] = await claimed(4);
    const [good, bad, alsoGood] = rest;
    const { instance, errors, written, dropped } = writer();
    // The first goes alone (the writer is idle); the next three wait for it and go as one group.
    await Promise.all([
      instance.push({ kind: 'complete', id: first, result: 1, attempt: 1 }),
      instance.push({ kind: 'complete', id: good, result: 2, attempt: 1 }),
      instance.push({ kind: 'complete', id: bad, result: { text: 'a\u0000b' }, attempt: 1 }),
      instance.push({ kind: 'complete', id: alsoGood, result: 3, attempt: 1 }),
    ]);
    expect(errors).toEqual([{ what: `failing job ${bad}: its result could not be stored`, code: '22P05' }]);
    expect(dropped).toEqual([]);
    expect(written.sort()).toEqual([first, good, bad, alsoGood].sort());
    const { rows } = await pool.query(`SELECT id, status FROM jobs WHERE id = ANY($1) ORDER BY status`, [
      [first, good, bad, alsoGood],
    ]);
    expect(rows.filter((row) => row.status === 'completed')).toHaveLength(3);
    expect(rows.find((row) => row.id === bad)).toEqual({ id: bad, status: 'failed' });
  });

  it('retries the outcome a passing failure held back, and fails the one whose result is refused, from the same group', async () => {
    const [first, locked, bad] = await claimed(3);
    // The writer's statements give up after 300 ms: a held row lock makes its release time out
    // (57014, a passing failure), while the other outcome of the same group is refused (22P05).
    const impatient = new Pool({ connectionString: db.url, max: 2, options: '-c statement_timeout=300' });
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE', [locked]);
      const errors: Array<{ what: string; code?: string }> = [];
      const instance = new ResultWriter(
        new JobQueue(impatient),
        'w1',
        (what, error) => errors.push({ what, code: (error as { code?: string }).code }),
        { baseMs: 60_000, maxMs: 60_000 },
      );
      // The first goes alone; the next two wait for it and go as one group.
      const done = Promise.all([
        instance.push({ kind: 'complete', id: first, result: 1, attempt: 1 }),
        instance.push({ kind: 'release', id: locked }),
        instance.push({ kind: 'complete', id: bad, result: { text: 'a\u0000b' }, attempt: 1 }),
      ]);
      await waitUntil(
        'the release is retried',
        () => errors.some((e) => e.what.startsWith('retrying')),
        10_000,
        20,
      );
      await holder.query('COMMIT');
      await done;
      expect(errors).toEqual([
        { what: `failing job ${bad}: its result could not be stored`, code: '22P05' },
        { what: 'retrying 1 outcome(s) in 100 ms', code: '57014' },
      ]);
      const { rows } = await pool.query(`SELECT id, status FROM jobs WHERE id = ANY($1)`, [
        [first, locked, bad],
      ]);
      expect(Object.fromEntries(rows.map((row) => [row.id, row.status]))).toEqual({
        [first]: 'completed',
        [locked]: 'pending',
        [bad]: 'failed',
      });
    } finally {
      holder.release();
      await impatient.end();
    }
  });
});
