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
