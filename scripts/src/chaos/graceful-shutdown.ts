import {
  type ChaosContext,
  type Findings,
  type HttpResult,
  http,
  jsonInit,
  runScenario,
  sleep,
  sql,
  stage,
  startWorkers,
  workersRegistered,
} from './harness';

export interface GracefulShutdownOptions {
  workers: number;
  clients: number;
  /** Jobs per submitted batch: big enough that a request is still in flight at the SIGTERM. */
  batch: number;
  loadMs: number;
  graceSeconds: number;
  /** The API must have exited this long after its SIGTERM (else it is SIGKILLed and the run fails). */
  apiExitWithinMs: number;
}

export const GRACEFUL_SHUTDOWN_FULL: GracefulShutdownOptions = {
  workers: 4,
  clients: 16,
  batch: 200,
  loadMs: 15_000,
  graceSeconds: 5,
  apiExitWithinMs: 10_000,
};

/**
 * A request counts as in flight at the SIGTERM when it was sent at least this long before it
 * (so the server has read it) and was not answered yet. One sent at the very instant may meet a
 * keep-alive connection the server is closing, which no client can tell from a refusal.
 */
const SENT_BEFORE_MS = 20;

interface Sent {
  at: number;
  result: HttpResult;
}

/**
 * Graceful shutdown under load: clients submit batches while workers run short jobs and jobs
 * longer than the shutdown grace; then the API and every worker get SIGTERM at once. Requests in
 * flight at that moment are answered (no reset), every acknowledged job exists, each process exits
 * 0, and afterwards no job is running or leased: each finished, or was released back to pending
 * with its attempt not counted (attempts = 0), and none needed a rescue of an expired lease.
 */
export function gracefulShutdown(context: ChaosContext, options: GracefulShutdownOptions): Promise<Findings> {
  return runScenario('graceful shutdown under load', async (findings, cleanup) => {
    const { database, tenants, api } = await stage(context, cleanup, { graceful: {} });
    const { graceful: tenant } = tenants;
    const workerEnv = {
      WORKER_CONCURRENCY: '20',
      LEASE_SECONDS: '30',
      SHUTDOWN_GRACE_SECONDS: String(options.graceSeconds),
    };
    const workers = startWorkers(database.url, cleanup, options.workers, workerEnv);
    // A worker still booting has no SIGTERM handler yet: the load starts once all are registered.
    await workersRegistered(database.url, workers.length, 120_000, 250);

    const sent: Sent[] = [];
    const acknowledged = new Set<string>();
    /** Requests sent and not answered yet, by when they were sent. */
    const pending = new Map<number, number>();
    let running = true;
    let serial = 0;
    const client = async (): Promise<void> => {
      while (running) {
        // One job in ten outlives the grace: its worker must release it, not drop it.
        const jobs = Array.from({ length: options.batch }, () =>
          serial++ % 10 === 0
            ? { type: 'sleep', payload: { seconds: options.graceSeconds * 3 } }
            : { type: 'sleep', payload: { seconds: 0.2 } },
        );
        const at = performance.now();
        const request = serial;
        pending.set(request, at);
        const result = await http(`${api.base}/api/v1/jobs/batch`, {
          ...jsonInit(tenant.bearer, { jobs }),
          timeoutMs: 30_000,
        });
        pending.delete(request);
        sent.push({ at, result });
        if (result.status === 201)
          for (const job of (result.body as { jobs: Array<{ id: string }> }).jobs) acknowledged.add(job.id);
        if (result.status === 0) await sleep(50); // refused: the API is going
      }
    };
    const load = Array.from({ length: options.clients }, client);

    await sleep(options.loadMs);
    // The signal goes while a request is being served (sent over SENT_BEFORE_MS ago, unanswered),
    // so that the run always tests one: between two batches every client may be idle.
    const deadline = performance.now() + 5_000;
    while (
      performance.now() < deadline &&
      ![...pending.values()].some((at) => performance.now() - at > SENT_BEFORE_MS + 5)
    )
      await sleep(1);
    const sigterm = performance.now();
    api.signal('SIGTERM');
    for (const worker of workers) worker.signal('SIGTERM');
    const stopped = await Promise.all(
      [api, ...workers].map(async (proc) => {
        const deadline = proc === api ? options.apiExitWithinMs : (options.graceSeconds + 10) * 1000;
        const timer = setTimeout(() => proc.signal('SIGKILL'), deadline);
        const { code, signal } = await proc.exited;
        clearTimeout(timer);
        return { code, signal, ms: Math.round(performance.now() - sigterm) };
      }),
    );
    running = false;
    await Promise.all(load);

    const inFlight = sent.filter((s) => s.at <= sigterm - SENT_BEFORE_MS && s.at + s.result.ms >= sigterm);
    const inFlightUnanswered = inFlight.filter((s) => s.result.status === 0);
    const after = sent.filter((s) => s.at > sigterm - SENT_BEFORE_MS);
    const answeredAfter = after.filter((s) => s.result.status !== 0);
    const errors5xx = sent.filter((s) => s.result.status >= 500);
    const rows = await sql<{
      id: string;
      status: string;
      attempts: number;
      leased: boolean;
      rescues: number;
    }>(
      database.url,
      `SELECT id, status, attempts, lease_owner IS NOT NULL AS leased,
              (SELECT count(*) FROM jsonb_array_elements(errors) e WHERE e->>'error' LIKE 'lease expired%')::int AS rescues
       FROM jobs`,
    );
    const present = new Set(rows.map((row) => row.id));
    const lost = [...acknowledged].filter((id) => !present.has(id));
    const count = (predicate: (row: (typeof rows)[number]) => boolean): number =>
      rows.filter(predicate).length;
    const released = count((row) => row.status === 'pending');
    const [{ n: releasedEvents }] = await sql<{ n: string }>(
      database.url,
      `SELECT count(*) AS n FROM jobs WHERE status = 'pending' AND started_at IS NOT NULL`,
    ).catch(() => [{ n: '?' }]);

    findings.set('requests', sent.length);
    findings.set('requests in flight at SIGTERM', inFlight.length);
    findings.set('of them unanswered (reset)', inFlightUnanswered.length);
    findings.set('requests sent after SIGTERM (refusal allowed)', after.length);
    findings.set('of them answered', answeredAfter.length);
    findings.set('5xx', errors5xx.length);
    findings.set('jobs acknowledged (2xx)', acknowledged.size);
    findings.set(
      'completed',
      count((row) => row.status === 'completed'),
    );
    findings.set('pending afterwards (never started or released)', released);
    findings.set('released after starting', releasedEvents);
    findings.set(
      'left running',
      count((row) => row.status === 'running'),
    );
    findings.set(
      'left leased',
      count((row) => row.leased),
    );
    findings.set(
      'rescued (expired leases)',
      count((row) => row.rescues > 0),
    );
    findings.set('lost', lost.length);
    findings.set(
      'exits (code/signal, ms after SIGTERM)',
      stopped.map((s) => `${s.code ?? s.signal}/${s.ms}`).join(' '),
    );

    findings.expect(inFlight.length > 0, 'no request was in flight at the SIGTERM: nothing was tested');
    findings.expect(
      inFlightUnanswered.length === 0,
      `${inFlightUnanswered.length} requests in flight at the SIGTERM got no answer: ${inFlightUnanswered.map((s) => s.result.error).join(', ')}`,
    );
    findings.expect(errors5xx.length === 0, `${errors5xx.length} answers were 5xx`);
    findings.expect(lost.length === 0, `${lost.length} acknowledged jobs are missing`);
    const [apiExit, ...workerExits] = stopped;
    findings.expect(
      apiExit.code === 0,
      `the API kept serving after its SIGTERM and did not exit within ${options.apiExitWithinMs} ms ` +
        `(${answeredAfter.length} requests answered after the SIGTERM on kept-alive connections; ended by ${apiExit.code ?? apiExit.signal})`,
    );
    findings.expect(
      workerExits.every((s) => s.code === 0),
      `workers did not all exit 0 on SIGTERM: ${workerExits.map((s) => s.code ?? s.signal).join(', ')}`,
    );
    findings.expect(
      count((row) => row.status === 'running' || row.leased) === 0,
      'jobs were left running or leased',
    );
    findings.expect(
      count((row) => row.status !== 'pending' && row.status !== 'completed') === 0,
      `jobs ended other than completed or pending: ${[...new Set(rows.map((row) => row.status))].join(', ')}`,
    );
    findings.expect(
      count((row) => row.status === 'pending' && row.attempts !== 0) === 0,
      'a released job kept the attempt its worker gave back',
    );
    findings.expect(
      count((row) => row.rescues > 0) === 0,
      'a job needed the rescuer: its lease was left to expire',
    );
  });
}
