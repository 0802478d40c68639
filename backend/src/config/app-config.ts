import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Max, Min, MinLength, Matches } from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?(\d+\.?\d*|\.\d+)$/.test(value.trim()) ? Number(value.trim()) : value;

/**
 * A whole-number variable: parsed from its text, then bounded. The decorators are applied in the
 * order TypeScript applies them when stacked (last first), so errors read as they always have.
 */
function IntSetting(min: number, max?: number): PropertyDecorator {
  const stacked = [Transform(toInt), IsInt(), Min(min), ...(max === undefined ? [] : [Max(max)])];
  const lastFirst = stacked.reverse();
  return (target, key) => {
    for (const decorator of lastFirst) decorator(target, key);
  };
}

/**
 * Every environment variable Conveyor reads, validated once at start-up by loadConfig().
 * Defaults live here and in .env.example; keep the two in step.
 */
export class AppConfig {
  @IntSetting(0, 65535)
  PORT: number = 8000;

  /** Unset: the launcher starts an embedded PostgreSQL under DATA_DIR/pg. */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsString()
  @MinLength(1)
  DATA_DIR: string = './.data';

  @IntSetting(0, 64)
  WORKER_PROCESSES: number = 2;

  @IntSetting(1, 1000)
  WORKER_CONCURRENCY: number = 5;

  /**
   * Most jobs a worker process claims ahead of its free slots, held under its lease until a slot
   * frees. The worker prefetches only as many as its handlers' average run time lets start within
   * ~20 ms, so this matters for short jobs only; 0 turns prefetching off.
   */
  @IntSetting(0, 1000)
  WORKER_PREFETCH: number = 500;

  /**
   * Port of a worker's own GET /metrics (claim and run durations, jobs in hand, Node defaults);
   * 0: none. One per worker process, so give each process on a host its own.
   */
  @IntSetting(0, 65535)
  WORKER_METRICS_PORT: number = 0;

  /**
   * A worker whose claim has waited on the database longer than this answers 503 on its /health
   * (served on WORKER_METRICS_PORT), so an orchestrator restarts it.
   */
  @IntSetting(1, 3600)
  WORKER_STALL_SECONDS: number = 60;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Seconds a stopping worker lets running jobs finish before it aborts and releases them. */
  @IntSetting(0, 3600)
  SHUTDOWN_GRACE_SECONDS: number = 25;

  /** A claimed job's lease; heartbeats renew it every third of this. */
  @IntSetting(1, 3600)
  LEASE_SECONDS: number = 30;

  /** Retry delay = BACKOFF_BASE_MS · 2^attempt with jitter, capped at BACKOFF_MAX_MS. */
  @IntSetting(1)
  BACKOFF_BASE_MS: number = 1000;

  @IntSetting(1)
  BACKOFF_MAX_MS: number = 3_600_000;

  /** Safety-net poll of an idle worker; NOTIFY normally wakes it at once. */
  @IntSetting(10)
  POLL_INTERVAL_MS: number = 2000;

  /** How often the (single, cluster-wide) rescuer looks for expired leases. */
  @IntSetting(10)
  RESCUE_INTERVAL_MS: number = 5000;

  /**
   * How often the (single, cluster-wide) promoter makes due jobs runnable: scheduled ones and
   * retries whose backoff is over. A delayed job starts at most about this long after it is due.
   */
  @IntSetting(10)
  PROMOTE_INTERVAL_MS: number = 250;

  /**
   * Completed and cancelled jobs older than this are deleted (dead ones stay in the DLQ); so are
   * the per-minute metrics. A fraction is allowed (0.25: six hours; 0.0001: under nine seconds),
   * for queues whose finished jobs are of no use for long.
   */
  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.00001)
  RETENTION_DAYS: number = 7;

  /** How often the (single, cluster-wide) pruner deletes finished jobs past retention. */
  @IntSetting(10)
  PRUNE_INTERVAL_MS: number = 60_000;

  /** How often the (single, cluster-wide) roller folds job transitions into counters and metrics. */
  @IntSetting(10)
  METRICS_ROLL_INTERVAL_MS: number = 1000;

  /** Largest JSON request body, in bytes; larger ones get a 413. */
  @IntSetting(1024)
  MAX_BODY_BYTES: number = 1_048_576;

  /** Largest file uploaded with an `analyze` job, in bytes; larger ones get a 413. */
  @IntSetting(1024)
  UPLOAD_MAX_BYTES: number = 10_485_760;

  /** Origins allowed to call the API from a browser: comma-separated, `*` for any; empty: none (same origin only). */
  @IsString()
  CORS_ORIGINS: string = '';

  /** A tenant's sustained request rate; a tenant's own rate_limit_per_second overrides it. */
  @IntSetting(1)
  RATE_LIMIT_PER_SECOND: number = 100;

  /** A tenant's burst: at most RATE_LIMIT_PER_SECOND × T + this many requests in any T seconds. */
  @IntSetting(1)
  RATE_LIMIT_BURST: number = 200;

  /** The window of the per-room frame budget: under load a room gets EVENTS_FRAMES_PER_FLUSH frames per this many ms. */
  @IntSetting(1, 10_000)
  EVENTS_FLUSH_MS: number = 100;

  /** Frames a socket room may get per EVENTS_FLUSH_MS (1: strictly one frame per window). */
  @IntSetting(1, 100)
  EVENTS_FRAMES_PER_FLUSH: number = 5;

  /**
   * Live-event connections one API key may hold open on one API replica, socket.io sockets, /ws
   * sockets and SSE streams together; one more is refused (connect_error, close code 4429, 429).
   */
  @IntSetting(1, 100_000)
  EVENTS_MAX_SOCKETS_PER_KEY: number = 50;

  /**
   * Job events each API process keeps, numbered, for SSE clients reconnecting with Last-Event-ID
   * (~300 bytes each); an older id gets a resync. 0: no replay.
   */
  @IntSetting(0, 1_000_000)
  EVENTS_REPLAY_EVENTS: number = 10_000;

  /** SSE streams get a comment and /ws sockets a ping this often, so proxies keep idle ones open; a /ws socket that misses a pong is cut. */
  @IntSetting(1, 300)
  EVENTS_HEARTBEAT_SECONDS: number = 15;

  /** Jobs one socket may follow at once (`subscribe { job_id }`); a dashboard follows one per open page. */
  @IntSetting(1, 10_000)
  EVENTS_MAX_SUBSCRIPTIONS_PER_SOCKET: number = 100;

  /** DLQ retry/discard by filter acts on at most this many entries per request, then says how many remain. */
  @IntSetting(1, 1_000_000)
  DLQ_BULK_MAX_PER_CALL: number = 5_000;

  /** Bytes of uploaded files one tenant may keep stored (files go with their jobs when pruned); 413 beyond. */
  @IntSetting(0)
  TENANT_FILE_QUOTA_BYTES: number = 1_073_741_824;

  /** Queue names one tenant may use at once (each costs counter and metrics rows); 400 beyond. */
  @IntSetting(1, 100_000)
  MAX_QUEUES_PER_TENANT: number = 100;

  /**
   * When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; empty: open to anyone who
   * can reach the port (keep it off the public internet, or set this).
   */
  @IsString()
  @Matches(/^\S*$/, { message: 'METRICS_TOKEN must not contain whitespace (it is sent as a Bearer token)' })
  METRICS_TOKEN: string = '';

  /** The built dashboard served at `/` by the API process; empty disables it. */
  @IsString()
  DASHBOARD_DIR: string = './frontend/dist';

  // Observability: the workers registry, job lifecycle logs, tracing.

  /** How often a worker refreshes its row in the workers registry (GET /api/v1/workers). */
  @IntSetting(1, 300)
  WORKERS_HEARTBEAT_SECONDS: number = 5;
  /** A worker not seen for this long is not live (conveyor_workers) and its row is pruned. */
  @IntSetting(2, 3600)
  WORKERS_STALE_SECONDS: number = 30;
  /**
   * Level of the per-transition job log lines (received, started, failed, retry scheduled,
   * completed, dead, cancelled); `off` drops them. See docs/observability.md for their cost.
   */
  @IsIn(['info', 'debug', 'off'])
  JOB_LOG_LEVEL: 'info' | 'debug' | 'off' = 'info';
  /**
   * Received, started and completed lines one process writes per second at most; beyond, they
   * are counted in one `suppressed` line a second (failures, retries, deaths and cancellations
   * are always written). 0: no limit.
   */
  @IntSetting(0)
  JOB_LOG_ROUTINE_PER_SECOND: number = 200;
  /**
   * OpenTelemetry traces go to this OTLP/HTTP endpoint (e.g. http://otel-collector:4318);
   * empty: tracing off. OTEL_SERVICE_NAME and the SDK's other OTEL_* variables apply too.
   */
  @IsString()
  @Matches(/^(https?:\/\/\S+)?$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s):// URL' })
  OTEL_EXPORTER_OTLP_ENDPOINT: string = '';
  // --- Unauthenticated callers and API statements (see SECURITY.md) ---

  /**
   * Failed authentications (unknown or revoked keys) one client address may make per
   * AUTH_FAILURE_WINDOW_SECONDS; beyond it the address gets 429 until the window ends (keys this
   * replica already knows still work). Counted per API replica, in memory.
   */
  @IntSetting(1, 1_000_000)
  AUTH_FAILURE_LIMIT: number = 20;

  @IntSetting(1, 86_400)
  AUTH_FAILURE_WINDOW_SECONDS: number = 60;

  /**
   * statement_timeout of the API process's database sessions: a statement running longer is
   * cancelled and its request answered 503 with Retry-After; 0 turns it off. The worker's
   * sessions are not affected.
   */
  @IntSetting(0, 3_600_000)
  API_STATEMENT_TIMEOUT_MS: number = 5_000;

  // --- Job time limits (see docs/job-limits.md) ---

  /**
   * The longest a job's attempt may run: a request's timeout_ms above it is a 400, and each job
   * type's default time limit is capped by it. A timed-out attempt fails (retry, then the DLQ).
   */
  @IntSetting(1_000, 86_400_000)
  JOB_TIMEOUT_MAX_MS: number = 3_600_000;

  // --- Fair share of the fleet (docs/fairness.md) ---

  /**
   * While another tenant has jobs ready, no tenant holds more than this fraction of the live
   * fleet's slots (the summed WORKER_CONCURRENCY of live workers), at least one slot; a tenant
   * alone may use them all. 1 turns the rule off; a tenant's max_concurrency applies as well.
   */
  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(1)
  TENANT_MAX_SHARE: number = 0.5;
}

/** Older names still accepted, mapped to the current one when the current one is unset. */
export const CONFIG_ALIASES: Readonly<Record<string, keyof AppConfig>> = Object.freeze({
  CONCURRENCY_LIMIT: 'WORKER_CONCURRENCY',
});
