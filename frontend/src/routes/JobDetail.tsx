import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { JsonView } from '../components/JsonView';
import { ProgressBar } from '../components/ProgressBar';
import { ErrorMessage, Loading } from '../components/QueryState';
import { RelativeTime } from '../components/RelativeTime';
import { StatusBadge } from '../components/StatusBadge';
import { ApiError } from '../lib/api';
import { useFollowJob, usePollInterval } from '../lib/live';
import { useScopedPath } from '../lib/scope';
import { cancelJob, canCancel, canRetry, fetchJob, type Job, retryJob } from '../services/jobs';
import { queryKeys } from '../services/queryKeys';

const TIMESTAMPS: Array<[keyof Job, string]> = [
  ['created_at', 'Created'],
  ['run_at', 'Runs at'],
  ['started_at', 'Started'],
  ['finished_at', 'Finished'],
  ['updated_at', 'Updated'],
];

export default function JobDetail() {
  const { id = '' } = useParams();
  const scoped = useScopedPath();
  const client = useQueryClient();
  const poll = usePollInterval();
  useFollowJob(id);
  const job = useQuery({
    queryKey: queryKeys.jobs.detail(id),
    queryFn: () => fetchJob(id),
    refetchInterval: poll,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 3,
  });
  const act = useMutation({
    mutationFn: ({ action }: { action: 'cancel' | 'retry' }) =>
      action === 'cancel' ? cancelJob(id) : retryJob(id),
    onSuccess: (updated) => {
      client.setQueryData(queryKeys.jobs.detail(id), updated);
      void client.invalidateQueries({ queryKey: queryKeys.jobs.lists });
    },
  });

  if (job.error)
    return (
      <div>
        <p>
          <Link to={scoped('/jobs')}>← Jobs</Link>
        </p>
        <ErrorMessage error={job.error} retry={() => void job.refetch()} />
      </div>
    );
  if (!job.data) return <Loading what="job" />;
  const data = job.data;
  const facts: Array<[string, ReactNode]> = [
    ['Queue', data.queue],
    ['Priority', data.priority],
    ['Attempts', <span data-testid="attempts">{`${data.attempts} of ${data.max_attempts}`}</span>],
    ['Tenant', <span className="mono">{data.tenant_id}</span>],
    ['Trace id', <span className="mono">{data.trace_id ?? '—'}</span>],
    ['Idempotency key', <span className="mono">{data.idempotency_key ?? '—'}</span>],
    ...TIMESTAMPS.map(([field, label]): [string, ReactNode] => [
      label,
      <RelativeTime iso={data[field] as string | null} />,
    ]),
  ];

  return (
    <article className="job-detail" aria-labelledby="job-title">
      <p>
        <Link to={scoped('/jobs')}>← Jobs</Link>
      </p>
      <header className="job-header">
        <h1 id="job-title">
          {data.type} <span className="mono muted">{data.id}</span>
        </h1>
        <StatusBadge status={data.status} />
        <div className="actions">
          <button
            type="button"
            disabled={!canRetry(data.status) || act.isPending}
            onClick={() => act.mutate({ action: 'retry' })}
          >
            Retry
          </button>
          <button
            type="button"
            className="danger"
            disabled={!canCancel(data.status) || act.isPending}
            onClick={() => act.mutate({ action: 'cancel' })}
          >
            Cancel
          </button>
        </div>
      </header>
      {act.error && <ErrorMessage error={act.error} />}

      <ProgressBar value={data.progress} label="Job progress" />

      <dl className="facts">
        {facts.map(([label, value]) => (
          <div key={label} className="fact">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>

      <div className="grid-2">
        <section className="panel wide" aria-labelledby="payload-title">
          <h2 id="payload-title">Payload</h2>
          <JsonView value={data.payload} label="Payload" />
        </section>
        <section className="panel wide" aria-labelledby="result-title">
          <h2 id="result-title">Result</h2>
          <JsonView value={data.result} label="Result" />
        </section>
      </div>

      <section className="panel wide" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Failed attempts</h2>
        {data.errors.length === 0 ? (
          <p className="muted">No attempt has failed.</p>
        ) : (
          <ol className="attempts">
            {data.errors.map((entry, i) => (
              <li key={`${entry.attempt}-${i}`}>
                <strong>Attempt {entry.attempt}</strong> <RelativeTime iso={entry.at} />
                <pre className="error-text">{entry.error}</pre>
              </li>
            ))}
          </ol>
        )}
      </section>
    </article>
  );
}
