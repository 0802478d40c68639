import { type JobListFilters } from './jobs';
import { type DeadJobFilters } from './deadLetters';

/**
 * Every query key of the dashboard, in one place. `scope` is the tenant an admin picked, or
 * 'all'; a tenant key's scope is always its own tenant (the API decides, the key only separates caches).
 */
export const queryKeys = {
  me: (key: string) => ['auth', 'me', key.slice(0, 12)] as const,
  jobTypes: ['job-types'] as const,
  jobs: {
    all: ['jobs'] as const,
    lists: ['jobs', 'list'] as const,
    list: (scope: string, filters: JobListFilters, cursor: string | null) =>
      ['jobs', 'list', scope, filters, cursor] as const,
    details: ['jobs', 'detail'] as const,
    detail: (id: string) => ['jobs', 'detail', id] as const,
  },
  deadLetters: {
    lists: ['dlq', 'list'] as const,
    list: (scope: string, filters: DeadJobFilters, cursor: string | null) =>
      ['dlq', 'list', scope, filters, cursor] as const,
    all: ['dlq'] as const,
    counts: ['dlq', 'count'] as const,
    count: (scope: string, filters: DeadJobFilters) => ['dlq', 'count', scope, filters] as const,
  },
  metrics: {
    summary: (scope: string) => ['metrics', 'summary', scope] as const,
    allTimeseries: ['metrics', 'timeseries'] as const,
    timeseries: (scope: string) => ['metrics', 'timeseries', scope] as const,
    allQueues: ['metrics', 'queues'] as const,
    queues: (scope: string) => ['metrics', 'queues', scope] as const,
  },
  tenants: {
    all: ['tenants'] as const,
    list: ['tenants', 'list'] as const,
    keys: (tenantId: string) => ['tenants', 'keys', tenantId] as const,
  },
  health: ['health'] as const,
  workers: ['workers'] as const,
};
