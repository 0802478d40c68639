import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { AppConfig } from '../config/app-config';

/** One short upsert per request (requests refused in memory take none): a handful of connections do. */
const MAX_CONNECTIONS = 4;
/**
 * Every request waits on the limiter, so a database that is down or stuck must hand over to
 * the in-memory insurance limiter within a second, not after the 5 s the other pools allow;
 * statement_timeout also cuts an upsert queued behind a hot tenant row's lock.
 */
const CONNECT_TIMEOUT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 1_000;
const QUERY_TIMEOUT_MS = 2_000;

/**
 * The rate limiter's own small pg pool rather than the API's PgPool or TypeORM's: its own short
 * timeouts (above), no competition with job queries for connections in either direction, and no
 * dependency on the DataSource, which connects in the background (its driver has no pool until
 * then). Like every pool here it connects lazily, so a database that is down stops nothing.
 */
@Injectable()
export class RateLimitPool implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(AppConfig) config: AppConfig) {
    if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required by the rate limiter');
    this.pool = new Pool({
      connectionString: config.DATABASE_URL,
      max: MAX_CONNECTIONS,
      application_name: 'conveyor-rate-limit',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
    });
    // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
