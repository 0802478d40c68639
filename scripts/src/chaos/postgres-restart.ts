import { io, type Socket } from 'socket.io-client';
import { migrateUp } from '../../../backend/src/database/migrator';
import {
  type ChaosContext,
  type Findings,
  type HttpResult,
  type Proc,
  createTenant,
  http,
  jsonInit,
  runScenario,
  sleep,
  sql,
  startApi,
  startWorker,
  stop,
  ThrowawayPostgres,
  waitUntil,
} from './harness';

export interface PostgresRestartOptions {
  /** How long the database stays down. */
  downMs: number;
  /** Load before the stop and after the start. */
  beforeMs: number;
  afterMs: number;
  /** Concurrent submitting clients. */
  clients: number;
}

export const POSTGRES_RESTART_FULL: PostgresRestartOptions = {
  downMs: 10_000,
  beforeMs: 5_000,
  afterMs: 15_000,
  clients: 8,
};

/** Without an answer in this long a request counts as hung. */
const HANG_MS = 10_000;
/** The database is back: /ready, the workers and both LISTEN connections must be too, within this. */
const BACK_WITHIN_MS = 5_000;

interface Timed {
  at: number;
  result: HttpResult;
}

/**
 * PostgreSQL restart: a throwaway server of the scenario's own is stopped (`pg_ctl stop -m fast`)
 * while clients submit jobs and a socket follows the tenant's events, then started again.
 * While it is down /ready answers 503 and a submission 503 with Retry-After (never a 500, a reset
 * or a hang); within 5 s of its return /ready is 200 and a job submitted then is claimed at once
 * and its events reach the socket (the worker polls once a minute here, so only its LISTEN can
 * wake it, and only the API's LISTEN can forward the events); every job acknowledged with a 2xx
 * exists afterwards and completes.
 */
export function postgresRestart(_context: ChaosContext, options: PostgresRestartOptions): Promise<Findings> {
  return runScenario('PostgreSQL restart', async (findings, cleanup) => {
    const postgres = await ThrowawayPostgres.start();
    cleanup.push(() => postgres.destroy());
    const url = postgres.url;
    await migrateUp(url);
    const tenant = await createTenant(url, 'restart');
    const api = await startApi(url);
    cleanup.push(() => stop(api));
    const workerEnv = { WORKER_CONCURRENCY: '10', POLL_INTERVAL_MS: '60000', LEASE_SECONDS: '10' };
    const workers = [startWorker(url, workerEnv), startWorker(url, workerEnv)];
    cleanup.push(() => Promise.all(workers.map((worker) => stop(worker))));

    const framesFor = new Map<string, string[]>();
    let resyncs = 0;
    const socket: Socket = io(`${api.base}/events`, {
      auth: { token: tenant.key },
      transports: ['websocket'],
    });
    cleanup.push(() => socket.close());
    socket.on('events', (batch: Array<{ job_id: string; type: string }>) => {
      for (const event of batch)
        framesFor.set(event.job_id, [...(framesFor.get(event.job_id) ?? []), event.type]);
    });
    socket.on('resync', () => resyncs++);
    await waitUntil('the socket connects', () => socket.connected, 10_000);

    const submissions: Timed[] = [];
    const readiness: Timed[] = [];
    const acknowledged = new Set<string>();
    let running = true;
    const submitter = async (): Promise<void> => {
      while (running) {
        const at = Date.now();
        const result = await http(`${api.base}/api/v1/jobs`, {
          ...jsonInit(tenant.bearer, { type: 'sleep', payload: { seconds: 0.05 } }),
          timeoutMs: HANG_MS,
        });
        submissions.push({ at, result });
        if (result.status === 201) acknowledged.add((result.body as { id: string }).id);
        await sleep(50);
      }
    };
    const prober = async (): Promise<void> => {
      while (running) {
        const at = Date.now();
        readiness.push({ at, result: await http(`${api.base}/ready`, { timeoutMs: HANG_MS }) });
        await sleep(200);
      }
    };
    const load = [...Array.from({ length: options.clients }, submitter), prober()];

    await sleep(options.beforeMs);
    const stopping = Date.now();
    await postgres.down();
    const down = Date.now();
    await sleep(options.downMs);
    const starting = Date.now();
    await postgres.up();
    const up = Date.now();

    // A job submitted once the database has been back for BACK_WITHIN_MS.
    await sleep(Math.max(0, up + BACK_WITHIN_MS - Date.now()));
    const probe = await http(`${api.base}/api/v1/jobs`, {
      ...jsonInit(tenant.bearer, { type: 'sleep', payload: { seconds: 0 } }),
      timeoutMs: HANG_MS,
    });
    const probeId = probe.status === 201 ? (probe.body as { id: string }).id : undefined;
    const probeSent = Date.now();
    let probeEventMs = -1;
    if (probeId) {
      await waitUntil(
        'the probe job completes and its event arrives',
        () => framesFor.get(probeId)?.includes('job.completed') ?? false,
        10_000,
        20,
      ).then(
        () => (probeEventMs = Date.now() - probeSent),
        () => undefined,
      );
    }
    await sleep(Math.max(0, up + options.afterMs - Date.now()));
    running = false;
    await Promise.all(load);

    await waitUntil(
      'every acknowledged job has finished',
      async () =>
        Number(
          (
            await sql<{ n: string }>(
              url,
              `SELECT count(*) AS n FROM jobs WHERE status NOT IN ('completed', 'dead', 'cancelled')`,
            )
          )[0].n,
        ) === 0,
      60_000,
      250,
    ).catch(() => undefined);
    const rows = await sql<{ id: string; status: string }>(url, `SELECT id, status FROM jobs`);
    const status = new Map(rows.map((row) => [row.id, row.status]));
    const lost = [...acknowledged].filter((id) => !status.has(id));
    const unfinished = [...acknowledged].filter((id) => status.has(id) && status.get(id) !== 'completed');

    const whileDown = (t: Timed): boolean => t.at >= down && t.at + t.result.ms <= starting;
    const downSubmissions = submissions.filter(whileDown);
    const refusedWell = downSubmissions.filter(
      (t) => t.result.status === 503 && t.result.headers.get('retry-after'),
    );
    const badAnswers = submissions.filter(
      (t) =>
        t.result.status === 0 ||
        (t.result.status >= 500 && !(t.result.status === 503 && t.result.headers.get('retry-after'))),
    );
    const readyDown = readiness.filter(whileDown);
    const readyBackAt = readiness.find((t) => t.at >= up && t.result.status === 200);
    const readyBackMs = readyBackAt ? Math.round(readyBackAt.at + readyBackAt.result.ms - up) : -1;
    const probeRow = probeId
      ? (
          await sql<{ pickup_ms: number }>(
            url,
            `SELECT extract(epoch FROM (started_at - created_at)) * 1000 AS pickup_ms FROM jobs WHERE id = $1`,
            [probeId],
          )
        )[0]
      : undefined;
    const statuses = (list: Timed[]): string => {
      const counts = new Map<string, number>();
      for (const t of list) {
        const key = t.result.status === 0 ? `no answer (${t.result.error})` : String(t.result.status);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].map(([key, n]) => `${key}×${n}`).join(' ');
    };

    findings.set('database stop took (ms)', down - stopping);
    findings.set('database down (ms)', starting - down);
    findings.set('database start took (ms)', up - starting);
    findings.set('requests (submissions)', submissions.length);
    findings.set('submissions by status', statuses(submissions));
    findings.set('submissions while down', statuses(downSubmissions));
    findings.set('/ready while down', statuses(readyDown));
    findings.set('/ready back after (ms)', readyBackMs);
    findings.set('jobs acknowledged (2xx)', acknowledged.size);
    findings.set('probe pickup (ms)', probeRow ? Math.round(Number(probeRow.pickup_ms)) : -1);
    findings.set('probe event on the socket after (ms)', probeEventMs);
    findings.set('socket resyncs', resyncs);
    findings.set('lost', lost.length);
    findings.set('acknowledged but not completed', unfinished.length);
    findings.set('5xx other than 503 + Retry-After, resets, hangs', badAnswers.length);

    findings.expect(
      downSubmissions.length > 0 && refusedWell.length === downSubmissions.length,
      `submissions while the database was down were not all 503 with Retry-After: ${statuses(downSubmissions)}`,
    );
    findings.expect(
      badAnswers.length === 0,
      `answers other than 2xx/4xx/503+Retry-After: ${statuses(badAnswers)}; e.g. ${JSON.stringify(badAnswers.slice(0, 2).map((t) => t.result.body ?? t.result.error))}`,
    );
    findings.expect(
      readyDown.length > 0 && readyDown.every((t) => t.result.status === 503),
      `/ready while down: ${statuses(readyDown)}`,
    );
    findings.expect(
      readyBackMs >= 0 && readyBackMs <= BACK_WITHIN_MS,
      `/ready was not 200 within ${BACK_WITHIN_MS} ms of the database (${readyBackMs} ms)`,
    );
    findings.expect(
      probe.status === 201,
      `a submission ${BACK_WITHIN_MS} ms after the database returned answered ${probe.status} ${probe.error ?? ''}`,
    );
    // The worker polls once a minute here: a quick pickup means its LISTEN connection is back.
    findings.expect(
      probeRow !== undefined && Number(probeRow.pickup_ms) < 1_000,
      `the probe job waited ${probeRow?.pickup_ms} ms for a worker: its LISTEN is not back`,
    );
    findings.expect(
      probeEventMs >= 0,
      "the probe job's events never reached the socket: the API's LISTEN is not back",
    );
    findings.expect(lost.length === 0, `${lost.length} acknowledged jobs are missing`);
    findings.expect(unfinished.length === 0, `${unfinished.length} acknowledged jobs did not complete`);
    const processes = new Map<string, Proc>([['the API', api]]);
    workers.forEach((worker, i) => processes.set(`worker ${i + 1}`, worker));
    for (const [name, proc] of processes)
      findings.expect(
        proc.alive(),
        `a process died with the database: ${name} (exit ${proc.child.exitCode ?? proc.child.signalCode}), its last output:\n${proc.tail().slice(-3_000)}`,
      );
  });
}
