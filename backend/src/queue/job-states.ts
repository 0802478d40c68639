/** Mirrors the jobs_status_check constraint; change both together. */
export const JOB_STATES = Object.freeze({
  /** Due later (run_at in the future); the promoter makes it pending when due. */
  scheduled: 'scheduled',
  /** Due: waiting for a worker. */
  pending: 'pending',
  running: 'running',
  /** An attempt failed; a retry is scheduled at run_at (the promoter makes it pending then). */
  failed: 'failed',
  completed: 'completed',
  /** Attempts exhausted; the job is in dead_letter_jobs. */
  dead: 'dead',
  cancelled: 'cancelled',
} as const);

export type JobState = (typeof JOB_STATES)[keyof typeof JOB_STATES];
