import { type MetricResult, type SeriesPoint, type SystemId, SYSTEM_LABELS, SYSTEMS } from './model';
import { median } from '../bench-stats';

interface Datum {
  group: string;
  system: string;
  series?: string;
  value: number;
}

/** Colours per system, the same in every chart. */
const COLOURS: Record<SystemId, string> = {
  conveyor: '#1f77b4',
  'conveyor-http': '#6baed6',
  'pg-boss': '#d62728',
  'pg-boss-default': '#ff9896',
  'graphile-worker': '#2ca02c',
  'graphile-worker-default': '#98df8a',
};

const systemScale = {
  domain: SYSTEMS.map((id) => SYSTEM_LABELS[id]),
  range: SYSTEMS.map((id) => COLOURS[id]),
};

/** Medians of every system for the given metrics, one datum each. */
function medians(
  metrics: MetricResult[],
  group: (metric: MetricResult) => string,
  series?: (m: MetricResult) => string,
) {
  const data: Datum[] = [];
  for (const metric of metrics)
    for (const system of SYSTEMS) {
      const values = metric.rounds[system];
      if (values && values.length > 0)
        data.push({
          group: group(metric),
          system: SYSTEM_LABELS[system],
          series: series?.(metric),
          value: median(values),
        });
    }
  return data;
}

/** Labelled horizontal bars of `value` per `system`, the systems in `order`. */
function labelledBars(order: string[], unit: string) {
  return {
    width: 420,
    layer: [
      { mark: 'bar' },
      {
        mark: { type: 'text', align: 'left', dx: 3 },
        encoding: { text: { field: 'value', type: 'quantitative', format: ',.0f' } },
      },
    ],
    encoding: {
      y: { field: 'system', type: 'nominal', title: null, sort: order, axis: { labelLimit: 220 } },
      x: { field: 'value', type: 'quantitative', title: unit },
    },
  };
}

/** Bars per system, one panel per metric, each panel on its own scale (rates differ a thousandfold). */
function barsSpec(title: string, unit: string, data: Datum[]) {
  const bars = labelledBars(systemScale.domain, unit);
  const color = { field: 'system', type: 'nominal', scale: systemScale, legend: null };
  return {
    title,
    data: { values: data },
    facet: { row: { field: 'group', type: 'nominal', title: null, sort: groups(data), header: HEADER } },
    spec: { ...bars, encoding: { ...bars.encoding, color } },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}

/** Plain bars, one per process, in the data's order. */
function processBars(title: string, data: Datum[]) {
  return {
    title,
    data: { values: data },
    ...labelledBars(
      data.map((d) => d.system),
      'MiB',
    ),
  };
}

/** Facet titles above each panel, left-aligned, in full. */
const HEADER = {
  labelOrient: 'top',
  labelAnchor: 'start',
  labelAngle: 0,
  labelFontSize: 12,
  labelFontWeight: 'bold',
  labelLimit: 700,
};

/** The panels in the order their data came (the report's order), not alphabetical. */
const groups = (data: Datum[]) => data.map((d) => d.group).filter((g, i, all) => all.indexOf(g) === i);

/**
 * p50/p95/p99 as points per system (or case), on a log axis: latencies span a millisecond to
 * seconds. A 0 (events are timed to the millisecond) cannot sit on it and is left out.
 */
function percentilesSpec(title: string, data: Datum[], rowTitle: string | null) {
  const shown = data.filter((d) => d.value > 0);
  const systems = shown.map((d) => d.system).filter((g, i, all) => all.indexOf(g) === i);
  return {
    title,
    data: { values: shown },
    facet: { row: { field: 'group', type: 'nominal', title: rowTitle, sort: groups(shown), header: HEADER } },
    spec: {
      width: 420,
      mark: { type: 'point', filled: true, size: 70 },
      encoding: {
        y: { field: 'system', type: 'nominal', title: null, sort: systems, axis: { labelLimit: 460 } },
        x: { field: 'value', type: 'quantitative', title: 'ms (log scale)', scale: { type: 'log' } },
        color: { field: 'series', type: 'nominal', title: 'percentile', sort: ['p50', 'p95', 'p99'] },
        shape: { field: 'series', type: 'nominal', sort: ['p50', 'p95', 'p99'] },
        tooltip: [{ field: 'value', type: 'quantitative' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

const percentileOf = (metric: MetricResult) => /(p50|p95|p99)/.exec(metric.key)?.[1] ?? '';
const withoutPercentile = (label: string) => label.replace(/:\s*p\d\d$/, '');

/** The report's charts as vega-lite specs, by file name; a chart without data is left out. */
export function chartSpecs(
  metrics: MetricResult[],
  series: ReadonlyMap<string, SeriesPoint[]> = new Map(),
): Record<string, object> {
  const by = (scenario: string, test: (m: MetricResult) => boolean = () => true) =>
    metrics.filter((m) => m.scenario === scenario && test(m));
  const specs: Record<string, object> = {};

  const rates = metrics.filter((m) => m.unit === 'jobs/s');
  if (rates.length > 0)
    specs['throughput.svg'] = barsSpec(
      'Throughput, jobs/s (median of rounds)',
      'jobs/s',
      medians(rates, (m) => m.label.replace(/: jobs\/s$/, '')),
    );

  const pickup = by('queue', (m) => m.key.startsWith('pickup_'));
  if (pickup.length > 0)
    specs['pickup.svg'] = percentilesSpec(
      'Idle pickup latency, ms (median of rounds)',
      medians(pickup, (m) => withoutPercentile(m.label), percentileOf),
      null,
    );

  /** Conveyor-only latencies: one row per case, the case being the label's part after its first comma. */
  const latency = (scenario: string, title: string) => {
    const chosen = by(scenario, (m) => m.unit === 'ms');
    const data = chosen.flatMap((m) =>
      Object.values(m.rounds)
        .filter((values) => values && values.length > 0)
        .map((values) => ({
          group: '',
          system: withoutPercentile(m.label).replace(/^[^,]*, /, ''),
          series: percentileOf(m),
          value: median(values!),
        })),
    );
    return data.length > 0 ? percentilesSpec(title, data, null) : undefined;
  };
  const events = latency('events', 'Event commit → socket.io frame, ms (Conveyor, median of rounds)');
  if (events) specs['events.svg'] = events;
  const fairness = latency('fairness', "A tenant's wait, insert → lock, ms (Conveyor, median of rounds)");
  if (fairness) specs['fairness.svg'] = fairness;
  const scale = by('scale', (m) => m.unit === 'ms');
  if (scale.length > 0)
    specs['scale.svg'] = percentilesSpec(
      "Another tenant's pickup with the large backlog queued, ms",
      medians(scale, (m) => withoutPercentile(m.label), percentileOf),
      null,
    );
  const memory = by('rss');
  if (memory.length > 0) {
    // Conveyor's column holds the worker's figure, its API's the API process's.
    const names: Record<string, string> = {
      [SYSTEM_LABELS.conveyor]: 'Conveyor worker process',
      [SYSTEM_LABELS['conveyor-http']]: 'Conveyor API process',
    };
    const data = medians(memory, () => 'idle RSS').map((d) => ({
      ...d,
      system: names[d.system] ?? d.system,
    }));
    specs['memory.svg'] = processBars('Idle RSS, MiB (median of rounds)', data);
  }
  const sizes = series.get('retention');
  if (sizes && sizes.length > 0)
    specs['retention.svg'] = linesSpec('Sizes during the long run with pruning, MiB', sizes);
  return specs;
}

/** Lines over the seconds of a run, one per `line`, in the data's order. */
function linesSpec(title: string, data: SeriesPoint[]) {
  const lines = data.map((d) => d.line).filter((l, i, all) => all.indexOf(l) === i);
  return {
    title,
    data: { values: data },
    width: 520,
    height: 240,
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'second', type: 'quantitative', title: 'seconds into the run' },
      y: { field: 'value', type: 'quantitative', title: 'MiB' },
      color: {
        field: 'line',
        type: 'nominal',
        title: null,
        sort: lines,
        legend: { orient: 'bottom', labelLimit: 400 },
      },
    },
  };
}

/** Renders a vega-lite spec to SVG in Node, without a canvas (text is measured by estimate). */
export async function renderSvg(spec: object): Promise<string> {
  // Both are ES modules with top-level await: loaded with import(), which a CommonJS build keeps.
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  // Quiet: vega-lite warns that the facets' independent scales share a field, which they do by design.
  const logger = vega.logger(vega.None);
  const compiled = vegaLite.compile(
    { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...spec } as never,
    {
      logger,
    },
  );
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
