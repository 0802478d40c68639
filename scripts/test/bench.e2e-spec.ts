import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtScript, cleanEnv, runNode } from '../../backend/test/support/processes';
import { SYSTEM_LABELS, type SystemId } from '../src/bench/model';

interface MetricJson {
  key: string;
  unit: string;
  signed?: boolean;
  systems: Record<string, { median: number; rounds: number[] }>;
  conveyor_per_best_peer?: Record<string, number>;
}

interface ReportJson {
  mode: string;
  machine: Record<string, unknown>;
  sizes: { retentionRate: number; retentionRunSeconds: number };
  scenarios: Array<{ id: string; skipped?: string; notes?: string[]; metrics: MetricJson[] }>;
}

/**
 * `npm run bench` at smoke size (a few hundred jobs, one round) on the test server, through the
 * built script as a person runs it (the charts' libraries are ES modules a jest file cannot load):
 * every scenario runs (scale with 1,000 jobs queued), and the report's files come out with figures.
 */
describe('benchmark report (smoke run)', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(path.join(tmpdir(), 'conveyor-bench-report-'));
  });

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes report.md, report.json and SVG charts with non-zero figures for every system', async () => {
    const adminUrl = process.env.TEST_ADMIN_DATABASE_URL;
    if (!adminUrl)
      throw new Error('TEST_ADMIN_DATABASE_URL is unset: run through jest (globalSetup sets it)');
    const run = await runNode(
      builtScript('scripts/src/bench.js'),
      ['--smoke', '--out', out],
      cleanEnv({ DATABASE_URL: adminUrl }),
    );
    expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });

    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as ReportJson;
    expect(report.mode).toBe('smoke');
    for (const field of ['cores', 'memory_gib', 'cpu_model', 'postgres_version', 'node_version', 'date'])
      expect(report.machine[field]).toBeTruthy();

    const byId = Object.fromEntries(report.scenarios.map((s) => [s.id, s]));
    expect(Object.keys(byId).sort()).toEqual(
      ['events', 'fairness', 'pgbench', 'queue', 'retention', 'rss', 'scale', 'submit'].sort(),
    );
    for (const id of ['submit', 'queue', 'events', 'fairness', 'pgbench', 'rss', 'scale', 'retention'])
      expect([id, byId[id].skipped]).toEqual([id, undefined]);

    const systems = (id: string, key: string) =>
      Object.keys(byId[id].metrics.find((m) => m.key === key)!.systems);
    expect(systems('submit', 'single_jobs_per_second').sort()).toEqual(
      [
        'conveyor',
        'conveyor-http',
        'graphile-worker',
        'graphile-worker-default',
        'pg-boss',
        'pg-boss-default',
      ].sort(),
    );
    expect(systems('queue', 'drain_small_jobs_per_second').sort()).toEqual(
      ['conveyor', 'graphile-worker', 'graphile-worker-default', 'pg-boss', 'pg-boss-default'].sort(),
    );
    expect(systems('queue', 'pickup_db_p50_ms')).toContain('conveyor');
    // A system whose pickup was measured has no note saying it had none.
    const measured = systems('queue', 'pickup_db_p50_ms').map((id) => SYSTEM_LABELS[id as SystemId]);
    expect(
      (byId.queue.notes ?? []).filter(
        (note) =>
          note.includes('no pickup measured') && measured.some((label) => note.startsWith(`${label}:`)),
      ),
    ).toEqual([]);
    expect(systems('queue', 'pickup_floor_db_p50_ms')).toEqual(['conveyor']);
    expect(systems('queue', 'pickup_db_p50_vs_floor')).toContain('conveyor');
    // Every peer and the API measure the briefest batch answer; the in-process queue has none.
    expect(systems('submit', 'batch_minimal_jobs_per_second').sort()).toEqual(
      systems('submit', 'batch_jobs_per_second')
        .filter((id) => id !== 'conveyor')
        .sort(),
    );
    // PostgreSQL runs on this machine here (embedded, or DATABASE_URL's local server): its CPU is read.
    expect(systems('submit', 'single_jobs_per_cpu_second').sort()).toEqual(
      systems('submit', 'single_jobs_per_second').sort(),
    );
    // and pgbench's server CPU, backends that came and went with it included (a smoke drain may be
    // too short for the 10 ms ticks of /proc: its per-CPU figure is then left out, never 0).
    expect(systems('pgbench', 'ceiling_jobs_per_cpu_second')).toEqual(['conveyor']);
    // The server cannot have used more than every core over the metered run (as a double count
    // would). Set against pgbench's own time (tps without its start and connections) instead, it
    // did once, with other test files busy on the same server.
    const ceilingCores = byId.pgbench.metrics.find((m) => m.key === 'ceiling_server_cores_busy')!;
    expect(ceilingCores.systems.conveyor.median).toBeGreaterThan(0);
    expect(ceilingCores.systems.conveyor.median).toBeLessThanOrEqual(Number(report.machine.cores) * 1.05);

    // Rates, times of pickups and waits, and memory are never 0; CPU shares may round to 0, and so
    // may the flooding tenant's rate over the few jobs a smoke run times beside it. A signed figure
    // (a cost measured as a difference) may fall below 0 when the two sides are within noise.
    for (const scenario of report.scenarios)
      for (const metric of scenario.metrics)
        for (const [system, { median, rounds }] of Object.entries(metric.systems)) {
          const figure = `${scenario.id}.${metric.key}.${system}`;
          const inRange = (value: number) => Number.isFinite(value) && (metric.signed || value >= 0);
          expect([figure, rounds.every(inRange)]).toEqual([figure, true]);
          if (
            metric.key !== 'flood_jobs_per_second' &&
            (['jobs/s', 'jobs/CPU-s', 'MiB'].includes(metric.unit) ||
              /pickup|alone|flood_p|scheduled/.test(metric.key))
          )
            expect([figure, median > 0]).toEqual([figure, true]);
        }
    expect(systems('scale', 'other_tenant_p95_vs_quiet')).toEqual(['conveyor']);
    expect(systems('scale', 'other_tenant_quiet_p95_ms')).toEqual(['conveyor']);
    expect(systems('scale', 'other_tenant_busy_twin_p95_ms')).toEqual(['conveyor']);
    expect(systems('scale', 'other_tenant_p95_vs_busy_twin')).toEqual(['conveyor']);
    // The soak kept up with its submissions and pruned: the table holds about a retention window.
    expect(systems('retention', 'completed_jobs_per_second')).toEqual(['conveyor']);
    const kept = byId.retention.metrics.find((m) => m.key === 'jobs_kept_end')!.systems.conveyor.median;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(0.75 * report.sizes.retentionRate * report.sizes.retentionRunSeconds);
    // Its sizes are compared only once the table has been vacuumed; a smoke run is too short for autovacuum.
    if (!byId.retention.metrics.some((m) => m.key === 'jobs_growth_percent'))
      expect(byId.retention.notes?.join(' ')).toMatch(/vacuum/);
    const drain = byId.queue.metrics.find((m) => m.key === 'drain_small_jobs_per_second')!;
    expect(drain.conveyor_per_best_peer?.conveyor).toBeGreaterThan(0);

    const markdown = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(markdown).toMatch(/^# Conveyor benchmark report/);
    expect(markdown).toContain('| Scenario | Metric | Unit | Conveyor |');
    expect(markdown).toMatch(/PostgreSQL \d+/);
    for (const chart of [
      'throughput.svg',
      'pickup.svg',
      'events.svg',
      'fairness.svg',
      'memory.svg',
      'retention.svg',
    ]) {
      expect([chart, existsSync(path.join(out, chart))]).toEqual([chart, true]);
      expect(readFileSync(path.join(out, chart), 'utf8')).toMatch(/^<svg[^>]*>.*<\/svg>$/s);
      expect(markdown).toContain(`](${chart})`);
    }
  }, 150_000);
});
