import { freePort } from '../src/database/embedded/embedded-database';
import { createCaller, type TestCaller } from './support/api';
import { builtScript, cleanEnv, type RunningProcess, startNode, waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';

const API = 'backend/src/main.api.js';
const WORKER = 'backend/src/main.worker.js';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

interface LifecycleLine {
  event: string;
  job_id: string;
  tenant_id: string;
  type: string;
  attempt: number;
  trace_id: string | null;
  level: number;
  process: string;
  [field: string]: unknown;
}

/** The JobLifecycle JSON lines a process wrote. */
function lifecycleLines(...processes: RunningProcess[]): LifecycleLine[] {
  return processes
    .flatMap((p) => p.output().split('\n'))
    .filter((line) => line.includes('"JobLifecycle"'))
    .map((line) => JSON.parse(line) as LifecycleLine);
}

describe('job lifecycle log lines (real API and worker processes)', () => {
  let db: TestDatabase;
  let caller: TestCaller;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;

  const submit = async (body: object): Promise<string> => {
    const response = await fetch(`${base}/api/v1/jobs`, {
      method: 'POST',
      headers: {
        Authorization: caller.bearer,
        'Content-Type': 'application/json',
        traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const eventsOf = (id: string): string[] =>
    lifecycleLines(api, worker)
      .filter((line) => line.job_id === id)
      .map((line) => line.event);

  beforeAll(async () => {
    db = await createTestDatabase();
    caller = await createCaller(db.url, 'acme');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = { DATABASE_URL: db.url, LOG_LEVEL: 'info', BACKOFF_BASE_MS: '10', BACKOFF_MAX_MS: '50' };
    api = startNode(builtScript(API), [], cleanEnv({ ...env, PORT: String(port), DASHBOARD_DIR: '' }));
    worker = startNode(builtScript(WORKER), [], cleanEnv({ ...env, POLL_INTERVAL_MS: '100' }));
    await Promise.all([api.waitFor(/Nest application successfully started/), worker.waitFor(/Worker ready/)]);
  });
  afterAll(async () => {
    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    await Promise.all([api.exited, worker.exited]);
    await db.drop();
  });

  it('writes one info line per transition with job_id, tenant_id, type, attempt and trace_id', async () => {
    const done = await submit({ type: 'default', payload: { task: 'ok' } });
    const dies = await submit({ type: 'fail', payload: {}, max_attempts: 2 });
    const cancelled = await submit({ type: 'sleep', payload: { seconds: 1 }, delay_ms: 600_000 });
    const cancel = await fetch(`${base}/api/v1/jobs/${cancelled}/cancel`, {
      method: 'POST',
      headers: { Authorization: caller.bearer },
    });
    expect(cancel.status).toBe(200);

    await waitUntil('the completed and the dead job logged their last line', () =>
      ['completed', 'dead'].every((last, i) => eventsOf([done, dies][i]).at(-1) === last),
    );
    expect(eventsOf(done)).toEqual(['received', 'started', 'completed']);
    expect(eventsOf(dies)).toEqual([
      'received',
      'started',
      'failed',
      'retry_scheduled',
      'started',
      'failed',
      'dead',
    ]);
    expect(eventsOf(cancelled)).toEqual(['received', 'cancelled']);

    const lines = lifecycleLines(api, worker).filter((line) => [done, dies, cancelled].includes(line.job_id));
    for (const line of lines)
      expect(line).toMatchObject({
        level: 30, // info
        tenant_id: caller.tenantId,
        trace_id: TRACE_ID,
        attempt: expect.any(Number),
        type: expect.stringMatching(/^(default|fail|sleep)$/),
      });
    const of = (id: string, event: string) =>
      lines.filter((line) => line.job_id === id && line.event === event);
    expect(of(done, 'received')[0]).toMatchObject({ process: 'api', attempt: 0, type: 'default' });
    expect(of(done, 'completed')[0]).toMatchObject({
      process: 'worker',
      attempt: 1,
      run_ms: expect.any(Number),
    });
    expect(of(dies, 'failed').map((line) => [line.attempt, line.error])).toEqual([
      [1, expect.stringMatching(/fail/i)],
      [2, expect.stringMatching(/fail/i)],
    ]);
    expect(of(dies, 'retry_scheduled')[0]).toMatchObject({
      attempt: 1,
      delay_ms: expect.any(Number),
      run_at: expect.any(String),
    });
    expect(of(dies, 'dead')[0]).toMatchObject({ attempt: 2 });
    expect(of(cancelled, 'cancelled')[0]).toMatchObject({ process: 'api', from_status: 'scheduled' });
  });
});
