import { type ChaosContext, type Findings } from './harness';
import { CPU_HEAVY_FULL, cpuHeavy } from './cpu-heavy';
import { DLQ_REDRIVE_FULL, dlqRedrive } from './dlq-redrive';
import { FUZZ_FULL, fuzz } from './fuzz';
import { GRACEFUL_SHUTDOWN_FULL, gracefulShutdown } from './graceful-shutdown';
import { ISOLATION_FULL, isolation } from './isolation';
import { LONG_JOBS_FULL, longJobs } from './long-jobs';
import { MULTIPART_FLOOD_FULL, multipartFlood } from './multipart-flood';
import { POSTGRES_RESTART_FULL, postgresRestart } from './postgres-restart';
import { RATE_LIMIT_REPLICAS_FULL, rateLimitReplicas } from './rate-limit-replicas';
import { RETENTION_SOAK_FULL, retentionSoak } from './retention-soak';
import { SCHEDULED_AHEAD_FULL, scheduledAhead } from './scheduled-ahead';
import { SIGKILL_STORM_FULL, sigkillStorm } from './sigkill-storm';
import { SOCKET_FLOOD_FULL, socketFlood } from './socket-flood';
import { UNAUTH_FLOOD_FULL, unauthFlood } from './unauth-flood';

export interface Scenario {
  /** The name `npm run chaos <name>` takes. */
  name: string;
  checks: string;
  full(context: ChaosContext, seed: number): Promise<Findings>;
}

/** Every scenario at full size, in the order `npm run chaos` runs them. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'sigkill-storm',
    checks:
      '50,000 jobs, 4 workers, one SIGKILLed every 2 s and restarted: 0 lost, all completed or dead, every attempt explained',
    full: (context, seed) => sigkillStorm(context, { ...SIGKILL_STORM_FULL, seed }),
  },
  {
    name: 'postgres-restart',
    checks:
      'a throwaway PostgreSQL stopped for 10 s under load: 503 + Retry-After, back within 5 s, nothing acknowledged lost',
    full: (context) => postgresRestart(context, POSTGRES_RESTART_FULL),
  },
  {
    name: 'graceful-shutdown',
    checks:
      'SIGTERM to the API and 4 workers under load: in-flight requests answered, jobs finished or released, no lease left',
    full: (context) => gracefulShutdown(context, GRACEFUL_SHUTDOWN_FULL),
  },
  {
    name: 'fuzz',
    checks:
      "10,000 requests generated from /docs-json and broken on purpose: 0 × 5xx, the API stays up, no other tenant's job changes",
    full: (context, seed) => fuzz(context, { ...FUZZ_FULL, seed }),
  },
  {
    name: 'isolation',
    checks:
      'every job, DLQ, metrics and admin route and every socket subscription aimed at another tenant: 404 or refused, nothing of its data shown or changed, no frame of its jobs',
    full: (context) => isolation(context, ISOLATION_FULL),
  },
  {
    name: 'dlq-redrive',
    checks:
      '5,000 dead jobs redriven by filter while each dies again at once: every call acts on each entry at most once, answers in bounded time and says what remains',
    full: (context) => dlqRedrive(context, DLQ_REDRIVE_FULL),
  },
  {
    name: 'socket-flood',
    checks:
      "one tenant opens 200 sockets on one key (cap 50) and floods subscribe on each: at most the cap open, subscribes charged to its bucket, another tenant's events on time",
    full: (context) => socketFlood(context, SOCKET_FLOOD_FULL),
  },
  {
    name: 'unauth-flood',
    checks:
      "32 connections POST 1 MB bodies without a key, then with guessed keys, while a tenant submits and lists: 401/429 from the headers, bodies unread, 0 × 5xx, the tenant's p95 within 5× quiet (or 250 ms)",
    full: (context) => unauthFlood(context, UNAUTH_FLOOD_FULL),
  },
  {
    name: 'long-jobs',
    checks:
      "one tenant's long sleeps hold all 16 slots of 2 workers and 64 more wait; another tenant submits 400 short jobs: they start as the first slots free and finish within a bound, the long tenant claims none while they wait and keeps its long jobs; a job past its timeout_ms is cut there",
    full: (context) => longJobs(context, LONG_JOBS_FULL),
  },
  {
    name: 'cpu-heavy',
    checks:
      "6 analyze jobs of 10 MiB and 100 patterns (2 at a time) beside another tenant's long sleep and a short job every 100 ms on one worker (concurrency 8, 2 s leases): no lease expired, heartbeats on, its pickup/completion p95 within 5× rest (or 1.5 s), exact counts; oversize input 400/413",
    full: (context) => cpuHeavy(context, CPU_HEAVY_FULL),
  },
  {
    name: 'multipart-flood',
    checks:
      '32 clients send 512 multipart uploads at and over the limits (10 MiB files, one byte more, unknown fields, a second file, oversize fields) from two tenants, 16 each at once against a quota of 8 files, then 16 small files at once with room for one: API RSS under 400 MiB, 4xx naming each problem, 0 × 5xx, every accepted file stored whole with its job, the quota held',
    full: (context) => multipartFlood(context, MULTIPART_FLOOD_FULL),
  },
  {
    name: 'scheduled-ahead',
    checks:
      "one tenant schedules 100,000 jobs a year ahead at the lowest priority while another's pickup (insert → claim, database clock) is timed at rest and beside them: p95 within 2× rest (or rest + 5 ms), none of the scheduled jobs runs, all counted",
    full: (context) => scheduledAhead(context, SCHEDULED_AHEAD_FULL),
  },
  {
    name: 'rate-limit-replicas',
    checks:
      'one tenant at 50/s (burst 100) hammered on two API replicas for 20 s: accepted ≤ rate × seconds + burst (+5 %)',
    full: (context) => rateLimitReplicas(context, RATE_LIMIT_REPLICAS_FULL),
  },
  {
    name: 'retention-soak',
    checks:
      '12 cycles of 50,000 jobs submitted, drained and pruned: the jobs table and its indexes stop growing (the last two cycles within 25 % of the two before), nothing left behind',
    full: (context) => retentionSoak(context, RETENTION_SOAK_FULL),
  },
];
