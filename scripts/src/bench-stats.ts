/** Small helpers every benchmark script shares. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A count as the report prints it: 100,000. */
export const fmt = (n: number) => n.toLocaleString('en');

/** The p-th percentile of ascending `sorted` (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Polls `check` every `intervalMs` until it holds. */
export async function waitFor(check: () => Promise<boolean>, intervalMs: number): Promise<void> {
  while (!(await check())) await sleep(intervalMs);
}

/** `--<name> N` from the command line (a whole number above 0), else `fallback`; exits on a bad N. */
export function wholeNumberArg(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} needs a whole number above 0, not ${args[at + 1] ?? 'nothing'}`);
    process.exit(1);
  }
  return value;
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface LatencySummary {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
}

/** p50/p95/p99 (nearest rank) of unsorted latencies, in their unit, to 0.01. */
export function latencySummary(latencies: number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? NaN : +percentile(sorted, p).toFixed(2));
  return { samples: sorted.length, p50: at(50), p95: at(95), p99: at(99) };
}
