import { type ChaosContext, type Findings } from '../src/chaos/harness';
import { postgresRestart } from '../src/chaos/postgres-restart';
import { sigkillStorm } from '../src/chaos/sigkill-storm';

/**
 * The chaos scenarios at reduced size, on the built API and worker processes (npm test builds
 * first): the same code `npm run chaos` runs, with numbers that fit a 2-core machine.
 */
const context: ChaosContext = {
  get adminUrl(): string {
    const url = process.env.TEST_ADMIN_DATABASE_URL;
    if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is unset: run through jest (globalSetup sets it)');
    return url;
  },
  log: () => undefined,
};

/** Prints the scenario's report (figures included) and fails with it when an invariant broke. */
function held(findings: Findings): void {
  process.stdout.write(`${findings.report()}\n`);
  if (findings.failures.length > 0) throw new Error(findings.report());
}

describe('chaos (reduced runs)', () => {
  it('SIGKILL storm: no job lost, each completed or dead, every attempt explained', async () => {
    const findings = await sigkillStorm(context, {
      jobs: 600,
      workers: 3,
      concurrency: 20,
      killEveryMs: 1_000,
      leaseSeconds: 2,
      seed: 7,
      timeoutMs: 60_000,
    });
    held(findings);
    expect(Number(findings.figures['kills (SIGKILL)'])).toBeGreaterThan(0);
  });

  it('PostgreSQL restart: 503 with Retry-After while down, everything back within 5 s, nothing acknowledged lost', async () => {
    held(await postgresRestart(context, { downMs: 3_000, beforeMs: 2_000, afterMs: 8_000, clients: 3 }));
  });
});
