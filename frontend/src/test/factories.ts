import { type JobEvent, type JobEventType, type JobStatus } from '@conveyor/contracts';
import { type Job, type JobPage, type JobSummary } from '../services/jobs';
import { type Timeseries } from '../services/metrics';

export const TENANT = '11111111-1111-4111-8111-111111111111';
export const OTHER_TENANT = '22222222-2222-4222-8222-222222222222';

let counter = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;

/** Jobs and events with named variants, e.g. jobFactory.running({ progress: 40 }). */
export const jobFactory = {
  build(overrides: Partial<JobSummary> = {}): JobSummary {
    return {
      id: uuid(),
      tenant_id: TENANT,
      queue: 'default',
      type: 'email',
      status: 'pending',
      priority: 0,
      attempts: 0,
      max_attempts: 4,
      progress: 0,
      last_error: null,
      idempotency_key: null,
      trace_id: null,
      run_at: '2026-12-01T12:00:00.000Z',
      created_at: '2026-12-01T12:00:00.000Z',
      updated_at: '2026-12-01T12:00:00.000Z',
      started_at: null,
      finished_at: null,
      ...overrides,
    };
  },
  running(overrides: Partial<JobSummary> = {}): JobSummary {
    return jobFactory.build({
      status: 'running',
      attempts: 1,
      started_at: '2026-12-01T12:00:01.000Z',
      ...overrides,
    });
  },
  detail(overrides: Partial<Job> = {}): Job {
    return { ...jobFactory.build(), payload: {}, result: null, errors: [], ...overrides } as Job;
  },
  page(jobs: JobSummary[], next_cursor: string | null = null): JobPage {
    return { jobs, next_cursor };
  },
};

export function jobEvent(
  type: JobEventType,
  job: Pick<JobSummary, 'id'> & Partial<JobSummary>,
  overrides: Partial<JobEvent> = {},
): JobEvent {
  const status: Record<JobEventType, JobStatus> = {
    'job.submitted': 'pending',
    'job.due': 'pending',
    'job.started': 'running',
    'job.progress': 'running',
    'job.completed': 'completed',
    'job.failed': 'failed',
    'job.retry': 'failed',
    'job.dead': 'dead',
    'job.cancelled': 'cancelled',
  };
  return {
    type,
    job_id: job.id,
    tenant_id: job.tenant_id ?? TENANT,
    queue: job.queue ?? 'default',
    job_type: job.type ?? 'email',
    status: status[type],
    attempt: type === 'job.submitted' ? 0 : 1,
    progress: type === 'job.completed' ? 100 : 0,
    error: null,
    at: '2026-12-01T12:00:05.000Z',
    ...overrides,
  };
}

export function timeseries(minutes: string[]): Timeseries {
  return {
    minutes: minutes.length,
    points: minutes.map((minute) => ({
      minute,
      submitted: 0,
      started: 0,
      completed: 1,
      failed: 0,
      retried: 0,
      dead: 0,
      avg_run_ms: 100,
      avg_wait_ms: 10,
    })),
  };
}
