import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import request from 'supertest';
import { parse } from 'yaml';
import { freePort } from '../src/database/embedded/embedded-database';
import { JobQueue } from '../src/queue/job-queue';
import { startApi } from './support/api';
import { jobFactory } from './support/job-factory';
import {
  builtScript,
  cleanEnv,
  REPO_ROOT,
  type RunningProcess,
  startNode,
  waitUntil,
} from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

const DIR = path.join(REPO_ROOT, 'deploy', 'observability');
const METRIC = /\bconveyor_[a-z0-9_]+\b/g;

const dashboard = JSON.parse(readFileSync(path.join(DIR, 'grafana-dashboard.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};
const rules = parse(readFileSync(path.join(DIR, 'alerts.rules.yml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
};
const dashboardExprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
const ruleExprs = rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));

/** Every series name a scrape can show: TYPE lines, with a histogram's _bucket, _sum and _count. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

const gauge = (text: string, name: string): number =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('Grafana dashboard and alert rules against real /metrics', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let pool: Pool;
  let worker: RunningProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url);
    pool = new Pool({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await app.close();
    await pool.end();
    await db.drop();
  });

  it('the dashboard and the rules cover what operators need', () => {
    const panels = dashboard.panels.map((panel) => panel.title.toLowerCase()).join('\n');
    for (const topic of [
      'throughput',
      'failure rate',
      'queue depth',
      'oldest ready',
      'wait',
      'run time',
      'dlq',
      'rate-limit',
      'api latency',
      'live workers',
    ])
      expect(panels).toContain(topic);
    expect(rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert))).toEqual(
      expect.arrayContaining([
        'ConveyorOldestReadyJobTooOld',
        'ConveyorDLQGrowing',
        'ConveyorNoLiveWorkers',
        'ConveyorApiErrorRate',
        'ConveyorRescuedLeasesRising',
      ]),
    );
  });

  it('every metric the dashboard and the rules name is exported by the API or a worker', async () => {
    const [tenant] = await query<{ id: string }>(
      db.url,
      `INSERT INTO tenants (name) VALUES ('acme') RETURNING id`,
    );
    // Due two minutes ago and no worker yet: the oldest ready job is at least that old.
    await new JobQueue(pool).insertMany([
      jobFactory.build(tenant.id, { runAt: new Date(Date.now() - 120_000) }),
      jobFactory.build(tenant.id, { type: 'fail', maxAttempts: 1 }),
    ]);
    const before = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(gauge(before, 'conveyor_oldest_ready_job_age_seconds')).toBeGreaterThanOrEqual(119);
    expect(gauge(before, 'conveyor_workers')).toBe(0);

    const port = await freePort();
    worker = startNode(
      builtScript('backend/src/main.worker.js'),
      [],
      cleanEnv({ DATABASE_URL: db.url, WORKER_METRICS_PORT: String(port), WORKERS_HEARTBEAT_SECONDS: '1' }),
    );
    await waitUntil(
      'the worker ran both jobs',
      async () => {
        const [{ n }] = await query<{ n: number }>(
          db.url,
          `SELECT count(*)::int AS n FROM jobs WHERE status IN ('completed', 'dead')`,
        );
        return n === 2;
      },
      30_000,
    );
    const api = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(gauge(api, 'conveyor_workers')).toBe(1);
    expect(gauge(api, 'conveyor_oldest_ready_job_age_seconds')).toBe(0);
    const workerText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

    const exposed = new Set([...exposedNames(api), ...exposedNames(workerText)]);
    const named = new Set([...dashboardExprs, ...ruleExprs].flatMap((expr) => expr.match(METRIC) ?? []));
    expect([...named]).toEqual(
      expect.arrayContaining([
        'conveyor_workers',
        'conveyor_oldest_ready_job_age_seconds',
        'conveyor_worker_rescued_jobs_total',
        'conveyor_http_request_duration_seconds_bucket',
        'conveyor_rate_limit_refusals_total',
      ]),
    );
    expect([...named].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
