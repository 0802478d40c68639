import { type MetricsSummary } from '../services/metrics';

const COUNTERS: Array<[keyof MetricsSummary, string]> = [
  ['scheduled_jobs', 'Scheduled'],
  ['pending_jobs', 'Pending'],
  ['running_jobs', 'Running'],
  ['failed_jobs', 'Retrying'],
  ['dlq_jobs', 'Dead'],
  ['cancelled_jobs', 'Cancelled'],
  ['completed_jobs', 'Completed'],
  ['total_jobs', 'Total'],
  ['queue_length', 'Queue length'],
  ['throughput_per_second', 'Jobs/s'],
];

export function SummaryCounters({ summary }: { summary: MetricsSummary }) {
  return (
    <dl className="counters">
      {COUNTERS.map(([field, label]) => (
        <div key={field} className={`counter counter-${field}`}>
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
