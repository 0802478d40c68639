import { type ChaosContext, type Findings } from '../src/chaos/harness';
import { cpuHeavy } from '../src/chaos/cpu-heavy';
import { fuzz } from '../src/chaos/fuzz';
import { dlqRedrive } from '../src/chaos/dlq-redrive';
import { gracefulShutdown } from '../src/chaos/graceful-shutdown';
import { isolation } from '../src/chaos/isolation';
import { longJobs } from '../src/chaos/long-jobs';
import { multipartFlood } from '../src/chaos/multipart-flood';
import { postgresRestart } from '../src/chaos/postgres-restart';
import { rateLimitReplicas } from '../src/chaos/rate-limit-replicas';
import { retentionSoak } from '../src/chaos/retention-soak';
import { scheduledAhead } from '../src/chaos/scheduled-ahead';
import { sigkillStorm } from '../src/chaos/sigkill-storm';
import { socketFlood } from '../src/chaos/socket-flood';
import { unauthFlood } from '../src/chaos/unauth-flood';

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

/**
 * Prints the scenario's report (figures included) and fails with it when an invariant broke.
 * `knownBugs` match failures the scenario found in the product and docs/chaos.md records: they
 * must still occur (a fix makes this test fail, so the exception is removed with it), and nothing
 * else may break.
 */
function held(findings: Findings, knownBugs: RegExp[] = []): void {
  process.stdout.write(`${findings.report()}\n`);
  const unexpected = findings.failures.filter((failure) => !knownBugs.some((bug) => bug.test(failure)));
  if (unexpected.length > 0) throw new Error(findings.report());
  const gone = knownBugs.filter((bug) => !findings.failures.some((failure) => bug.test(failure)));
  if (gone.length > 0)
    throw new Error(`known bug(s) no longer seen, remove their exception: ${gone.join(', ')}`);
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

  it('graceful shutdown under load: in-flight requests answered, jobs finished or released, no lease left', async () => {
    const findings = await gracefulShutdown(context, {
      workers: 2,
      clients: 6,
      batch: 100,
      loadMs: 4_000,
      graceSeconds: 2,
      apiExitWithinMs: 5_000,
    });
    held(findings);
  });

  it('fuzzing from the OpenAPI document: no 5xx, the API stays up, no job of another tenant changes', async () => {
    held(await fuzz(context, { requests: 500, seed: 7, parallel: 4 }));
  });

  it('isolation: another tenant’s ids on every route and socket subscription: 404 or refused, nothing leaked', async () => {
    held(await isolation(context, { listenMs: 2_000 }));
  });

  it('DLQ redrive by filter of jobs that die again: each entry at most once a call, bounded, what remains said', async () => {
    held(await dlqRedrive(context, { jobs: 300, workers: 1, concurrency: 20 }));
  });

  it('socket and subscribe floods: sockets capped per key, subscribes charged, another tenant’s events on time', async () => {
    held(await socketFlood(context, { sockets: 30, cap: 10, subscribesPerSocket: 20, probes: 20 }));
  });

  it('rate limit across two API replicas: accepted ≤ rate × seconds + burst (+5 %)', async () => {
    held(await rateLimitReplicas(context, { ratePerSecond: 20, burst: 20, seconds: 5, clients: 6 }));
  });

  it('unauthenticated flood of 1 MB bodies: 401/429 from the headers, bodies unread, no 5xx, the tenant’s p95 bounded', async () => {
    // 4 s a phase: about 60 tenant requests each, so that one slow answer is not the p95 (at 2 s,
    // 32 requests, the second slowest was: 250.6 ms against the 250 ms bound in one CI rehearsal).
    held(await unauthFlood(context, { clients: 16, seconds: 4, authFailureLimit: 20 }));
  });

  it('one tenant’s long jobs on every slot: the other’s start as slots free, the long tenant held to its share, a job cut at its time limit', async () => {
    const findings = await longJobs(context, {
      workers: 2,
      concurrency: 2,
      longSeconds: 600,
      turnSeconds: 2,
      backlog: 8,
      shortJobs: 30,
      shortMs: 100,
      timeoutMs: 1_000,
    });
    held(findings);
  });

  it('CPU-heavy analyze jobs beside another tenant’s short ones: no lease lost, heartbeats on, its p95 bounded, oversize input refused', async () => {
    const findings = await cpuHeavy(context, {
      concurrency: 8,
      heavyJobs: 2,
      heavyParallel: 2,
      patterns: 3,
      fileBytes: 10_485_760,
      // 3 s, heartbeats every 1 s: with every suite running, renewals came 2.6 s and 3.4 s after
      // the last while the worker decoded each 10 MiB file in one piece on its event loop (stalls
      // of 822 and 1,054 ms); it reads files in 1 MiB slices now (docs/job-limits.md). An analyze job on
      // the event loop (what this guards) stalls it for seconds on end, and the p95 bound below
      // caught that at 6.1 s.
      leaseSeconds: 3,
      restSeconds: 2,
      // ~30 probes beside the heavy jobs, so the p95 is their second-largest, and the other jest
      // worker shares the 2 cores: 1,774 ms was seen once against the full run's 1,500 ms floor.
      // An analyze job on the event loop (what this guards) put the p95 at 6.1 s.
      p95FloorMs: 3_000,
    });
    held(findings);
  });

  it('multipart upload flood at and over the limits: RSS bounded, 4xx naming the problem, no 5xx, accepted files whole, quota held', async () => {
    // 16 files of 10 MiB at once: the API peaked at 224-263 MiB here, at 392-407 MiB when every
    // upload in flight was read back into memory at once.
    const findings = await multipartFlood(context, {
      clients: 16,
      uploadsPerClient: 3,
      fileBytes: 10_485_760,
      quotaFiles: 1,
      rssBoundMb: 330,
    });
    held(findings);
  });

  it('a backlog scheduled a year ahead: another tenant’s pickup p95 within 2× rest, none of it run, all counted', async () => {
    // 25 ms of slack: with every suite running on 2 cores a CI rehearsal saw p95 19.3 ms beside the
    // backlog against 7.8 at rest (p50 3.9 against 3.5). What this guards is far above it: when
    // scheduled jobs shared the claim's index, every claim walked all of them (448 ms at 101,000).
    held(await scheduledAhead(context, { scheduled: 10_000, probes: 50, slackMs: 25 }));
  });

  it('a long run with retention: submitted, drained and pruned each cycle, sizes stop growing, nothing left', async () => {
    held(await retentionSoak(context, { cycles: 6, jobsPerCycle: 5_000 }));
  });
});
