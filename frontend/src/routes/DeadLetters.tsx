import { type UseMutationResult, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { toggled } from '../components/JobsTable';
import { JsonView } from '../components/JsonView';
import { KeysetPager } from '../components/KeysetPager';
import { ErrorMessage, QueryView } from '../components/QueryState';
import { TypeQueueFilters } from '../components/TypeQueueFilters';
import { RelativeTime } from '../components/RelativeTime';
import { useKeysetPages } from '../lib/keysetPages';
import { usePollInterval } from '../lib/live';
import { useScope, useScopedPath } from '../lib/scope';
import { useSearchParamsPatch } from '../lib/searchParams';
import {
  actOnDeadJobs,
  type DeadJob,
  type DeadJobAction,
  type DeadJobActionResult,
  type DeadJobCount,
  type DeadJobFilters,
  type DeadJobSelection,
  fetchDeadJobCount,
  fetchDeadJobs,
} from '../services/deadLetters';
import { fetchJobTypes } from '../services/jobs';
import { queryKeys } from '../services/queryKeys';

const PAGE_SIZE = 50;

interface Pending {
  action: DeadJobAction;
  selection: DeadJobSelection;
  count: number;
  capped?: boolean;
}

type Ask = (action: DeadJobAction, selection: DeadJobSelection, count: number, capped?: boolean) => void;

const VERBS: Record<DeadJobAction, string> = { retry: 'Retry', discard: 'Discard' };

export default function DeadLetters() {
  const { scope, tenantId } = useScope();
  const client = useQueryClient();
  const poll = usePollInterval();
  const [filters, setFilter] = useDeadJobFilters();
  const pages = useKeysetPages(filters);
  const { cursor } = pages;
  const page = useQuery({
    queryKey: queryKeys.deadLetters.list(scope, filters, cursor),
    queryFn: () => fetchDeadJobs(tenantId, filters, cursor, PAGE_SIZE),
    refetchInterval: poll,
    placeholderData: (previous) => previous,
  });
  const total = useQuery({
    queryKey: queryKeys.deadLetters.count(scope, filters),
    queryFn: () => fetchDeadJobCount(tenantId, filters),
    refetchInterval: poll,
  });
  const types = useQuery({ queryKey: queryKeys.jobTypes, queryFn: fetchJobTypes, staleTime: Infinity });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [open, setOpen] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const act = useMutation({
    mutationFn: ({ action, selection }: Pending) => actOnDeadJobs(action, selection),
    onSuccess: () => {
      setSelected(new Set());
      void client.invalidateQueries({ queryKey: queryKeys.deadLetters.all });
      void client.invalidateQueries({ queryKey: queryKeys.jobs.lists });
    },
  });

  const shown = page.data?.jobs ?? [];
  const chosen = shown.filter((job) => selected.has(job.job_id)).map((job) => job.job_id);
  const ask: Ask = (action, selection, count, capped = false) =>
    setPending({ action, selection, count, capped });
  const everything = { filter: { ...filters, ...(tenantId ? { tenant_id: tenantId } : {}) } };
  const filterText = [filters.type && `type ${filters.type}`, filters.queue && `queue ${filters.queue}`]
    .filter(Boolean)
    .join(', ');

  return (
    <div>
      <h1>Dead letters</h1>
      <p className="muted">
        Jobs whose attempts ran out. Retry puts them back in their queue with a fresh attempt count; discard
        deletes them.
      </p>
      <div className="toolbar">
        <TypeQueueFilters type={filters.type} queue={filters.queue} types={types.data} onChange={setFilter} />
        <span className="muted" data-testid="dlq-count">
          {total.data ? `${countText(total.data)} dead` : ''}
        </span>
      </div>
      <BulkActions chosen={chosen} total={total.data} everything={everything} ask={ask} act={act} />
      {act.error && <ErrorMessage error={act.error} />}

      <QueryView
        query={page}
        what="dead jobs"
        isEmpty={(data) => data.jobs.length === 0}
        empty={<>The dead-letter queue is empty{filterText ? ` for ${filterText}` : ''}.</>}
      >
        {() => (
          <DeadJobsTable
            shown={shown}
            selected={selected}
            setSelected={setSelected}
            open={open}
            setOpen={setOpen}
            ask={ask}
          />
        )}
      </QueryView>

      <KeysetPager pages={pages} nextCursor={page.data?.next_cursor} label="Pages of dead jobs" />

      <ConfirmDialog
        open={pending !== null}
        title={pending ? `${VERBS[pending.action]} ${pending.count === 1 ? 'this job' : 'these jobs'}?` : ''}
        message={pending ? confirmMessage(pending, filterText) : ''}
        confirmLabel={
          pending
            ? `${VERBS[pending.action]} ${pending.capped ? 'all' : pending.count.toLocaleString('en')}`
            : ''
        }
        danger={pending?.action === 'discard'}
        onCancel={() => setPending(null)}
        onConfirm={() => {
          if (pending) act.mutate(pending);
          setPending(null);
        }}
      />
    </div>
  );
}

/** The type and queue filters, kept in the URL (`?type=&queue=`). */
function useDeadJobFilters(): [DeadJobFilters, (name: 'type' | 'queue', value: string) => void] {
  const [params, patch] = useSearchParamsPatch();
  const filters = useMemo<DeadJobFilters>(
    () => ({ type: params.get('type') || undefined, queue: params.get('queue') || undefined }),
    [params],
  );
  return [filters, (name, value) => patch({ [name]: value })];
}

/** "1,234", or "over 100,000" when the count stopped at its cap. */
function countText(total: DeadJobCount): string {
  return total.capped ? `over ${total.cap.toLocaleString('en')}` : total.count.toLocaleString('en');
}

/** What the confirmation says an action will do, and to how many. */
function confirmMessage(pending: Pending, filterText: string): string {
  return (
    `${VERBS[pending.action]} ${pending.capped ? 'more than ' : ''}${pending.count.toLocaleString('en')} dead job${pending.count === 1 ? '' : 's'}` +
    ('filter' in pending.selection
      ? ` (everything matching${filterText ? ` ${filterText}` : ''} that died before now; jobs dying meanwhile are left for a later run)`
      : '') +
    (pending.action === 'discard' ? '? They are deleted for good.' : '? They go back to their queues.')
  );
}

/** Retry or discard the selected jobs, or everything matching the filters; then what was done. */
function BulkActions({
  chosen,
  total,
  everything,
  ask,
  act,
}: {
  chosen: string[];
  total: DeadJobCount | undefined;
  everything: DeadJobSelection;
  ask: Ask;
  act: UseMutationResult<DeadJobActionResult, Error, Pending>;
}) {
  return (
    <div className="toolbar">
      <span className="muted">{chosen.length} selected</span>
      {(['retry', 'discard'] as const).map((action) => (
        <button
          key={action}
          type="button"
          className={action === 'discard' ? 'danger' : undefined}
          disabled={chosen.length === 0}
          onClick={() => ask(action, { ids: chosen }, chosen.length)}
        >
          {VERBS[action]} selected
        </button>
      ))}
      {(['retry', 'discard'] as const).map((action) => (
        <button
          key={action}
          type="button"
          className={action === 'discard' ? 'danger' : undefined}
          disabled={!total?.count}
          onClick={() => total && ask(action, everything, total.count, total.capped)}
        >
          {VERBS[action]} all matching
        </button>
      ))}
      {act.data && (
        <span role="status" className="outcome">
          {act.variables?.action === 'retry' ? 'Retried' : 'Discarded'} {act.data.count} job
          {act.data.count === 1 ? '' : 's'}.
          {act.data.remaining > 0 &&
            ` ${act.data.remaining.toLocaleString('en')} more match: one request acts on a bounded number, run it again.`}
        </span>
      )}
    </div>
  );
}

/** The page of dead jobs: each selectable, and open to inspect one at a time. */
function DeadJobsTable({
  shown,
  selected,
  setSelected,
  open,
  setOpen,
  ask,
}: {
  shown: DeadJob[];
  selected: ReadonlySet<string>;
  setSelected: (update: (current: ReadonlySet<string>) => ReadonlySet<string>) => void;
  /** The job being inspected. */
  open: string | null;
  setOpen: (id: string | null) => void;
  ask: Ask;
}) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Dead jobs</caption>
        <thead>
          <tr>
            <th scope="col" className="select-col">
              <input
                type="checkbox"
                aria-label="Select every dead job shown"
                checked={shown.length > 0 && shown.every((job) => selected.has(job.job_id))}
                onChange={() =>
                  setSelected((current) =>
                    toggled(
                      current,
                      shown.map((job) => job.job_id),
                    ),
                  )
                }
              />
            </th>
            <th scope="col">Job</th>
            <th scope="col">Type</th>
            <th scope="col">Queue</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
            <th scope="col">Died</th>
            <th scope="col">
              <span className="visually-hidden">Inspect</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((job) => (
            <Fragment key={job.job_id}>
              <DeadJobRow
                job={job}
                selected={selected.has(job.job_id)}
                onSelect={() => setSelected((current) => toggled(current, [job.job_id]))}
                open={open === job.job_id}
                onToggleOpen={() => setOpen(open === job.job_id ? null : job.job_id)}
              />
              {open === job.job_id && <InspectRow job={job} ask={ask} />}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DeadJobRow({
  job,
  selected,
  onSelect,
  open,
  onToggleOpen,
}: {
  job: DeadJob;
  selected: boolean;
  onSelect: () => void;
  open: boolean;
  onToggleOpen: () => void;
}) {
  const scoped = useScopedPath();
  return (
    <tr data-job-id={job.job_id}>
      <td className="select-col">
        <input
          type="checkbox"
          aria-label={`Select dead job ${job.job_id}`}
          checked={selected}
          onChange={onSelect}
        />
      </td>
      <td>
        <Link className="mono" to={scoped(`/jobs/${job.job_id}`)} title={job.job_id}>
          {job.job_id.slice(0, 8)}
        </Link>
      </td>
      <td>{job.type}</td>
      <td>{job.queue}</td>
      <td>
        {job.attempts} / {job.max_attempts}
      </td>
      <td className="row-error" title={job.last_error ?? ''}>
        {job.last_error ?? '—'}
      </td>
      <td>
        <RelativeTime iso={job.died_at} />
      </td>
      <td>
        <button type="button" aria-expanded={open} onClick={onToggleOpen}>
          {open ? 'Hide' : 'Inspect'}
        </button>
      </td>
    </tr>
  );
}

/** A dead job opened: its payload, every attempt's error, and actions on it alone. */
function InspectRow({ job, ask }: { job: DeadJob; ask: Ask }) {
  return (
    <tr className="inspect-row">
      <td colSpan={8}>
        <div className="grid-2">
          <div>
            <h3>Payload</h3>
            <JsonView value={job.payload} label="Payload" />
          </div>
          <div>
            <h3>Every attempt&apos;s error</h3>
            <JsonView value={job.errors} label="Errors" />
          </div>
        </div>
        <div className="actions">
          <button type="button" onClick={() => ask('retry', { ids: [job.job_id] }, 1)}>
            Retry this job
          </button>
          <button type="button" className="danger" onClick={() => ask('discard', { ids: [job.job_id] }, 1)}>
            Discard this job
          </button>
        </div>
      </td>
    </tr>
  );
}
