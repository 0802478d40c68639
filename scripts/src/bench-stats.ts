/** Small helpers every benchmark script shares. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The p-th percentile of ascending `sorted` (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Polls `check` every `intervalMs` until it holds. */
export async function waitFor(check: () => Promise<boolean>, intervalMs: number): Promise<void> {
  while (!(await check())) await sleep(intervalMs);
}
