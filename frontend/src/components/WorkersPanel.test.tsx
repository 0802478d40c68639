import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkersPanel } from './WorkersPanel';

afterEach(cleanup);

describe('WorkersPanel', () => {
  it('counts live workers and lists them for an admin', () => {
    render(
      <WorkersPanel
        workers={{
          live_workers: 1,
          live_slots: 5,
          workers: [
            {
              id: 'box:42',
              host: 'box',
              pid: 42,
              concurrency: 5,
              jobs_in_hand: 2,
              live: true,
              version: '0.1.0',
              started_at: '2026-12-01T12:00:00.000Z',
              last_seen_at: '2026-12-01T12:00:00.000Z',
            },
          ],
        }}
      />,
    );
    expect(screen.getByTestId('live-workers').textContent).toBe('1 live worker, 5 slots');
    expect(screen.getByText('2 / 5')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('warns when no worker is live', () => {
    render(<WorkersPanel workers={{ live_workers: 0, live_slots: 0 }} />);
    expect(screen.getByRole('alert').textContent).toContain('No live workers');
  });
});
