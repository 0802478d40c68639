import { type MetricsSummary } from '../services/summary';

const COUNTERS: Array<[keyof MetricsSummary, string]> = [
  ['pending_jobs', 'Pending'],
  ['running_jobs', 'Running'],
  ['completed_jobs', 'Completed'],
  ['failed_jobs', 'Retrying'],
  ['dlq_jobs', 'Dead letters'],
  ['cancelled_jobs', 'Cancelled'],
  ['throughput_per_second', 'Jobs/s'],
];

export function SummaryCounters({ summary }: { summary: MetricsSummary | null }) {
  if (!summary) return <p>Loading counters…</p>;
  return (
    <dl className="counters">
      {COUNTERS.map(([field, label]) => (
        <div key={field} className="counter">
          <dt>{label}</dt>
          <dd data-testid={field}>{summary[field].toLocaleString('en')}</dd>
        </div>
      ))}
      <div className="counter">
        <dt>Failure rate</dt>
        <dd data-testid="failure_rate">{(summary.failure_rate * 100).toFixed(1)}%</dd>
      </div>
    </dl>
  );
}
