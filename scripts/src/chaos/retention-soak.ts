import { ConveyorDatabase } from '../bench/conveyor';
import {
  type ChaosContext,
  type Findings,
  runScenario,
  sleep,
  sql,
  stage,
  startWorkers,
  waitUntil,
} from './harness';

export interface RetentionSoakOptions {
  /** Rounds of submit → drain → prune. */
  cycles: number;
  /** No-op jobs a cycle, in statements of 1,000. */
  jobsPerCycle: number;
}

export const RETENTION_SOAK_FULL: RetentionSoakOptions = { cycles: 12, jobsPerCycle: 50_000 };

/**
 * The largest size of the last two cycles may be this much above the largest of the two before
 * them. The first cycles shape the table (a cycle's live rows, then the space the previous one
 * freed, then the uuid primary key's pages settling half full) and VACUUM's truncation makes the
 * heap swing by a cycle's worth (2.4-3.5 MiB in one run), so single cycles are not compared.
 * Flat here: indexes 4.0, 7.9, 10.4, 10.6, 10.6, 10.7 MiB over 6 cycles of 5,000 jobs; growing by
 * a cycle each time (no vacuum) they went 1.9 → 8.2 MiB in 4.
 */
const GROWTH_ALLOWED = 0.25;

const SIZES_SQL = `
  SELECT pg_relation_size('jobs') AS heap,
         (SELECT sum(pg_relation_size(indexrelid))::bigint FROM pg_index WHERE indrelid = 'jobs'::regclass) AS indexes`;

const mib = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

/**
 * A long run with retention: each cycle submits a batch of jobs, the pruner deletes the previous
 * cycle's (the pruner's own statement, with a retention of 0 days so that a cycle stands for a
 * retention period), a worker drains the new ones, and a VACUUM of jobs runs as autovacuum would.
 * The space pruned must be reused: the jobs table and its indexes stop growing once the first cycles
 * have shaped them (the last two cycles within GROWTH_ALLOWED of the two before), and nothing is
 * left behind.
 */
export function retentionSoak(context: ChaosContext, options: RetentionSoakOptions): Promise<Findings> {
  return runScenario('table and index sizes over a long run with retention', async (findings, cleanup) => {
    const { database, tenants } = await stage(context, cleanup, {
      soak: { ratePerSecond: 100_000, burst: 100_000 },
    });
    startWorkers(database.url, cleanup, 1, { WORKER_CONCURRENCY: '10' });
    const conveyor = ConveyorDatabase.open(database.url);
    cleanup.push(() => conveyor.close());
    // The worker's own pruner (7 days' retention) may hold the pruning lock for a moment: null, try again.
    const pruneFinished = async (): Promise<number> => {
      let pruned = 0;
      for (let batch: number | null = -1; batch !== 0;) {
        batch = await conveyor.queue.pruneFinishedExclusively(0, 1_000);
        if (batch === null) await sleep(50);
        else pruned += batch;
      }
      return pruned;
    };
    const sizes: Array<{ heap: number; indexes: number }> = [];
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      // The previous cycle's jobs go before this cycle's come: the table then holds a cycle's
      // worth, as a retention window does.
      const pruned = await pruneFinished();
      const expected = cycle === 1 ? 0 : options.jobsPerCycle;
      findings.expect(pruned === expected, `cycle ${cycle} pruned ${pruned} of ${expected} jobs`);
      await conveyor.insertBacklog(tenants.soak.id, options.jobsPerCycle);
      await waitUntil(
        `cycle ${cycle} drained`,
        async () =>
          (
            await sql<{ n: number }>(
              database.url,
              `SELECT count(*)::int AS n FROM jobs WHERE status <> 'completed'`,
            )
          )[0].n === 0,
        300_000,
        200,
      );
      // Standing in for autovacuum, whose timing (a pass a minute at most by default, never when
      // off, as on some test servers) a run of minutes cannot count on: the claim is that pruned
      // space is reused, not how soon autovacuum comes by.
      await sql(database.url, 'VACUUM jobs');
      const [size] = await sql<{ heap: string; indexes: string }>(database.url, SIZES_SQL);
      sizes.push({ heap: Number(size.heap), indexes: Number(size.indexes) });
      context.log(
        `cycle ${cycle}: heap ${mib(sizes.at(-1)!.heap)} MiB, indexes ${mib(sizes.at(-1)!.indexes)} MiB`,
      );
    }
    findings.expect((await pruneFinished()) === options.jobsPerCycle, 'the last cycle was not pruned whole');
    const [left] = await sql<{ n: number }>(database.url, `SELECT count(*)::int AS n FROM jobs`);
    findings.expect(left.n === 0, `${left.n} jobs were left after the last prune`);
    findings.set('jobs a cycle', options.jobsPerCycle);
    findings.set('heap MiB by cycle', sizes.map((s) => mib(s.heap)).join(' '));
    findings.set('indexes MiB by cycle', sizes.map((s) => mib(s.indexes)).join(' '));
    findings.expect(sizes.length >= 6, 'a soak needs at least 6 cycles to tell growth from settling');
    if (sizes.length >= 6) {
      const largest = (part: 'heap' | 'indexes', from: number, to: number) =>
        Math.max(...sizes.slice(from, to).map((size) => size[part]));
      for (const part of ['heap', 'indexes'] as const) {
        const before = largest(part, sizes.length - 4, sizes.length - 2);
        const last = largest(part, sizes.length - 2, sizes.length);
        findings.expect(
          last <= before * (1 + GROWTH_ALLOWED),
          `the ${part} grew from ${mib(before)} MiB (cycles ${sizes.length - 3}-${sizes.length - 2}) to ${mib(last)} MiB (the last two)`,
        );
      }
    }
  });
}
