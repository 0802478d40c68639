import { type NewJob } from '../../src/queue/queue.sql';

/** Test jobs with named variants, e.g. jobFactory.delayed(tenant, 60_000). */
export const jobFactory = {
  build(tenantId: string, overrides: Partial<NewJob> = {}): NewJob {
    return {
      tenantId,
      queue: 'default',
      type: 'default',
      payload: { task: 'test' },
      priority: 0,
      runAt: null,
      maxAttempts: 4,
      idempotencyKey: null,
      traceId: null,
      ...overrides,
    };
  },
  many(tenantId: string, count: number, overrides: Partial<NewJob> = {}): NewJob[] {
    return Array.from({ length: count }, (_, i) =>
      jobFactory.build(tenantId, { payload: { n: i }, ...overrides }),
    );
  },
  delayed(tenantId: string, delayMs: number): NewJob {
    return jobFactory.build(tenantId, { runAt: new Date(Date.now() + delayMs) });
  },
  singleAttempt(tenantId: string): NewJob {
    return jobFactory.build(tenantId, { maxAttempts: 1 });
  },
};
