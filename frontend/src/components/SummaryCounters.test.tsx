import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SummaryCounters } from './SummaryCounters';

afterEach(cleanup);

describe('SummaryCounters', () => {
  it('shows each counter and the failure rate as a percentage', () => {
    render(
      <SummaryCounters
        summary={{
          total_jobs: 1340,
          scheduled_jobs: 40,
          pending_jobs: 1200,
          running_jobs: 5,
          completed_jobs: 90,
          failed_jobs: 2,
          dlq_jobs: 3,
          cancelled_jobs: 0,
          active_jobs: 5,
          queue_length: 1242,
          throughput_per_second: 12.5,
          failure_rate: 0.0213,
          completed_per_minute: 750,
          failed_per_minute: 16,
        }}
      />,
    );
    expect(screen.getByTestId('scheduled_jobs').textContent).toBe('40');
    expect(screen.getByTestId('pending_jobs').textContent).toBe('1,200');
    expect(screen.getByTestId('dlq_jobs').textContent).toBe('3');
    expect(screen.getByTestId('failure_rate').textContent).toBe('2.1%');
    expect(screen.getByTestId('queue_length').textContent).toBe('1,242');
    expect(screen.getByTestId('total_jobs').textContent).toBe('1,340');
  });
});
