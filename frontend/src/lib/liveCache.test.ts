import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { queryKeys } from '../services/queryKeys';
import { jobEvent, jobFactory, OTHER_TENANT, TENANT, timeseries } from '../test/factories';
import { applyJobEvents, patchDeadJobPage, patchJob, patchJobPage, patchTimeseries } from './liveCache';

describe('patchJob', () => {
  it('moves a job through started, progress and completed', () => {
    const job = jobFactory.build();
    const started = patchJob(job, jobEvent('job.started', job, { at: '2026-12-01T12:00:01.000Z' }));
    expect(started).toMatchObject({ status: 'running', attempts: 1, started_at: '2026-12-01T12:00:01.000Z' });
    const halfway = patchJob(
      started,
      jobEvent('job.progress', job, { progress: 50, at: '2026-12-01T12:00:02.000Z' }),
    );
    expect(halfway.progress).toBe(50);
    const done = patchJob(halfway, jobEvent('job.completed', job, { at: '2026-12-01T12:00:03.000Z' }));
    expect(done).toMatchObject({
      status: 'completed',
      progress: 100,
      finished_at: '2026-12-01T12:00:03.000Z',
    });
  });

  it('keeps the error of a failed attempt', () => {
    const job = jobFactory.running();
    const failed = patchJob(job, jobEvent('job.failed', job, { error: 'boom' }));
    expect(failed).toMatchObject({ status: 'failed', last_error: 'boom' });
  });

  it('ignores an event older than what the row shows (a page fetched after it was sent)', () => {
    const job = jobFactory.build({ status: 'completed', updated_at: '2026-12-01T12:00:10.000Z' });
    const late = jobEvent('job.progress', job, { progress: 30, at: '2026-12-01T12:00:09.000Z' });
    expect(patchJob(job, late)).toBe(job);
  });

  it('ignores another job’s event', () => {
    const job = jobFactory.build();
    expect(patchJob(job, jobEvent('job.started', jobFactory.build()))).toBe(job);
  });
});

describe('patchJobPage', () => {
  it('patches rows on the page and says nothing was missed', () => {
    const a = jobFactory.build();
    const b = jobFactory.build();
    const page = jobFactory.page([a, b]);
    const { page: next, missed } = patchJobPage(page, [jobEvent('job.started', b)], TENANT, {});
    expect(next.jobs.map((job) => job.status)).toEqual(['pending', 'running']);
    expect(next.jobs[0]).toBe(a);
    expect(missed).toBe(false);
  });

  it('returns the same page when no event touches it, and reports a new job as missed', () => {
    const page = jobFactory.page([jobFactory.build()]);
    const { page: next, missed } = patchJobPage(
      page,
      [jobEvent('job.submitted', jobFactory.build())],
      TENANT,
      {},
    );
    expect(next).toBe(page);
    expect(missed).toBe(true);
  });

  it('drops a row that leaves the status tab, and misses only jobs entering it', () => {
    const running = jobFactory.running();
    const page = jobFactory.page([running]);
    const entering = jobFactory.build();
    const { page: next, missed } = patchJobPage(
      page,
      [
        jobEvent('job.completed', running),
        jobEvent('job.submitted', jobFactory.build()),
        jobEvent('job.started', entering),
      ],
      TENANT,
      { status: 'running' },
    );
    expect(next.jobs).toEqual([]);
    expect(missed).toBe(true);
    const quiet = patchJobPage(page, [jobEvent('job.submitted', jobFactory.build())], TENANT, {
      status: 'running',
    });
    expect(quiet.missed).toBe(false);
  });

  it('leaves out events of another tenant, type or queue', () => {
    const page = jobFactory.page([]);
    const events = [
      jobEvent('job.submitted', jobFactory.build({ tenant_id: OTHER_TENANT })),
      jobEvent('job.submitted', jobFactory.build({ type: 'sleep' })),
      jobEvent('job.submitted', jobFactory.build({ queue: 'other' })),
    ];
    expect(patchJobPage(page, events, TENANT, { type: 'email', queue: 'default' }).missed).toBe(false);
    expect(patchJobPage(page, events, 'all', {}).missed).toBe(true);
  });
});

describe('patchDeadJobPage', () => {
  const dead = { job_id: jobFactory.build().id } as never as { job_id: string };
  it('removes a redriven entry and reports a new death as missed', () => {
    const page = { jobs: [dead], next_cursor: null } as never;
    const redriven = patchDeadJobPage(page, [jobEvent('job.submitted', { id: dead.job_id })], TENANT, {});
    expect(redriven.page.jobs).toEqual([]);
    const died = patchDeadJobPage(page, [jobEvent('job.dead', jobFactory.build())], TENANT, {});
    expect(died).toEqual({ page, missed: true });
  });
});

describe('patchTimeseries', () => {
  it('counts events in their minute and appends a new minute, keeping the window', () => {
    const series = timeseries(['2026-12-01T12:00:00.000Z', '2026-12-01T12:01:00.000Z']);
    const job = jobFactory.build();
    const next = patchTimeseries(
      series,
      [
        jobEvent('job.completed', job, { at: '2026-12-01T12:01:30.000Z' }),
        jobEvent('job.failed', job, { at: '2026-12-01T12:02:05.000Z' }),
        jobEvent('job.completed', job, { at: '2026-12-01T12:02:06.000Z' }),
        jobEvent('job.progress', job, { at: '2026-12-01T12:02:07.000Z' }),
      ],
      'all',
    );
    expect(next.points.map((point) => [point.minute.slice(11, 16), point.completed, point.failed])).toEqual([
      ['12:01', 2, 0],
      ['12:02', 1, 1],
    ]);
    expect(series.points[1].completed).toBe(1);
  });

  it('ignores another tenant’s events and returns the same series when nothing counts', () => {
    const series = timeseries(['2026-12-01T12:00:00.000Z']);
    const job = jobFactory.build({ tenant_id: OTHER_TENANT });
    expect(patchTimeseries(series, [jobEvent('job.completed', job)], TENANT)).toBe(series);
  });
});

describe('applyJobEvents', () => {
  it('patches every loaded query and names the ones that are behind', () => {
    const client = new QueryClient();
    const job = jobFactory.build();
    const firstPage = queryKeys.jobs.list(TENANT, {}, null);
    const laterPage = queryKeys.jobs.list(TENANT, {}, 'cursor-2');
    client.setQueryData(firstPage, jobFactory.page([job]));
    client.setQueryData(laterPage, jobFactory.page([]));
    client.setQueryData(queryKeys.jobs.detail(job.id), jobFactory.detail({ id: job.id }));
    client.setQueryData(queryKeys.metrics.queues(TENANT), { queues: [] });

    const newcomer = jobFactory.build();
    const behind = applyJobEvents(client, [
      jobEvent('job.started', job),
      jobEvent('job.progress', job, { progress: 60, at: '2026-12-01T12:00:06.000Z' }),
      jobEvent('job.submitted', newcomer),
    ]);

    expect(client.getQueryData<{ jobs: Array<{ progress: number }> }>(firstPage)?.jobs[0].progress).toBe(60);
    expect(client.getQueryData<{ status: string }>(queryKeys.jobs.detail(job.id))?.status).toBe('running');
    // Only the first page takes new rows; a progress event does not make a detail page refetch.
    expect(behind).toEqual([firstPage, queryKeys.metrics.queues(TENANT)]);
  });

  it('asks a detail page to refetch when its job finishes (the result comes with the job)', () => {
    const client = new QueryClient();
    const job = jobFactory.running();
    client.setQueryData(queryKeys.jobs.detail(job.id), jobFactory.detail({ ...job }));
    const behind = applyJobEvents(client, [jobEvent('job.completed', job)]);
    expect(behind).toEqual([queryKeys.jobs.detail(job.id)]);
  });

  it('names a query behind when it is being fetched (its answer may predate the events) or has no data yet', async () => {
    const client = new QueryClient();
    const job = jobFactory.build();
    const detail = queryKeys.jobs.detail(job.id);
    let answer: (value: unknown) => void = () => undefined;
    void client.fetchQuery({ queryKey: detail, queryFn: () => new Promise((resolve) => (answer = resolve)) });
    expect(applyJobEvents(client, [jobEvent('job.started', job)])).toEqual([detail]);
    answer(jobFactory.detail({ id: job.id }));
    await client.getQueryCache().find({ queryKey: detail })?.promise;
    expect(applyJobEvents(client, [jobEvent('job.progress', job, { progress: 10 })])).toEqual([]);
  });
});
