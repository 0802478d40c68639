import { type JobStatus } from '@conveyor/contracts';

/** `failed` is an attempt that failed with a retry scheduled: users know it as "retrying". */
export const STATUS_LABELS: Record<JobStatus, string> = {
  scheduled: 'Scheduled',
  pending: 'Pending',
  running: 'Running',
  failed: 'Retrying',
  completed: 'Completed',
  dead: 'Dead',
  cancelled: 'Cancelled',
};

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`status status-${status}`}>{STATUS_LABELS[status]}</span>;
}
