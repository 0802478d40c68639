import { type JobEventNotification } from '../queue/queue.sql';
import { type JobEvent, type JobEventType, type JobStatus } from '../../../contracts/src/event-map';

/** What each queue notification kind becomes; `failed` depends on whether a retry is scheduled. */
function typesOf(kind: JobEventNotification['kind'], status: string): JobEventType[] {
  switch (kind) {
    case 'submitted':
    case 'requeued': // redriven or retried by hand: back in the queue
    case 'released': // handed back by a stopping worker: back in the queue
      return ['job.submitted'];
    case 'due':
      return ['job.due'];
    case 'started':
      return ['job.started'];
    case 'progress':
      return ['job.progress'];
    case 'completed':
      return ['job.completed'];
    case 'failed':
      return status === 'dead' ? ['job.failed', 'job.dead'] : ['job.failed', 'job.retry'];
    case 'cancelled':
      return ['job.cancelled'];
  }
}

/** Turns one `conveyor_job_events` notification into the events sockets receive, in order. */
export function jobEventsOf(notification: JobEventNotification): JobEvent[] {
  const at = new Date(notification.at).toISOString();
  return notification.jobs.flatMap(([id, tenantId, queue, type, status, attempts, progress, error]) =>
    typesOf(notification.kind, status).map((eventType) => ({
      type: eventType,
      job_id: id,
      tenant_id: tenantId,
      queue,
      job_type: type,
      status: status as JobStatus,
      attempt: attempts,
      progress,
      error: error ?? null,
      at,
    })),
  );
}

export function parseNotification(payload: string): JobEventNotification | null {
  try {
    const parsed = JSON.parse(payload) as JobEventNotification;
    return Array.isArray(parsed.jobs) && typeof parsed.kind === 'string' ? parsed : null;
  } catch {
    return null;
  }
}
