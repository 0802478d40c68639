import { memo } from 'react';
import { Link } from 'react-router';
import { type JobSummary } from '../services/jobs';
import { ProgressBar } from './ProgressBar';
import { RelativeTime } from './RelativeTime';
import { StatusBadge } from './StatusBadge';

export interface Selection {
  selected: ReadonlySet<string>;
  toggle(id: string): void;
  toggleAll(ids: string[]): void;
}

/** Jobs as rows: a link to each job, its state, progress while it runs, and when it changed. */
export function JobsTable({
  jobs,
  linkTo,
  selection,
  showTenant = false,
  caption,
}: {
  jobs: JobSummary[];
  linkTo: (id: string) => string;
  selection?: Selection;
  showTenant?: boolean;
  caption: string;
}) {
  const ids = jobs.map((job) => job.id);
  const allSelected =
    selection !== undefined && ids.length > 0 && ids.every((id) => selection.selected.has(id));
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {selection && (
              <th scope="col" className="select-col">
                <input
                  type="checkbox"
                  aria-label="Select every job shown"
                  checked={allSelected}
                  onChange={() => selection.toggleAll(ids)}
                />
              </th>
            )}
            <th scope="col">Job</th>
            <th scope="col">Type</th>
            <th scope="col">Queue</th>
            {showTenant && <th scope="col">Tenant</th>}
            <th scope="col">Status</th>
            <th scope="col">Progress / attempts</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <JobRow
              key={job.id}
              job={job}
              href={linkTo(job.id)}
              selectable={selection !== undefined}
              selected={selection?.selected.has(job.id) ?? false}
              onToggle={selection?.toggle}
              showTenant={showTenant}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One row, memoised: under a stream of events only the rows whose job object changed render
 * again (the reducer keeps untouched rows as the same objects).
 */
const JobRow = memo(function JobRow({
  job,
  href,
  selectable,
  selected,
  onToggle,
  showTenant,
}: {
  job: JobSummary;
  href: string;
  selectable: boolean;
  selected: boolean;
  onToggle?: (id: string) => void;
  showTenant: boolean;
}) {
  return (
    <tr data-job-id={job.id} data-status={job.status}>
      {selectable && (
        <td className="select-col">
          <input
            type="checkbox"
            aria-label={`Select job ${job.id}`}
            checked={selected}
            onChange={() => onToggle?.(job.id)}
          />
        </td>
      )}
      <td>
        <Link to={href} className="mono" title={job.id}>
          {job.id.slice(0, 8)}
        </Link>
      </td>
      <td>{job.type}</td>
      <td>{job.queue}</td>
      {showTenant && (
        <td className="mono" title={job.tenant_id}>
          {job.tenant_id.slice(0, 8)}
        </td>
      )}
      <td>
        <StatusBadge status={job.status} />
        {job.last_error && job.status !== 'completed' && (
          <div className="row-error" title={job.last_error}>
            {job.last_error}
          </div>
        )}
      </td>
      <td>
        {job.status === 'running' ? (
          <ProgressBar value={job.progress} label={`progress of job ${job.id.slice(0, 8)}`} />
        ) : (
          <span>
            {job.attempts} / {job.max_attempts}
          </span>
        )}
      </td>
      <td>
        <RelativeTime iso={job.created_at} />
      </td>
      <td>
        <RelativeTime iso={job.updated_at} />
      </td>
    </tr>
  );
});

/** Row selection kept by a page: ids that leave the page stay selected until acted on or cleared. */
export function toggled(selected: ReadonlySet<string>, ids: string[]): Set<string> {
  const next = new Set(selected);
  const all = ids.every((id) => next.has(id));
  for (const id of ids) {
    if (all) next.delete(id);
    else next.add(id);
  }
  return next;
}
