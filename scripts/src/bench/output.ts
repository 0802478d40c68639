import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { median } from '../bench-stats';
import { chartSpecs, renderSvg } from './charts';
import {
  isPeer,
  type Mode,
  type MetricResult,
  type Results,
  type Sizes,
  type SystemId,
  SYSTEM_LABELS,
  SYSTEMS,
} from './model';
import { type Machine } from './machine';

export interface ScenarioReport {
  id: string;
  title: string;
  description: string;
  skipped?: string;
  notes: string[];
}

export interface Report {
  mode: Mode;
  command: string;
  machine: Machine;
  seconds: number;
  sizes: Sizes;
  scenarios: ScenarioReport[];
  results: Results;
}

interface Comparison {
  peer: SystemId;
  peerMedian: number;
  ratios: Partial<Record<SystemId, number>>;
}

/** Conveyor's medians over the best peer setup's median, where both were measured. */
export function compare(metric: MetricResult): Comparison | undefined {
  const medianOf = (system: SystemId) => {
    const values = metric.rounds[system];
    return values && values.length > 0 ? median(values) : undefined;
  };
  let best: { peer: SystemId; value: number } | undefined;
  for (const system of SYSTEMS.filter(isPeer)) {
    const value = medianOf(system);
    if (value === undefined) continue;
    if (!best || (metric.better === 'higher' ? value > best.value : value < best.value))
      best = { peer: system, value };
  }
  if (!best || best.value === 0) return undefined;
  const ratios: Partial<Record<SystemId, number>> = {};
  for (const system of ['conveyor', 'conveyor-http'] as const) {
    const value = medianOf(system);
    if (value !== undefined) ratios[system] = +(value / best.value).toPrecision(2);
  }
  return Object.keys(ratios).length > 0 ? { peer: best.peer, peerMedian: best.value, ratios } : undefined;
}

const number = (value: number) =>
  Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en') : String(+value.toPrecision(3));

function cell(values: number[] | undefined): string {
  if (!values || values.length === 0) return '—';
  const mid = number(median(values));
  if (values.length === 1) return mid;
  return `${mid}<br><sub>${number(Math.min(...values))}–${number(Math.max(...values))}</sub>`;
}

function ratioCell(metric: MetricResult): string {
  const comparison = compare(metric);
  if (!comparison) return '—';
  const parts = Object.entries(comparison.ratios).map(
    ([system, ratio]) => `${system === 'conveyor-http' ? 'API ' : ''}${ratio}×`,
  );
  return `${parts.join(', ')}<br><sub>vs ${SYSTEM_LABELS[comparison.peer]}</sub>`;
}

function modeBanner(report: Report): string {
  if (report.mode === 'quick')
    return (
      '> **Quick run** (`npm run bench -- --quick`): the same scenarios at smaller sizes (listed per ' +
      'scenario below), no scale scenario, a few pickup samples per round. A first look, not the record: ' +
      'the full run is `npm run bench`.'
    );
  if (report.mode === 'smoke')
    return '> **Smoke run**: tiny sizes, to check that the report is produced; the figures mean nothing.';
  return '> **Full run** (`npm run bench`).';
}

export function markdown(report: Report, charts: string[]): string {
  const { machine, results } = report;
  const lines: string[] = [];
  lines.push('# Conveyor benchmark report', '');
  lines.push(modeBanner(report), '');
  lines.push(
    `- Machine: ${machine.cores} cores (${machine.cpu_model}), ${machine.memory_gib} GiB memory, ${machine.os}`,
    `- PostgreSQL ${machine.postgres_version} (${machine.database}), same server and settings for every system (below); pgbench ${machine.pgbench_version ?? 'not installed'}`,
    `- Node ${machine.node_version}; ${SYSTEMS.filter(isPeer)
      .map((id) => SYSTEM_LABELS[id].split(' ')[0])
      .filter((name, i, all) => all.indexOf(name) === i)
      .map((name) => `${name} ${machine.peer_versions[name] ?? '?'}`)
      .join(', ')} (pinned in scripts/package.json)`,
    `- Date: ${machine.date}; load average at start ${machine.load_average_start.map((n) => n.toFixed(1)).join(' / ')}, at end ${machine.load_average_end?.map((n) => n.toFixed(1)).join(' / ') ?? '?'}`,
    `- Command: \`${report.command}\`, ${report.sizes.rounds} round(s), took ${Math.floor(report.seconds / 60)} min ${Math.round(report.seconds % 60)} s`,
    `- Code: ${machine.git ? `commit ${machine.git.commit}${machine.git.changed_files > 0 ? ` with uncommitted changes in ${machine.git.changed_files} tracked file(s), measured as built` : ''}` : 'not a git checkout'}`,
    '',
  );
  lines.push(
    'Each figure is the median of the rounds (systems interleaved: round 1 of every system, then ' +
      "round 2, …), with the rounds' range under it. **Conveyor / best peer** divides Conveyor's " +
      "median (and its API's, marked API) by the best peer setup's: above 1 Conveyor is ahead for " +
      'rates (jobs/s), below 1 it is ahead for times and memory. Every system runs on the same ' +
      'PostgreSQL in a fresh database of its own, ANALYZEd after each bulk load. Absolute figures on a ' +
      'shared 2-core machine are noisy: compare within a run.',
    '',
  );

  const columns = SYSTEMS.filter((system) => results.metrics.some((m) => m.rounds[system]));
  lines.push('## Figures', '');
  lines.push(
    `| Scenario | Metric | Unit | ${columns.map((c) => SYSTEM_LABELS[c]).join(' | ')} | Conveyor / best peer |`,
  );
  lines.push(`|---|---|---|${columns.map(() => '---:').join('|')}|---|`);
  for (const scenario of report.scenarios) {
    for (const metric of results.metrics.filter((m) => m.scenario === scenario.id))
      lines.push(
        `| ${scenario.title} | ${metric.label} | ${metric.unit} | ${columns.map((c) => cell(metric.rounds[c])).join(' | ')} | ${ratioCell(metric)} |`,
      );
  }
  lines.push('');
  const skipped = report.scenarios.filter((s) => s.skipped);
  if (skipped.length > 0)
    lines.push(`Not run: ${skipped.map((s) => `${s.title} (${s.skipped})`).join('; ')}.`, '');

  if (charts.length > 0) {
    lines.push('## Charts', '');
    for (const chart of charts) lines.push(`![${chart}](${chart})`, '');
  }

  lines.push('## Scenarios', '');
  for (const scenario of report.scenarios) {
    lines.push(`### ${scenario.title} (\`--only ${scenario.id}\`)`, '');
    lines.push(scenario.skipped ? `Not run: ${scenario.skipped}.` : scenario.description, '');
    for (const note of scenario.notes) lines.push(`- ${note}`);
    if (scenario.notes.length > 0) lines.push('');
  }

  lines.push('## Setups', '');
  for (const [system, setups] of results.setups)
    for (const { scenarios, settings } of setups)
      lines.push(`- **${SYSTEM_LABELS[system]}** (${scenarios.join(', ')}): \`${JSON.stringify(settings)}\``);
  lines.push('');
  lines.push('## PostgreSQL settings', '');
  lines.push('| Setting | Value |', '|---|---|');
  for (const [name, value] of Object.entries(machine.postgres_settings)) lines.push(`| ${name} | ${value} |`);
  lines.push('');
  return lines.join('\n');
}

export function json(report: Report) {
  return {
    mode: report.mode,
    command: report.command,
    seconds: Math.round(report.seconds),
    machine: report.machine,
    sizes: report.sizes,
    scenarios: report.scenarios.map((scenario) => ({
      ...scenario,
      metrics: report.results.metrics
        .filter((m) => m.scenario === scenario.id)
        .map((m) => {
          const comparison = compare(m);
          return {
            key: m.key,
            label: m.label,
            unit: m.unit,
            better: m.better,
            ...(m.signed && { signed: true }),
            systems: Object.fromEntries(
              Object.entries(m.rounds).map(([system, rounds]) => [
                system,
                { median: median(rounds!), rounds },
              ]),
            ),
            ...(comparison && {
              best_peer: { system: comparison.peer, median: comparison.peerMedian },
              conveyor_per_best_peer: comparison.ratios,
            }),
          };
        }),
    })),
    setups: Object.fromEntries(report.results.setups),
    series: Object.fromEntries(report.results.series),
  };
}

/** Writes report.md, report.json (formatted as the repository's prettier would) and the charts to `dir`. */
export async function writeReport(report: Report, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const charts: string[] = [];
  for (const [file, spec] of Object.entries(chartSpecs(report.results.metrics, report.results.series))) {
    writeFileSync(path.join(dir, file), await renderSvg(spec));
    charts.push(file);
  }
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(path.join(dir, 'report.json'))) ?? {};
  writeFileSync(
    path.join(dir, 'report.json'),
    await prettier.format(JSON.stringify(json(report)), { ...options, parser: 'json' }),
  );
  writeFileSync(path.join(dir, 'report.md'), markdown(report, charts));
  return ['report.md', 'report.json', ...charts];
}
