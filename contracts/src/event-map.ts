/**
 * The live-events contract between the API's socket.io gateway and the dashboard: both import
 * this module (it must stay free of Node and Nest imports), so an event renamed on one side
 * fails to compile on the other (as immich does with its ClientEventMap). The plain transports
 * (a WebSocket at /ws, Server-Sent Events at /api/v1/events) carry the same events under the
 * snake_case names of PLAIN_EVENT_NAMES.
 */

export const EVENTS_NAMESPACE = '/events';

/** The plain WebSocket endpoint: no socket.io client needed. */
export const PLAIN_WEBSOCKET_PATH = '/ws';

/** The Server-Sent Events stream (text/event-stream), under the REST API's auth. */
export const EVENT_STREAM_PATH = '/api/v1/events';

export const JOB_EVENT_TYPES = [
  'job.submitted',
  /** A scheduled job, or a retry past its backoff, became due: now pending. */
  'job.due',
  'job.started',
  'job.progress',
  'job.completed',
  'job.failed',
  'job.retry',
  'job.dead',
  'job.cancelled',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/**
 * The names the plain transports (/ws and the SSE stream) give the job events, one to one: the
 * snake_case names scripts written for simpler job services switch on (`job_dlq` for a job
 * that went to the dead-letter queue).
 */
export const PLAIN_EVENT_NAMES = Object.freeze({
  'job.submitted': 'job_submitted',
  'job.due': 'job_due',
  'job.started': 'job_started',
  'job.progress': 'job_progress',
  'job.completed': 'job_completed',
  'job.failed': 'job_failed',
  'job.retry': 'job_retry',
  'job.dead': 'job_dlq',
  'job.cancelled': 'job_cancelled',
} as const satisfies Record<JobEventType, string>);
export type PlainEventName = (typeof PLAIN_EVENT_NAMES)[JobEventType];

export type JobStatus = 'scheduled' | 'pending' | 'running' | 'failed' | 'completed' | 'dead' | 'cancelled';

/** One job state change. Never carries the payload or the result: fetch the job for those. */
export interface JobEvent {
  type: JobEventType;
  job_id: string;
  tenant_id: string;
  queue: string;
  job_type: string;
  status: JobStatus;
  attempt: number;
  progress: number;
  /** The start of the error, for job.failed / job.retry / job.dead. */
  error: string | null;
  /** When the change was committed (its transaction's start), ISO 8601. */
  at: string;
}

export interface MetricsSummary {
  total_jobs: number;
  /** Due later (run_at ahead); not counted in queue_length. */
  scheduled_jobs: number;
  pending_jobs: number;
  running_jobs: number;
  completed_jobs: number;
  failed_jobs: number;
  dlq_jobs: number;
  cancelled_jobs: number;
  active_jobs: number;
  queue_length: number;
  throughput_per_second: number;
  failure_rate: number;
  completed_per_minute: number;
  failed_per_minute: number;
}

export interface MetricsSummaryEvent {
  type: 'metrics.summary';
  /** null: every tenant (admin sockets watching all). */
  tenant_id: string | null;
  summary: MetricsSummary;
  at: string;
}

export interface ResyncEvent {
  /**
   * Why events may have been missed: refetch what is on screen. `replay-unavailable`: an SSE
   * client's Last-Event-ID is not in this replica's replay window (too old, from another replica
   * or from before a restart).
   */
  reason: 'listener-reconnected' | 'slow-consumer' | 'replay-unavailable';
}

export interface ServerToClientEvents {
  /** Job events, oldest first, batched per room: one frame per EVENTS_FLUSH_MS under load. */
  events: (batch: JobEvent[]) => void;
  'metrics.summary': (event: MetricsSummaryEvent) => void;
  resync: (event: ResyncEvent) => void;
}

export interface SubscribeRequest {
  /** Follow one job (a detail page), on top of the tenant's room. */
  job_id?: string;
  /** Admins: watch one tenant instead of all. */
  tenant_id?: string;
}

export type SubscribeAck = { ok: true } | { ok: false; error: string };

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (result: SubscribeAck) => void) => void;
  unsubscribe: (request: SubscribeRequest, ack: (result: SubscribeAck) => void) => void;
}

/** Handshake: `io(url + EVENTS_NAMESPACE, { auth: { token: apiKey } })`; admins may add `tenant_id`. */
export interface HandshakeAuth {
  token: string;
  tenant_id?: string;
}

/**
 * One message of the plain transports: a WebSocket text message, or the `data:` of an SSE event
 * whose `event:` is the same name. One job event per message; `resync` as on socket.io.
 */
export type PlainJobEventMessage = { event: PlainEventName } & Omit<JobEvent, 'type'>;
export type PlainResyncMessage = { event: 'resync' } & ResyncEvent;
export type PlainEventMessage = PlainJobEventMessage | PlainResyncMessage;

/**
 * Close codes of /ws (4000 + the HTTP status it would be): a refused handshake is accepted and
 * closed at once with one of these, since a WebSocket client cannot read an HTTP refusal.
 */
export const PLAIN_CLOSE_CODES = Object.freeze({
  /** tenant_id is not a UUID. */
  badRequest: 4400,
  /** The key is missing, unknown or revoked (also sent when a key is revoked while open). */
  unauthorized: 4401,
  /** The key holds EVENTS_MAX_SOCKETS_PER_KEY live-event connections on this replica already; or too many failed keys from this address. */
  tooManyRequests: 4429,
  /** The database could not be asked about the key: retry. */
  unavailable: 4503,
  /** The API replica is stopping: reconnect (another replica, or this one once back). */
  goingAway: 1001,
});
