import { type Server } from 'node:http';
import { hostname } from 'node:os';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { type Pool } from 'pg';
import { AppConfig } from '../config/app-config';
import { createPgPool } from '../database/pg-pool';
import { JOB_HANDLERS } from '../handlers/handler-registry';
import { JobLifecycleLog } from '../logging/job-lifecycle';
import { JobQueue } from '../queue/job-queue';
import { QueueNotificationListener } from '../queue/queue-notification-listener';
import { MetricsToken } from '../metrics/metrics-token';
import { jobFileReader } from './job-file-reader';
import { APP_VERSION } from '../workers/app-version';
import { Maintenance } from './maintenance';
import { type ProbeResult, serveWorkerHttp, WorkerMetrics, type WorkerProbes } from './worker-metrics';
import { WorkerRegistry } from './worker-registry';
import { FleetShare } from './fleet-share';
import { WorkerRuntime } from './worker-runtime';

/** A readiness ping that gets no answer within this is a failed one (a probe must not hang). */
const READY_PING_TIMEOUT_MS = 2_000;

/** Wires the runtime, the NOTIFY listener and the rescuer to one pg pool for this process. */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown, WorkerProbes {
  private readonly logger = new Logger('Worker');
  readonly workerId = `${hostname()}:${process.pid}`;
  private readonly pool: Pool;
  private readonly runtime: WorkerRuntime;
  private readonly listener: QueueNotificationListener;
  private readonly maintenance: Maintenance;
  private readonly registry: WorkerRegistry;
  private readonly fleetShare: FleetShare;
  private readonly metrics?: WorkerMetrics;
  private metricsServer?: Server;

  constructor(
    private readonly config: AppConfig,
    pino: PinoLogger,
  ) {
    const lifecycle = new JobLifecycleLog(
      pino.logger,
      config.JOB_LOG_LEVEL,
      config.JOB_LOG_ROUTINE_PER_SECOND,
    );
    const url = config.DATABASE_URL!;
    this.pool = createPgPool(url, 'conveyor-worker', Math.min(20, config.WORKER_CONCURRENCY + 4), true);
    this.pool.on('error', (error) => this.logger.warn(`idle pool client error: ${error.message}`));
    const queue = new JobQueue(this.pool);
    const backoff = { baseMs: config.BACKOFF_BASE_MS, maxMs: config.BACKOFF_MAX_MS };
    if (config.WORKER_METRICS_PORT > 0) this.metrics = new WorkerMetrics(() => this.runtime.inHand());
    this.runtime = new WorkerRuntime(
      queue,
      JOB_HANDLERS,
      {
        workerId: this.workerId,
        concurrency: config.WORKER_CONCURRENCY,
        prefetch: config.WORKER_PREFETCH,
        tenantSlots: () => this.fleetShare.tenantSlots(),
        leaseSeconds: config.LEASE_SECONDS,
        pollIntervalMs: config.POLL_INTERVAL_MS,
        backoff,
        timeoutMaxMs: config.JOB_TIMEOUT_MAX_MS,
      },
      this.logger,
      (tenantId) => jobFileReader(this.pool, tenantId),
      this.metrics,
      lifecycle,
    );
    this.listener = new QueueNotificationListener(
      url,
      {
        onJobReady: (tenantId) => this.runtime.wake(tenantId),
        onJobCancelled: (id) => this.runtime.cancel(id),
      },
      (error) => this.logger.warn(`LISTEN connection: ${error.message}`),
    );
    this.maintenance = new Maintenance(
      queue,
      {
        rescueIntervalMs: config.RESCUE_INTERVAL_MS,
        promoteIntervalMs: config.PROMOTE_INTERVAL_MS,
        pruneIntervalMs: config.PRUNE_INTERVAL_MS,
        rollIntervalMs: config.METRICS_ROLL_INTERVAL_MS,
        retentionDays: config.RETENTION_DAYS,
        backoff,
        workersStaleSeconds: config.WORKERS_STALE_SECONDS,
        workersPruneIntervalMs: config.WORKERS_HEARTBEAT_SECONDS * 1000,
      },
      this.logger,
      this.metrics,
      lifecycle,
    );
    this.registry = new WorkerRegistry(
      this.pool,
      {
        id: this.workerId,
        host: hostname(),
        pid: process.pid,
        version: APP_VERSION,
        concurrency: config.WORKER_CONCURRENCY,
      },
      () => {
        const { running, prefetched, unwritten } = this.runtime.inHand();
        return running + prefetched + unwritten;
      },
      { heartbeatSeconds: config.WORKERS_HEARTBEAT_SECONDS, staleSeconds: config.WORKERS_STALE_SECONDS },
      this.logger,
    );
    this.fleetShare = new FleetShare(
      this.pool,
      {
        share: config.TENANT_MAX_SHARE,
        selfId: this.workerId,
        selfConcurrency: config.WORKER_CONCURRENCY,
        staleSeconds: config.WORKERS_STALE_SECONDS,
        refreshSeconds: config.WORKERS_HEARTBEAT_SECONDS,
      },
      this.logger,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // First: a port in use stops the process before it has claimed anything (PortInUseError).
    if (this.metrics) {
      const port = this.config.WORKER_METRICS_PORT;
      const token = new MetricsToken(this.config.METRICS_TOKEN);
      this.metricsServer = await serveWorkerHttp(this.metrics, this, port, token);
      this.logger.log(`Worker metrics at http://0.0.0.0:${port}/metrics (and /health, /ready)`);
    }
    // Not awaited: the listener retries until the database answers, and Nest must finish
    // starting meanwhile (until then its logs stay buffered and the process looks silent).
    void this.listener.start();
    this.runtime.start();
    this.maintenance.start();
    // The fleet is first read once this worker's own row is in: of two workers starting together,
    // the second to read then counts the first, where both reading first would each see a fleet of one.
    void this.registry.start().then(() => this.fleetShare.start());
    this.logger.log(`Worker ${this.workerId} running (concurrency ${this.config.WORKER_CONCURRENCY})`);
  }

  /**
   * Liveness: the claim loop is running (or draining) and not stuck in a claim for longer than
   * WORKER_STALL_SECONDS. A database that refuses connections does not fail it: the loop backs off
   * and retries, and restarting the worker would not bring the database back.
   */
  health(): ProbeResult {
    const loop = this.runtime.loopHealth();
    const details = { state: loop.state, last_tick_ms_ago: loop.lastTickMsAgo };
    if (loop.state === 'starting' || loop.state === 'stopped')
      return { ok: false, reason: `worker ${loop.state}`, ...details };
    if (loop.waitingMs > this.config.WORKER_STALL_SECONDS * 1000)
      return {
        ok: false,
        reason: `claim loop stalled: a claim has waited ${loop.waitingMs} ms on the database`,
        ...details,
      };
    return { ok: true, ...details };
  }

  /** Readiness: claiming (not starting or draining) and the database answers. */
  async ready(): Promise<ProbeResult> {
    const { state } = this.runtime.loopHealth();
    if (state !== 'running') return { ok: false, reason: state === 'starting' ? 'starting' : 'draining' };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`database did not answer within ${READY_PING_TIMEOUT_MS} ms`)),
        READY_PING_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.pool.query('SELECT 1'), timeout]);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `database unreachable: ${(error as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop(this.config.SHUTDOWN_GRACE_SECONDS * 1000);
    await this.maintenance.stop();
    await this.registry.stop();
    await this.fleetShare.stop();
    await this.listener.stop();
    await this.pool.end();
    await new Promise((resolve) =>
      this.metricsServer ? this.metricsServer.close(resolve) : resolve(undefined),
    );
  }
}
