import { createServer, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { apiErrorBody } from '../common/api-error';
import { PortInUseError } from '../common/process-lifecycle';
import { type MetricsToken } from '../metrics/metrics-token';
import { type MaintenanceObserver } from './maintenance';
import { type JobsInHand, type RunOutcome, type RuntimeObserver } from './runtime-observer';

/** Claims from a warm index take ~1-10 ms; a run from well under 1 ms to minutes. */
const CLAIM_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const RUN_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

/**
 * A worker process's own Prometheus metrics: the claim and run durations only it sees (the API's
 * /metrics has the cluster-wide counts and per-minute rollups). A registry of its own, so that a
 * process that also runs the API (tests) keeps the two apart.
 */
export class WorkerMetrics implements RuntimeObserver, MaintenanceObserver {
  readonly registry = new Registry();
  private readonly claimSeconds: Histogram;
  private readonly claimedJobs: Counter;
  private readonly runSeconds: Histogram<'type' | 'outcome'>;
  private readonly rescuedJobs: Counter<'outcome'>;

  constructor(inHand: () => JobsInHand) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.claimSeconds = new Histogram({
      name: 'conveyor_worker_claim_duration_seconds',
      help: 'Round trip of one claim statement (SELECT … FOR UPDATE SKIP LOCKED and the lease update)',
      buckets: CLAIM_BUCKETS,
      registers,
    });
    this.claimedJobs = new Counter({
      name: 'conveyor_worker_claimed_jobs_total',
      help: 'Jobs this worker claimed',
      registers,
    });
    // By type (a fixed set) and outcome, not by queue: queue names are the tenants' to choose,
    // and every label set would live in this process for good.
    this.runSeconds = new Histogram({
      name: 'conveyor_worker_run_duration_seconds',
      help: "Handler run time of this worker's jobs that reached an outcome",
      labelNames: ['type', 'outcome'],
      buckets: RUN_BUCKETS,
      registers,
    });
    // Counted by whichever worker held the rescuer's lock: sum it over the fleet.
    this.rescuedJobs = new Counter({
      name: 'conveyor_worker_rescued_jobs_total',
      help: 'Running jobs whose lease expired (their worker died or hung), returned by this worker as the rescuer: retried, or dead when out of attempts',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['retried', 'dead']) this.rescuedJobs.inc({ outcome }, 0);
    new Gauge({
      name: 'conveyor_worker_jobs',
      help: 'Jobs this worker holds: running, prefetched (claimed, waiting for a slot), unwritten (done, outcome being written)',
      labelNames: ['state'],
      registers,
      collect() {
        for (const [state, count] of Object.entries(inHand())) this.set({ state }, count);
      },
    });
  }

  claimed(seconds: number, jobs: number): void {
    this.claimSeconds.observe(seconds);
    this.claimedJobs.inc(jobs);
  }

  ran(type: string, seconds: number, outcome: RunOutcome): void {
    this.runSeconds.observe({ type, outcome }, seconds);
  }

  rescued(retried: number, dead: number): void {
    this.rescuedJobs.inc({ outcome: 'retried' }, retried);
    this.rescuedJobs.inc({ outcome: 'dead' }, dead);
  }
}

/** A probe's verdict: 200 with `{ status: ok }`, or 503 with the reason. */
export interface ProbeResult {
  ok: boolean;
  reason?: string;
  [detail: string]: unknown;
}

/** What the worker answers /health (liveness) and /ready (readiness) with. */
export interface WorkerProbes {
  health(): ProbeResult;
  ready(): Promise<ProbeResult>;
}

/**
 * Serves a worker's HTTP port (every interface, for Prometheus and the orchestrator in other
 * containers): GET /health and /ready open to all, as probes carry no token and say nothing about
 * tenants; GET /metrics behind METRICS_TOKEN when one is set; anything else is a 404. Resolves
 * once it listens.
 */
export async function serveWorkerHttp(
  metrics: WorkerMetrics,
  probes: WorkerProbes,
  port: number,
  token: MetricsToken,
): Promise<Server> {
  const server = createServer((req, res) => {
    const route = req.method === 'GET' ? req.url?.split('?')[0] : undefined;
    if (route === '/health') return answerProbe(res, probes.health());
    if (route === '/ready')
      return void probes.ready().then(
        (result) => answerProbe(res, result),
        (error: Error) => answerProbe(res, { ok: false, reason: error.message }),
      );
    if (route !== '/metrics')
      return answerError(res, 404, 'Only GET /metrics, /health and /ready are served here');
    const refusal = token.refusal(req.headers.authorization);
    if (refusal) return answerError(res, 401, refusal);
    metrics.registry.metrics().then(
      (text) =>
        res
          .writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' })
          .end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'WORKER_METRICS_PORT') : error),
    );
    server.listen(port, () => resolve());
  });
  return server;
}

function answerProbe(res: ServerResponse, { ok, ...details }: ProbeResult): void {
  const body = JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...details });
  res
    .writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
    .end(body);
}

/** The API's error shape, for the few answers this server gives besides the metrics. */
function answerError(res: ServerResponse, statusCode: number, message: string): void {
  res
    .writeHead(statusCode, { 'Content-Type': 'application/json' })
    .end(JSON.stringify(apiErrorBody(statusCode, message)));
}
