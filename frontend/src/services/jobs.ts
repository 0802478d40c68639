import { type JobStatus, type Schemas } from '@conveyor/contracts';
import { api } from '../lib/api';

export type Job = Schemas['JobDto'];
export type JobSummary = Schemas['JobSummaryDto'];
export type JobPage = Schemas['JobPageDto'];
export type JobType = Schemas['JobTypeDto'];
/** The generated type reads an open object as Record<string, never>: the payload is any JSON object. */
export type CreateJob = Omit<Schemas['CreateJobDto'], 'payload'> & { payload: Record<string, unknown> };

export const JOB_STATUSES: readonly JobStatus[] = [
  'scheduled',
  'pending',
  'running',
  'failed',
  'completed',
  'dead',
  'cancelled',
];

/** What the API allows (a 409 otherwise): the buttons follow the same rules. */
export const canCancel = (status: JobStatus): boolean =>
  ['scheduled', 'pending', 'failed', 'running'].includes(status);
export const canRetry = (status: JobStatus): boolean => ['failed', 'dead', 'cancelled'].includes(status);
export const isFinished = (status: JobStatus): boolean => ['completed', 'dead', 'cancelled'].includes(status);

export interface JobListFilters {
  status?: JobStatus;
  type?: string;
  queue?: string;
  limit?: number;
}

/** An admin's chosen tenant (undefined: every tenant; tenant keys see their own whatever this says). */
export type TenantScope = string | undefined;

export const fetchJobs = (tenantId: TenantScope, filters: JobListFilters, cursor: string | null) =>
  api<JobPage>('GET', '/api/v1/jobs', { query: { ...filters, cursor, tenant_id: tenantId } });

export const fetchJob = (id: string) => api<Job>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`);

export const fetchJobTypes = () => api<JobType[]>('GET', '/api/v1/job-types');

export const cancelJob = (id: string) => api<Job>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`);

export const retryJob = (id: string) => api<Job>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/retry`);

export function submitJob(job: CreateJob, file?: File): Promise<Job> {
  if (!file) return api<Job>('POST', '/api/v1/jobs', { body: job });
  // analyze jobs take their log as multipart: the fields as text, the payload as a JSON string.
  const form = new FormData();
  for (const [name, value] of Object.entries(job)) {
    if (value === undefined) continue;
    form.set(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  form.set('file', file);
  return api<Job>('POST', '/api/v1/jobs', { form });
}
