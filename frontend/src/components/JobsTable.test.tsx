import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jobFactory } from '../test/factories';
import { JobsTable, toggled } from './JobsTable';

afterEach(cleanup);

describe('JobsTable', () => {
  it('links each job, shows progress while it runs and attempts otherwise, and the last error', () => {
    const running = jobFactory.running({ progress: 40 });
    const failed = jobFactory.build({ status: 'failed', attempts: 2, last_error: 'boom' });
    render(
      <MemoryRouter>
        <JobsTable jobs={[running, failed]} linkTo={(id) => `/jobs/${id}`} caption="Jobs" />
      </MemoryRouter>,
    );
    expect(screen.getAllByRole('link').map((link) => link.getAttribute('href'))).toEqual([
      `/jobs/${running.id}`,
      `/jobs/${failed.id}`,
    ]);
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('40');
    expect(screen.getByText('2 / 4')).toBeTruthy();
    expect(screen.getByText('boom')).toBeTruthy();
  });

  it('reports row and select-all toggles', () => {
    const jobs = [jobFactory.build(), jobFactory.build()];
    const toggle = vi.fn();
    const toggleAll = vi.fn();
    render(
      <MemoryRouter>
        <JobsTable
          jobs={jobs}
          linkTo={(id) => id}
          caption="Jobs"
          selection={{ selected: new Set([jobs[0].id]), toggle, toggleAll }}
        />
      </MemoryRouter>,
    );
    expect((screen.getByLabelText(`Select job ${jobs[0].id}`) as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByLabelText(`Select job ${jobs[1].id}`));
    expect(toggle).toHaveBeenCalledWith(jobs[1].id);
    fireEvent.click(screen.getByLabelText('Select every job shown'));
    expect(toggleAll).toHaveBeenCalledWith(jobs.map((job) => job.id));
  });
});

describe('toggled', () => {
  it('adds ids not all selected, and removes them when all are', () => {
    expect([...toggled(new Set(['a']), ['a', 'b'])]).toEqual(['a', 'b']);
    expect([...toggled(new Set(['a', 'b', 'c']), ['a', 'b'])]).toEqual(['c']);
  });
});
