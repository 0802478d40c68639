import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type TimeseriesPoint } from '../services/metrics';

/** Chart columns: minute (s), completed, failed attempts, failure rate (%). */
export function chartData(points: TimeseriesPoint[]): AlignedData {
  const x: number[] = [];
  const completed: number[] = [];
  const failed: number[] = [];
  const rate: Array<number | null> = [];
  for (const point of points) {
    x.push(Date.parse(point.minute) / 1000);
    completed.push(point.completed);
    failed.push(point.failed);
    const finished = point.completed + point.failed;
    rate.push(finished > 0 ? Math.round((point.failed / finished) * 1000) / 10 : null);
  }
  return [x, completed, failed, rate];
}

const HEIGHT = 220;

function options(width: number): Options {
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, rate: { range: [0, 100] } },
    axes: [
      {},
      { label: 'jobs / min', size: 60 },
      { scale: 'rate', side: 1, label: 'failure %', grid: { show: false }, size: 50 },
    ],
    series: [
      {},
      { label: 'Completed', stroke: '#2f8f4e', fill: 'rgba(47,143,78,0.12)', width: 2 },
      { label: 'Failed attempts', stroke: '#c0392b', width: 2 },
      { label: 'Failure rate %', stroke: '#e0a100', scale: 'rate', dash: [4, 4], width: 1.5 },
    ],
  };
}

/**
 * Throughput and failure rate per minute over the last hour. uPlot (about 20 KB gzipped, drawn on
 * a canvas) is made once; new points go in with setData, so a live update redraws without
 * rebuilding the chart. docs/dashboard.md has the bundle sizes that chose it.
 */
export function ThroughputChart({ points }: { points: TimeseriesPoint[] }) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(points);
  latest.current = points;

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const made = new uPlot(options(element.clientWidth || 600), chartData(latest.current), element);
    chart.current = made;
    const resize = new ResizeObserver(() =>
      made.setSize({ width: element.clientWidth || 600, height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      made.destroy();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setData(chartData(points));
  }, [points]);

  return (
    <div
      ref={holder}
      className="chart"
      role="img"
      aria-label="Completed and failed jobs per minute, last hour"
    />
  );
}
