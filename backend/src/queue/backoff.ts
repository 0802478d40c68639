export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before the retry that follows failed attempt `attempt` (1-based): base · 2^attempt,
 * capped, with "equal jitter" (half fixed, half random) so a burst of failures does not retry
 * in lockstep yet never retries sooner than half the nominal delay.
 */
export function retryDelayMs(
  attempt: number,
  { baseMs, maxMs }: BackoffOptions,
  random = Math.random,
): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
