/**
 * The live-events contract between the API's socket.io gateway and the dashboard: both import
 * this module (it must stay free of Node and Nest imports), so an event renamed on one side
 * fails to compile on the other (as immich does with its ClientEventMap).
 */

export const EVENTS_NAMESPACE = '/events';

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

/** The same events under snake_case names (job_submitted, …, job_dlq), one to one, for clients that expect those. */
export const SEED_EVENT_NAMES: Readonly<Record<JobEventType, string>> = Object.freeze({
  'job.submitted': 'job_submitted',
  'job.due': 'job_due',
  'job.started': 'job_started',
  'job.progress': 'job_progress',
  'job.completed': 'job_completed',
  'job.failed': 'job_failed',
  'job.retry': 'job_retry',
  'job.dead': 'job_dlq',
  'job.cancelled': 'job_cancelled',
});

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
  /** Why events may have been missed: refetch what is on screen. */
  reason: 'listener-reconnected' | 'slow-consumer';
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
