import {
  type ChaosContext,
  type Findings,
  http,
  jsonInit,
  runScenario,
  sql,
  stage,
  startWorkers,
  submitBatch,
  waitUntil,
} from './harness';

export interface DlqRedriveOptions {
  /** Jobs that always fail, with one attempt each: all of them end in the DLQ. */
  jobs: number;
  workers: number;
  concurrency: number;
}

export const DLQ_REDRIVE_FULL: DlqRedriveOptions = { jobs: 5_000, workers: 2, concurrency: 50 };

/**
 * A DLQ redrive by filter of jobs that die again at once: workers run the redriven jobs while the
 * request is still going, and each dies again. The request must act on the entries that died
 * before it (each at most once, never chasing the new deaths), answer in bounded time, and say
 * what remains; a second request then takes the jobs that died again, and so on, so the DLQ can
 * always be walked to the end.
 */
export function dlqRedrive(context: ChaosContext, options: DlqRedriveOptions): Promise<Findings> {
  return runScenario('DLQ redrive by filter of jobs that die again', async (findings, cleanup) => {
    const { database, tenants, api } = await stage(context, cleanup, { redriver: {} });
    const { redriver: tenant } = tenants;
    startWorkers(database.url, cleanup, options.workers, {
      WORKER_CONCURRENCY: String(options.concurrency),
      POLL_INTERVAL_MS: '100',
      BACKOFF_BASE_MS: '10',
      BACKOFF_MAX_MS: '20',
    });

    for (let done = 0; done < options.jobs; done += 1_000) {
      const size = Math.min(1_000, options.jobs - done);
      const batch = Array.from({ length: size }, () => ({ type: 'fail', payload: {}, max_attempts: 1 }));
      await submitBatch(api, tenant.bearer, batch);
    }
    const deadCount = async () =>
      Number((await sql<{ n: string }>(database.url, 'SELECT count(*) AS n FROM dead_letter_jobs'))[0].n);
    await waitUntil(
      'every job is in the DLQ',
      async () => (await deadCount()) === options.jobs,
      120_000,
      200,
    );

    const calls: Array<{ count: number; remaining: number; unique: number; ms: number }> = [];
    for (let call = 0; call < 3; call++) {
      const result = await http(`${api.base}/api/v1/jobs/dlq/retry`, {
        ...jsonInit(tenant.bearer, { filter: { type: 'fail' } }),
        timeoutMs: 60_000,
      });
      findings.expect(
        result.status === 200,
        `redrive call ${call + 1} answered ${result.status}${result.error ? ` (${result.error})` : ''}`,
      );
      if (result.status !== 200) break;
      const body = result.body as { count: number; ids: string[]; remaining: number };
      calls.push({
        count: body.count,
        remaining: body.remaining,
        unique: new Set(body.ids).size,
        ms: Math.round(result.ms),
      });
      findings.expect(
        body.ids.length === body.count && new Set(body.ids).size === body.count,
        `call ${call + 1} acted on a job twice`,
      );
      findings.expect(
        body.count <= options.jobs,
        `call ${call + 1} acted on ${body.count} entries, more than the ${options.jobs} that exist`,
      );
      // Let the redriven jobs die again before the next call.
      await waitUntil(
        'the redriven jobs are dead again',
        async () => (await deadCount()) === options.jobs,
        120_000,
        200,
      );
    }
    findings.expect(
      calls.length > 0 && calls[0].count > 0,
      'the first redrive acted on nothing: the check saw nothing',
    );
    findings.set('jobs (all dead, then redriven and dying again)', options.jobs);
    findings.set(
      'calls: count / remaining / ms',
      calls.map((c) => `${c.count}/${c.remaining}/${c.ms}`).join(', '),
    );
    const attempts = await sql<{ max: number }>(
      database.url,
      'SELECT max(jsonb_array_length(errors)) AS max FROM jobs',
    );
    findings.set('most errors on one job', attempts[0].max);
    findings.expect(attempts[0].max <= calls.length + 1, 'a job was redriven more often than the calls made');
  });
}
