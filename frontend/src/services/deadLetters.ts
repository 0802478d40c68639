import { type Schemas } from '@conveyor/contracts';
import { api } from '../lib/api';
import { type TenantScope } from './jobs';

export type DeadJob = Schemas['DeadJobDto'];
export type DeadJobPage = Schemas['DeadJobPageDto'];
export type DeadJobCount = Schemas['DeadJobCountDto'];
export type DeadJobActionResult = Schemas['DeadJobActionResultDto'];

export interface DeadJobFilters {
  type?: string;
  queue?: string;
}

export type DeadJobAction = 'retry' | 'discard';

/** Which entries an action takes: these ids, or everything matching the filter. */
export type DeadJobSelection = { ids: string[] } | { filter: DeadJobFilters & { tenant_id?: string } };

export const fetchDeadJobs = (
  tenantId: TenantScope,
  filters: DeadJobFilters,
  cursor: string | null,
  limit = 50,
) =>
  api<DeadJobPage>('GET', '/api/v1/jobs/dlq', { query: { ...filters, limit, cursor, tenant_id: tenantId } });

export const fetchDeadJobCount = (tenantId: TenantScope, filters: DeadJobFilters) =>
  api<DeadJobCount>('GET', '/api/v1/jobs/dlq/count', { query: { ...filters, tenant_id: tenantId } });

export const actOnDeadJobs = (action: DeadJobAction, selection: DeadJobSelection) =>
  api<DeadJobActionResult>('POST', `/api/v1/jobs/dlq/${action}`, { body: selection });
