import { type JobStatus } from '@conveyor/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useCallback, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { JobsTable, toggled } from '../components/JobsTable';
import { KeysetPager } from '../components/KeysetPager';
import { QueryView } from '../components/QueryState';
import { TypeQueueFilters } from '../components/TypeQueueFilters';
import { STATUS_LABELS } from '../components/StatusBadge';
import { ApiError } from '../lib/api';
import { useKeysetPages } from '../lib/keysetPages';
import { usePollInterval } from '../lib/live';
import { useScope, useScopedPath } from '../lib/scope';
import { useSearchParamsPatch } from '../lib/searchParams';
import {
  cancelJob,
  canCancel,
  canRetry,
  fetchJobs,
  fetchJobTypes,
  JOB_STATUSES,
  type JobListFilters,
  retryJob,
} from '../services/jobs';
import { queryKeys } from '../services/queryKeys';

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type BulkAction = 'cancel' | 'retry';

/** Filters live in the URL (`?status=&type=&queue=`), so a filtered view can be linked to. */
function useFilters(): [
  JobListFilters,
  (patch: Partial<Record<'status' | 'type' | 'queue', string>>) => void,
] {
  const [params, patch] = useSearchParamsPatch();
  const status = params.get('status');
  const filters = useMemo<JobListFilters>(
    () => ({
      status: JOB_STATUSES.includes(status as JobStatus) ? (status as JobStatus) : undefined,
      type: params.get('type') || undefined,
      queue: params.get('queue') || undefined,
      limit: PAGE_SIZE,
    }),
    [params, status],
  );
  return [filters, patch];
}

export default function Jobs() {
  const { scope, tenantId } = useScope();
  const scoped = useScopedPath();
  const navigate = useNavigate();
  const client = useQueryClient();
  const poll = usePollInterval();
  const [filters, setFilters] = useFilters();
  const pages = useKeysetPages(filters);
  const { cursor } = pages;
  const page = useQuery({
    queryKey: queryKeys.jobs.list(scope, filters, cursor),
    queryFn: () => fetchJobs(tenantId, filters, cursor),
    refetchInterval: poll,
    placeholderData: (previous) => previous,
  });
  const types = useQuery({ queryKey: queryKeys.jobTypes, queryFn: fetchJobTypes, staleTime: Infinity });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // Stable, so that memoised rows do not all render again on every event.
  const toggleOne = useCallback((id: string) => setSelected((current) => toggled(current, [id])), []);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [search, setSearch] = useState('');
  const [searchError, setSearchError] = useState<string | null>(null);

  const shown = page.data?.jobs ?? [];
  const chosen = shown.filter((job) => selected.has(job.id));

  const runBulk = async (action: BulkAction) => {
    const eligible = chosen.filter((job) =>
      action === 'cancel' ? canCancel(job.status) : canRetry(job.status),
    );
    setBusy(true);
    const results = await Promise.allSettled(
      eligible.map((job) => (action === 'cancel' ? cancelJob : retryJob)(job.id)),
    );
    setBusy(false);
    const failures = results.flatMap((result) =>
      result.status === 'rejected'
        ? [result.reason instanceof ApiError ? result.reason.message : String(result.reason)]
        : [],
    );
    const skipped = chosen.length - eligible.length;
    const done = results.length - failures.length;
    setOutcome(
      `${action === 'cancel' ? 'Cancelled' : 'Retried'} ${done} job${done === 1 ? '' : 's'}` +
        (skipped
          ? `; ${skipped} skipped (not ${action === 'cancel' ? 'cancellable' : 'retryable'} in their state)`
          : '') +
        (failures.length ? `; ${failures.length} refused: ${failures[0]}` : '') +
        '.',
    );
    setSelected(new Set());
    void client.invalidateQueries({ queryKey: queryKeys.jobs.lists });
  };

  const find = (event: FormEvent) => {
    event.preventDefault();
    const id = search.trim();
    if (!UUID.test(id)) return setSearchError('A job id is a UUID, like 0b8f…-…');
    setSearchError(null);
    navigate(scoped(`/jobs/${id.toLowerCase()}`));
  };

  const tabs: Array<[JobStatus | undefined, string]> = [
    [undefined, 'All'],
    ...JOB_STATUSES.map((status): [JobStatus, string] => [status, STATUS_LABELS[status]]),
  ];

  return (
    <div>
      <h1>Jobs</h1>
      <div role="group" aria-label="Status" className="tabs">
        {tabs.map(([status, label]) => (
          <button
            key={label}
            type="button"
            aria-pressed={filters.status === status}
            onClick={() => setFilters({ status })}
          >
            {label}
          </button>
        ))}
      </div>

      <div className="toolbar">
        <TypeQueueFilters
          type={filters.type}
          queue={filters.queue}
          types={types.data}
          onChange={(name, value) => setFilters({ [name]: value })}
        />
        <form onSubmit={find} className="search">
          <label>
            Find by id
            <input
              value={search}
              onChange={(event) => setSearch(event.target.value)}
              placeholder="job id"
              aria-invalid={searchError !== null}
              aria-describedby={searchError ? 'search-error' : undefined}
            />
          </label>
          <button type="submit">Open</button>
          {searchError && (
            <span id="search-error" className="field-error" role="alert">
              {searchError}
            </span>
          )}
        </form>
      </div>

      <div className="toolbar">
        <span className="muted">{chosen.length} selected</span>
        <button
          type="button"
          disabled={busy || !chosen.some((job) => canCancel(job.status))}
          onClick={() => void runBulk('cancel')}
        >
          Cancel selected
        </button>
        <button
          type="button"
          disabled={busy || !chosen.some((job) => canRetry(job.status))}
          onClick={() => void runBulk('retry')}
        >
          Retry selected
        </button>
        {outcome && (
          <span role="status" className="outcome">
            {outcome}
          </span>
        )}
      </div>

      <QueryView
        query={page}
        what="jobs"
        isEmpty={(data) => data.jobs.length === 0}
        empty={<>No jobs match{filters.status ? ` "${STATUS_LABELS[filters.status]}"` : ''} here.</>}
      >
        {() => (
          <div className={page.isPlaceholderData ? 'stale' : undefined} aria-busy={page.isPlaceholderData}>
            <JobsTable
              jobs={shown}
              linkTo={(id) => scoped(`/jobs/${id}`)}
              showTenant={scope === 'all'}
              caption="Jobs"
              selection={{
                selected,
                toggle: toggleOne,
                toggleAll: (ids) => setSelected((current) => toggled(current, ids)),
              }}
            />
          </div>
        )}
      </QueryView>

      <KeysetPager pages={pages} nextCursor={page.data?.next_cursor} label="Pages of jobs" />
    </div>
  );
}
