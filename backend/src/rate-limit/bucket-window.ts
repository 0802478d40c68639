/** A tenant's limits: a token bucket holding `burst` tokens, refilled at `perSecond`. */
export interface RateLimitPolicy {
  perSecond: number;
  burst: number;
}

/** One fixed window of rate-limiter-flexible: `points` requests per `durationMs`. */
export interface BucketWindow {
  points: number;
  durationMs: number;
}

/**
 * The fixed window that stands in for a token bucket, as rate-limiter-flexible has no token
 * bucket over a store: its PostgreSQL limiter counts points in a window that opens at the first
 * request after the previous one expired.
 *
 * The rule that MUST hold: over any T seconds, accepted ≤ perSecond × T + burst.
 *
 * A window of `points` per `d` admits at most points · (⌈T/d⌉ + 1) in any T seconds, since T can
 * touch the tail of one window and the head of the next: < (points/d) · T + 2 · points. So
 * points/d ≤ perSecond and 2 · points ≤ burst keep the rule: `points = ⌊burst/2⌋`,
 * `d = points / perSecond` (defaults: 100 per second; a burst under twice the rate gives a
 * window shorter than a second).
 *
 * Why not BurstyRateLimiter (a per-second limiter plus a burst limiter tried when it refuses):
 * - The textbook pair (perSecond per second, plus burst) admits perSecond + burst at once from
 *   idle and twice that where both windows roll over together: 2 · (perSecond + burst), and a
 *   sustained rate above perSecond unless the burst window is very long. It breaks the rule.
 * - Any set of fixed windows can roll over together, so whatever they admit at once from idle
 *   they admit twice in an instant: the rule caps every composition at burst/2 from idle, which
 *   one window already gives. Bursty would only reshape the refill, at the price of a second
 *   round trip to PostgreSQL for every request once the per-second window is spent, and of
 *   X-RateLimit-Remaining (it hides the burst window's points).
 * The one place a second window would help is a bucket many seconds deep (burst ≫ 2 · rate):
 * the single window is then burst / (2 · rate) seconds long, and a client that spent it waits
 * that long instead of getting a trickle. An exact token bucket (GCRA) would need SQL of our
 * own against the store; the library ships none.
 *
 * Edges: burst 1 still needs one point, so it admits 2 at a window edge. Windows are whole
 * milliseconds (the library writes `now + duration · 1000` into a bigint column); the round-up
 * only lowers the rate, and only below 1 ms windows (a burst under rate/500) by much.
 */
export function bucketWindow({ perSecond, burst }: RateLimitPolicy): BucketWindow {
  // Config and the tenants table's CHECKs keep both ≥ 1; anything else would loop below.
  if (!(perSecond >= 1 && burst >= 1 && Number.isFinite(perSecond) && Number.isFinite(burst)))
    throw new RangeError(`rate limit needs perSecond ≥ 1 and burst ≥ 1, got ${perSecond} and ${burst}`);
  const points = Math.max(1, Math.floor(burst / 2));
  let durationMs = Math.max(1, Math.ceil((points * 1000) / perSecond));
  // The library computes (durationMs / 1000) * 1000, which is not always whole (1001 → 1000.99…).
  while (!Number.isInteger((durationMs / 1000) * 1000)) durationMs++;
  return { points, durationMs };
}
