import { PRIORITY_RANGE } from '../../../backend/src/queue/job-submission';
import {
  type ChaosContext,
  type Findings,
  http,
  jsonInit,
  percentile,
  runScenario,
  sleep,
  sql,
  stage,
  startWorkers,
  submitBatch,
  waitUntil,
} from './harness';

export interface ScheduledAheadOptions {
  /** Jobs one tenant schedules a year ahead at the lowest priority. */
  scheduled: number;
  /** Jobs another tenant submits one at a time in each phase, timed insert → claim. */
  probes: number;
  /** Absolute slack on the 2× bound, ms; SLACK_MS unless given. */
  slackMs?: number;
}

export const SCHEDULED_AHEAD_FULL: ScheduledAheadOptions = { scheduled: 100_000, probes: 200 };

/**
 * Lowest priority: the claim orders by priority, lowest number first, so these sort last
 * within their tenant (the shape that made every claim walk them when they shared the claim's index).
 */
const LOWEST_PRIORITY = PRIORITY_RANGE;
const BATCH = 1_000;

/**
 * Absolute slack on the 2× bound: pickups at rest take a few milliseconds here, so a timer tick
 * or a scheduler hiccup alone can double one; docs/chaos.md records the figures.
 */
const SLACK_MS = 5;

/**
 * One tenant schedules jobs a year ahead at the lowest priority while another tenant's pickup
 * (insert → claim, on the database clock) is timed, at rest and then beside that backlog. Jobs not
 * yet due are `scheduled`, outside the claim's index (docs/storage.md), so the backlog must not
 * slow anyone's claim: p95 within 2× of rest. None of the scheduled jobs may run, and the counters
 * must hold every one of them.
 */
export function scheduledAhead(context: ChaosContext, options: ScheduledAheadOptions): Promise<Findings> {
  return runScenario('a backlog scheduled a year ahead beside another tenant', async (findings, cleanup) => {
    const { database, tenants, api } = await stage(context, cleanup, {
      hoarder: { ratePerSecond: 10_000, burst: 10_000 },
      victim: { ratePerSecond: 10_000, burst: 10_000 },
    });
    const { hoarder, victim } = tenants;
    startWorkers(database.url, cleanup, 1, { WORKER_CONCURRENCY: '10' });

    /** Submits the probes one at a time and returns their pickups (ms), sorted. */
    const probe = async (phase: string): Promise<number[]> => {
      const ids: string[] = [];
      for (let i = 0; i < options.probes; i++) {
        const result = await http(
          `${api.base}/api/v1/jobs`,
          jsonInit(victim.bearer, { type: 'default', payload: { phase, i, duration_ms: 0 } }),
        );
        if (result.status !== 201) throw new Error(`a probe job answered ${result.status}`);
        ids.push((result.body as { id: string }).id);
        await sleep(20);
      }
      await waitUntil(
        `the ${phase} probes completed`,
        async () =>
          (
            await sql<{ n: number }>(
              database.url,
              `SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1) AND status = 'completed'`,
              [ids],
            )
          )[0].n === ids.length,
        60_000,
        100,
      );
      const rows = await sql<{ ms: number }>(
        database.url,
        `SELECT extract(epoch FROM started_at - created_at) * 1000 AS ms FROM jobs WHERE id = ANY($1)`,
        [ids],
      );
      return rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
    };

    await probe('warm-up');
    const quiet = await probe('quiet');

    const runAt = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const scheduling = Date.now();
    for (let done = 0; done < options.scheduled; done += BATCH) {
      const size = Math.min(BATCH, options.scheduled - done);
      const jobs = Array.from({ length: size }, (_, i) => ({
        type: 'default',
        payload: { n: done + i },
        priority: LOWEST_PRIORITY,
        run_at: runAt,
      }));
      await submitBatch(api, hoarder.bearer, jobs);
    }
    findings.set(
      'scheduled a year ahead (jobs, seconds)',
      `${options.scheduled}, ${((Date.now() - scheduling) / 1000).toFixed(1)}`,
    );
    await sql(database.url, 'ANALYZE jobs');
    const loaded = await probe('beside the backlog');

    const figure = (sorted: number[]) =>
      `${percentile(sorted, 50).toFixed(1)} / ${percentile(sorted, 95).toFixed(1)} / ${percentile(sorted, 99).toFixed(1)}`;
    findings.set('probe jobs per phase', options.probes);
    findings.set('pickup p50 / p95 / p99 ms at rest', figure(quiet));
    findings.set('pickup p50 / p95 / p99 ms beside the backlog', figure(loaded));
    const slackMs = options.slackMs ?? SLACK_MS;
    const bound = Math.max(2 * percentile(quiet, 95), percentile(quiet, 95) + slackMs);
    findings.expect(
      percentile(loaded, 95) <= bound,
      `pickup p95 beside the backlog ${percentile(loaded, 95).toFixed(1)} ms > ${bound.toFixed(1)} ms (2× rest, or rest + ${slackMs} ms)`,
    );

    const [states] = await sql<{ scheduled: number; other: number }>(
      database.url,
      `SELECT count(*) FILTER (WHERE status = 'scheduled')::int AS scheduled,
              count(*) FILTER (WHERE status <> 'scheduled')::int AS other
       FROM jobs WHERE tenant_id = $1`,
      [hoarder.id],
    );
    findings.set("the hoarder's jobs: scheduled / other", `${states.scheduled} / ${states.other}`);
    findings.expect(
      states.scheduled === options.scheduled && states.other === 0,
      `the hoarder's jobs: ${states.scheduled} scheduled, ${states.other} in another state (none may run)`,
    );
    const summary = await http(`${api.base}/api/v1/jobs/metrics/summary`, {
      headers: { authorization: hoarder.bearer },
    });
    const counted = (summary.body as { scheduled_jobs?: number }).scheduled_jobs;
    findings.set("the hoarder's summary: scheduled_jobs", String(counted));
    findings.expect(
      counted === options.scheduled,
      `the summary counts ${counted} scheduled, not ${options.scheduled}`,
    );
  });
}
