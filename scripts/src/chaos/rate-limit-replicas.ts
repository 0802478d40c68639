import {
  type ChaosContext,
  type Findings,
  createTenant,
  http,
  runScenario,
  scratchDatabase,
  startApi,
  stop,
} from './harness';

export interface RateLimitReplicasOptions {
  ratePerSecond: number;
  burst: number;
  seconds: number;
  /** Concurrent clients, spread over the two replicas. */
  clients: number;
}

export const RATE_LIMIT_REPLICAS_FULL: RateLimitReplicasOptions = {
  ratePerSecond: 50,
  burst: 100,
  seconds: 20,
  clients: 16,
};

/**
 * Rate limit across two API replicas on one database: clients hammer a tenant's route on both
 * replicas at once for `seconds`; the requests let through must stay within rate × seconds +
 * burst (+5 %), so the bucket is shared, not one per replica. They must also reach 80 % of
 * rate × seconds (a limiter that refuses everything would pass the first check), and every 429
 * carries Retry-After.
 */
export function rateLimitReplicas(
  context: ChaosContext,
  options: RateLimitReplicasOptions,
): Promise<Findings> {
  return runScenario('rate limit across two API replicas', async (findings, cleanup) => {
    const database = await scratchDatabase(context.adminUrl);
    cleanup.push(() => database.drop());
    const tenant = await createTenant(database.url, 'limited', {
      ratePerSecond: options.ratePerSecond,
      burst: options.burst,
    });
    const replicas = await Promise.all([startApi(database.url), startApi(database.url)]);
    cleanup.push(() => Promise.all(replicas.map((api) => stop(api))));

    const counts = { accepted: 0, limited: 0, limitedWithoutRetryAfter: 0, other: new Map<number, number>() };
    const perReplica = [0, 0];
    const started = performance.now();
    const end = started + options.seconds * 1000;
    let lastStart = started;
    await Promise.all(
      Array.from({ length: options.clients }, async (_, client) => {
        const replica = client % 2;
        while (performance.now() < end) {
          lastStart = Math.max(lastStart, performance.now());
          const result = await http(`${replicas[replica].base}/api/v1/auth/me`, {
            headers: { authorization: tenant.bearer },
          });
          if (result.status === 200) {
            counts.accepted++;
            perReplica[replica]++;
          } else if (result.status === 429) {
            counts.limited++;
            if (!result.headers.get('retry-after')) counts.limitedWithoutRetryAfter++;
          } else counts.other.set(result.status, (counts.other.get(result.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (lastStart - started) / 1000;
    const allowed = (options.ratePerSecond * seconds + options.burst) * 1.05;
    const floor = 0.8 * options.ratePerSecond * seconds;

    findings.set('rate/s, burst', `${options.ratePerSecond}, ${options.burst}`);
    findings.set('load seconds', Number(seconds.toFixed(2)));
    findings.set(
      'requests',
      counts.accepted + counts.limited + [...counts.other.values()].reduce((a, b) => a + b, 0),
    );
    findings.set('accepted', counts.accepted);
    findings.set('accepted per replica', perReplica.join(' + '));
    findings.set('bound: (rate × seconds + burst) × 1.05', Math.floor(allowed));
    findings.set('429', counts.limited);
    findings.set(
      'other answers',
      [...counts.other].map(([status, n]) => `${status}×${n}`).join(' ') || 'none',
    );

    findings.expect(
      counts.accepted <= allowed,
      `${counts.accepted} requests let through, above ${Math.floor(allowed)}`,
    );
    findings.expect(
      counts.accepted >= floor,
      `only ${counts.accepted} let through, under 80 % of the rate (${Math.floor(floor)})`,
    );
    findings.expect(
      perReplica.every((n) => n > 0),
      'one replica let nothing through',
    );
    findings.expect(
      counts.limited > 0 && counts.limitedWithoutRetryAfter === 0,
      '429s missing, or without Retry-After',
    );
    findings.expect(counts.other.size === 0, 'answers other than 200 and 429');
  });
}
