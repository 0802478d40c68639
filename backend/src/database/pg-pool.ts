import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { AppConfig } from '../config/app-config';

/**
 * Session settings for connections that run the queue's prepared statements. The claim's
 * per-tenant LIMIT is an expression, so its estimate crosses jit_above_cost and JIT (20 ms warm,
 * ~280 ms cold, measured) would dwarf a ~5 ms claim; and a generic plan saves re-planning the
 * hot statements (0.5–0.9 ms each, more than they take to run): 3,580 → 4,360 jobs/s measured.
 * A generic plan is made once, from the statistics of that moment, and kept until the next
 * ANALYZE: made while `jobs` was nearly empty (a new deployment, a quiet hour), the claim and the
 * completion updated their rows by a sequential scan of the whole table once it had grown
 * (60–380 ms a claim under a 100,000-job flood, measured). Every queue statement reads `jobs`
 * through an index by design, so sequential scans are priced out: a table without a usable
 * index (job_transitions) is still scanned. See docs/storage.md.
 */
export const QUEUE_SESSION_OPTIONS = '-c jit=off -c plan_cache_mode=force_generic_plan -c enable_seqscan=off';

/**
 * Creates the raw pg pool of a process; it connects lazily, so a database that is down does not
 * stop start-up. Only the worker forces generic plans: the API also runs ad-hoc reads whose
 * plans depend on which filters are given.
 */
export function createPgPool(
  url: string,
  applicationName: string,
  max: number,
  genericPlans: boolean,
  statementTimeoutMs = 0,
): Pool {
  return new Pool({
    connectionString: url,
    max,
    application_name: applicationName,
    options: genericPlans ? QUEUE_SESSION_OPTIONS : '-c jit=off',
    connectionTimeoutMillis: 5_000,
    // Sent as a session parameter at connect: the server cancels a longer statement (57014).
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
  });
}

/**
 * The API process's pg pool, for the queue statements and the read repositories. Its statements
 * have a deadline (API_STATEMENT_TIMEOUT_MS): a request never holds a connection, and the rows
 * it locks, longer than that; the exception filter answers a cancelled one with a 503.
 */
@Injectable()
export class PgPool implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.pool = createPgPool(
      config.DATABASE_URL!,
      'conveyor-api',
      20,
      false,
      config.API_STATEMENT_TIMEOUT_MS,
    );
    // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
