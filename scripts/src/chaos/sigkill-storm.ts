import { hostname } from 'node:os';
import {
  type ChaosContext,
  type Findings,
  type Proc,
  http,
  jsonInit,
  runScenario,
  seededRandom,
  sleep,
  sql,
  stage,
  startWorker,
  stop,
  waitUntil,
} from './harness';

export interface SigkillStormOptions {
  jobs: number;
  workers: number;
  concurrency: number;
  killEveryMs: number;
  /** Short, so leases of killed workers expire and are rescued within the run. */
  leaseSeconds: number;
  seed: number;
  timeoutMs: number;
}

export const SIGKILL_STORM_FULL: SigkillStormOptions = {
  jobs: 50_000,
  workers: 4,
  concurrency: 50,
  killEveryMs: 2_000,
  leaseSeconds: 3,
  seed: 1,
  timeoutMs: 20 * 60_000,
};

const BATCH = 1_000;
const RESCUE_ERROR = 'lease expired%';

/**
 * The job mix: short sleeps, jobs that always fail (they must end dead after their attempts),
 * and `report` jobs that report progress four times over a second and fail one time in five.
 * Attempts stay at most 8, under the 20 errors a job keeps, so every attempt's error is countable.
 */
function jobAt(index: number, random: () => number): Record<string, unknown> {
  const roll = random();
  if (roll < 0.1) return { type: 'fail', payload: { reason: `chaos ${index}` }, max_attempts: 3 };
  if (roll < 0.25)
    return { type: 'report', payload: { report: `r${index}`, failure_rate: 0.2 }, max_attempts: 8 };
  return { type: 'sleep', payload: { seconds: Math.round(random() * 100) / 1000 }, max_attempts: 8 };
}

interface JobRow {
  id: string;
  type: string;
  status: string;
  attempts: number;
  max_attempts: number;
  leased: boolean;
  errors: number;
  rescues: number;
}

/**
 * SIGKILL storm: jobs are submitted through the API while a random worker process is SIGKILLed
 * every `killEveryMs` and restarted at once. Afterwards every acknowledged job exists and ended
 * completed or dead, none is running or leased, and each attempt is accounted for: a completed
 * job's attempts = its recorded errors + 1, a dead one's = its errors = max_attempts, where each
 * error is either the handler's own failure or a rescue of an expired lease (a sleep job has no
 * failure of its own, so all its errors must be rescues).
 */
export function sigkillStorm(context: ChaosContext, options: SigkillStormOptions): Promise<Findings> {
  return runScenario('SIGKILL storm', async (findings, cleanup) => {
    const random = seededRandom(options.seed);
    const { database, tenants, api } = await stage(context, cleanup, { storm: {} });
    const { storm: tenant } = tenants;

    const workerEnv = {
      WORKER_CONCURRENCY: String(options.concurrency),
      WORKER_PREFETCH: String(options.concurrency),
      LEASE_SECONDS: String(options.leaseSeconds),
      RESCUE_INTERVAL_MS: '500',
      BACKOFF_BASE_MS: '50',
      BACKOFF_MAX_MS: '1000',
      POLL_INTERVAL_MS: '500',
      SHUTDOWN_GRACE_SECONDS: '10',
    };
    const workers: Proc[] = Array.from({ length: options.workers }, () =>
      startWorker(database.url, workerEnv),
    );
    cleanup.push(() => Promise.all(workers.map((worker) => stop(worker))));

    const acknowledged = new Set<string>();
    let submitErrors = 0;
    let submitting = true;
    const submitter = (async () => {
      for (let sent = 0; sent < options.jobs; sent += BATCH) {
        const jobs = Array.from({ length: Math.min(BATCH, options.jobs - sent) }, (_, i) =>
          jobAt(sent + i, random),
        );
        const result = await http(`${api.base}/api/v1/jobs/batch`, {
          ...jsonInit(tenant.bearer, { jobs }),
          timeoutMs: 60_000,
        });
        if (result.status !== 201) {
          submitErrors++;
          context.log(
            `batch refused: ${result.status} ${result.error ?? JSON.stringify(result.body).slice(0, 300)}`,
          );
          continue;
        }
        for (const job of (result.body as { jobs: Array<{ id: string }> }).jobs) acknowledged.add(job.id);
      }
      submitting = false;
    })();

    const unfinished = async (): Promise<number> =>
      Number(
        (
          await sql<{ n: string }>(
            database.url,
            `SELECT count(*) AS n FROM jobs WHERE status NOT IN ('completed', 'dead')`,
          )
        )[0].n,
      );
    let kills = 0;
    let heldByKilled = 0;
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      await sleep(options.killEveryMs);
      if (!submitting && (await unfinished()) === 0) break;
      if (Date.now() > deadline) {
        findings.expect(
          false,
          `jobs still unfinished after ${options.timeoutMs / 1000} s: ${await unfinished()}`,
        );
        break;
      }
      const index = Math.floor(random() * workers.length);
      const victim = workers[index];
      victim.signal('SIGKILL');
      await victim.exited;
      kills++;
      // Its leases stay in place until they expire: count what it held when it died.
      const [{ n }] = await sql<{ n: string }>(
        database.url,
        `SELECT count(*) AS n FROM jobs WHERE status = 'running' AND lease_owner = $1`,
        [`${hostname()}:${victim.pid}`],
      );
      heldByKilled += Number(n);
      workers[index] = startWorker(database.url, workerEnv);
    }
    await submitter;

    // A clean stop of the survivors: each must exit 0 having released what it held. A worker
    // restarted a moment ago may still be booting (its signal handlers not yet installed), so
    // each is stopped once it has registered itself in the workers registry.
    const exits = await Promise.all(
      workers.map(async (worker) => {
        await waitUntil(
          `worker ${worker.pid} is registered`,
          async () =>
            (await sql(database.url, `SELECT 1 FROM workers WHERE pid = $1`, [worker.pid])).length > 0,
          60_000,
          250,
        ).catch(() => undefined);
        await stop(worker);
        const { code, signal } = await worker.exited;
        return code ?? signal;
      }),
    );

    const rows = await sql<JobRow>(
      database.url,
      `SELECT id, type, status, attempts, max_attempts, lease_owner IS NOT NULL AS leased,
              jsonb_array_length(errors) AS errors,
              (SELECT count(*) FROM jsonb_array_elements(errors) e WHERE e->>'error' LIKE $1)::int AS rescues
       FROM jobs`,
      [RESCUE_ERROR],
    );
    const present = new Set(rows.map((row) => row.id));
    const lost = [...acknowledged].filter((id) => !present.has(id));
    const notFinished = rows.filter((row) => row.status !== 'completed' && row.status !== 'dead');
    const leased = rows.filter((row) => row.leased);
    const unexplained = rows.filter((row) => {
      const own = row.errors - row.rescues;
      if (row.type === 'sleep' && own > 0) return true;
      if (row.status === 'completed') return row.attempts !== row.errors + 1;
      if (row.status === 'dead') return row.attempts !== row.errors || row.attempts !== row.max_attempts;
      return false;
    });
    const [{ n: dlq }] = await sql<{ n: string }>(
      database.url,
      `SELECT count(*) AS n FROM dead_letter_jobs d JOIN jobs j ON j.id = d.job_id WHERE j.status = 'dead'`,
    );
    const rescues = rows.reduce((sum, row) => sum + row.rescues, 0);
    const dead = rows.filter((row) => row.status === 'dead');

    findings.set('jobs submitted', options.jobs);
    findings.set('jobs acknowledged (2xx)', acknowledged.size);
    findings.set('worker processes', options.workers);
    findings.set('kills (SIGKILL)', kills);
    findings.set('restarts', kills);
    findings.set('completed', rows.filter((row) => row.status === 'completed').length);
    findings.set('dead', dead.length);
    findings.set('dead of type fail', dead.filter((row) => row.type === 'fail').length);
    findings.set(
      'attempts',
      rows.reduce((sum, row) => sum + row.attempts, 0),
    );
    findings.set('jobs held by killed workers', heldByKilled);
    findings.set('rescues (expired leases)', rescues);
    // Above zero only when a live worker's heartbeat came too late for its lease (a loaded host).
    findings.set('rescues beyond what killed workers held', Math.max(0, rescues - heldByKilled));
    findings.set('lost', lost.length);
    findings.set('left unfinished', notFinished.length);
    findings.set('left leased', leased.length);
    findings.set('attempts unexplained', unexplained.length);

    findings.expect(submitErrors === 0, `${submitErrors} batch submissions were refused`);
    findings.expect(
      acknowledged.size === options.jobs,
      `acknowledged ${acknowledged.size} of ${options.jobs} jobs`,
    );
    findings.expect(
      lost.length === 0,
      `${lost.length} acknowledged jobs are missing, e.g. ${lost.slice(0, 3).join(', ')}`,
    );
    findings.expect(
      notFinished.length === 0,
      `${notFinished.length} jobs ended neither completed nor dead, e.g. ${JSON.stringify(notFinished.slice(0, 3))}`,
    );
    findings.expect(leased.length === 0, `${leased.length} jobs still hold a lease`);
    findings.expect(
      unexplained.length === 0,
      `${unexplained.length} jobs have attempts no failure or expired lease explains, e.g. ${JSON.stringify(unexplained.slice(0, 3))}`,
    );
    findings.expect(Number(dlq) === dead.length, `${dead.length} dead jobs but ${dlq} of them in the DLQ`);
    findings.expect(
      rows.filter((row) => row.type === 'fail' && row.status !== 'dead').length === 0,
      'a job that always fails ended other than dead',
    );
    // A storm that never caught a worker holding a job tested nothing.
    findings.expect(
      kills > 0 && heldByKilled > 0 && rescues > 0,
      'no kill caught a worker holding jobs: nothing was rescued',
    );
    findings.expect(
      exits.every((code) => code === 0),
      `surviving workers exited with ${exits.join(', ')} on SIGTERM`,
    );
  });
}
