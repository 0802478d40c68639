import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { type AuthContext } from '../auth/auth-context';
import { AppConfig } from '../config/app-config';
import { type BucketWindow, bucketWindow, type RateLimitPolicy } from './bucket-window';
import { RateLimitPool } from './rate-limit.pool';

/** The table migration 1764200000000 creates; the limiter never creates it. */
const RATE_LIMIT_TABLE = 'rate_limit_buckets';
/** Rows are `tenant:<tenant id>`, whatever the tenant's limits, so changing them does not reset a window. */
const KEY_PREFIX = 'tenant';
/** After the store failed, requests skip it this long (a dead host would cost each the connect timeout). */
const STORE_RETRY_MS = 1_000;

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests the current window admits (a fixed window of `limit` per limit/perSecond seconds). */
  limit: number;
  /** Requests left in the current window. */
  remaining: number;
  /** Milliseconds until the window ends and `remaining` is back to `limit`. */
  resetMs: number;
  /** Whole seconds to wait when refused (at least 1); 0 when allowed. */
  retryAfterSeconds: number;
  /** The limits the decision was made under: the tenant's own, else the configured defaults. */
  perSecond: number;
  burst: number;
}

/**
 * The in-memory limiter the store falls back to. The store calls consume() only when it failed,
 * which is how the owner learns of it; the owner itself calls consumeDirectly() while it skips
 * the store.
 */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    window: BucketWindow,
    private readonly onStoreFailure: () => void,
  ) {
    super({ keyPrefix: KEY_PREFIX, points: window.points, duration: window.durationMs / 1000 });
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>) {
    this.onStoreFailure();
    return super.consume(key, points, options);
  }

  consumeDirectly(key: string, points = 1): Promise<RateLimiterRes> {
    return super.consume(key, points);
  }
}

/** Tokens a replica took from a tenant's shared bucket and hands out itself until `expiresAt`. */
interface Reservoir {
  window: BucketWindow;
  tokens: number;
  /** What the shared bucket had left when the chunk was taken. */
  storeRemaining: number;
  expiresAt: number;
  /** Set while a request is taking the next chunk. */
  refill?: Promise<void>;
}

/** A twentieth of a window per round trip, at most 50: 5 tokens at the default limits. */
function chunkOf(window: BucketWindow): number {
  return Math.max(1, Math.min(50, Math.floor(window.points / 20)));
}

interface Bucket {
  window: BucketWindow;
  store: RateLimiterPostgres;
  insurance: InsuranceLimiter;
}

/**
 * Per-tenant request limits shared by every API replica through PostgreSQL (see bucketWindow for
 * how a token bucket maps onto rate-limiter-flexible's windows and why it keeps the bound).
 *
 * When the database cannot answer, the library's insurance limiter decides instead: the same
 * window, in this process's memory, so limits then hold per replica rather than cluster-wide
 * (N replicas admit up to N times the rate) until the store answers again.
 */
@Injectable()
export class TenantRateLimiter {
  private readonly logger = new Logger(TenantRateLimiter.name);
  /** One limiter pair per distinct (perSecond, burst): tenants without overrides share one. */
  private readonly buckets = new Map<string, Bucket>();
  private readonly reservoirs = new Map<string, Reservoir>();
  private storeRetryAt = 0;
  private degraded = false;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(RateLimitPool) private readonly store: RateLimitPool,
  ) {}

  policyOf(context: AuthContext): RateLimitPolicy {
    return {
      perSecond: context.rateLimit.perSecond ?? this.config.RATE_LIMIT_PER_SECOND,
      burst: context.rateLimit.burst ?? this.config.RATE_LIMIT_BURST,
    };
  }

  async consume(context: AuthContext): Promise<RateLimitDecision> {
    const policy = this.policyOf(context);
    const bucket = this.bucketFor(policy);
    const key = context.tenantId;
    for (;;) {
      const reservoir = this.reservoirs.get(key);
      const now = Date.now();
      if (reservoir && reservoir.window === bucket.window && now < reservoir.expiresAt) {
        if (reservoir.tokens > 0) {
          reservoir.tokens--;
          return {
            allowed: true,
            limit: bucket.window.points,
            remaining: reservoir.storeRemaining + reservoir.tokens,
            resetMs: reservoir.expiresAt - now,
            retryAfterSeconds: 0,
            perSecond: policy.perSecond,
            burst: policy.burst,
          };
        }
        if (reservoir.refill) {
          // Another request of this tenant is fetching tokens: share them rather than race it.
          await reservoir.refill;
          continue;
        }
      }
      return this.takeFromStore(key, bucket, policy);
    }
  }

  /**
   * Takes a chunk of tokens from the shared bucket in one round trip and serves the rest of the
   * chunk from memory until the window ends: a busy tenant's requests then cost the database one
   * write per chunk, not one each (measured with the submit benchmark: a write per request took one-job
   * submissions from 1,060 to 780 a second, 20 clients on one tenant contending for its row).
   * Tokens are only ever handed out inside the window they were taken in, so the bound holds; a
   * chunk a replica does not use before the window ends is lost, and a chunk refused because
   * fewer tokens were left than it asked for leaves those few unused: both only err low, by less
   * than a chunk (a twentieth of the window) per replica and window.
   */
  private async takeFromStore(
    key: string,
    bucket: Bucket,
    policy: RateLimitPolicy,
  ): Promise<RateLimitDecision> {
    const chunk = chunkOf(bucket.window);
    const useStore = Date.now() >= this.storeRetryAt;
    let release!: () => void;
    const reservoir: Reservoir = {
      window: bucket.window,
      tokens: 0,
      storeRemaining: 0,
      expiresAt: Number.POSITIVE_INFINITY,
      refill: new Promise<void>((resolve) => (release = resolve)),
    };
    this.reservoirs.set(key, reservoir);
    try {
      const result = await (useStore
        ? bucket.store.consume(key, chunk)
        : bucket.insurance.consumeDirectly(key, chunk));
      if (useStore && this.degraded && Date.now() >= this.storeRetryAt) this.recovered();
      reservoir.tokens = chunk - 1;
      reservoir.storeRemaining = Math.max(0, result.remainingPoints);
      reservoir.expiresAt = Date.now() + result.msBeforeNext;
      return decisionOf(true, result, bucket.window, policy, reservoir.tokens);
    } catch (refusal) {
      this.reservoirs.delete(key);
      // Store errors never get here (the insurance limiter answers them): only refusals do.
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return decisionOf(false, refusal, bucket.window, policy, 0);
    } finally {
      reservoir.refill = undefined;
      release();
    }
  }

  private bucketFor(policy: RateLimitPolicy): Bucket {
    const id = `${policy.perSecond}/${policy.burst}`;
    let bucket = this.buckets.get(id);
    if (!bucket) {
      const window = bucketWindow(policy);
      const insurance = new InsuranceLimiter(window, () => this.storeFailed());
      const store = new RateLimiterPostgres({
        storeClient: this.store.pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        // Every limiter's sweep deletes every expired row of the table: one per process is enough.
        clearExpiredByTimeout: this.buckets.size === 0,
        keyPrefix: KEY_PREFIX,
        points: window.points,
        duration: window.durationMs / 1000,
        // Once a window is spent, this replica refuses the tenant from memory until the window
        // ends, instead of rewriting its row for every refused request of a flood.
        inMemoryBlockOnConsumed: window.points,
        insuranceLimiter: insurance,
      });
      bucket = { window, store, insurance };
      this.buckets.set(id, bucket);
    }
    return bucket;
  }

  private storeFailed(): void {
    this.storeRetryAt = Date.now() + STORE_RETRY_MS;
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(
      'rate-limit store unavailable (is PostgreSQL up and migrated?): limiting per replica, in memory',
    );
  }

  private recovered(): void {
    this.degraded = false;
    this.logger.log('rate-limit store answering again: limits are shared by every replica');
  }
}

function decisionOf(
  allowed: boolean,
  result: RateLimiterRes,
  window: BucketWindow,
  policy: RateLimitPolicy,
  heldLocally: number,
): RateLimitDecision {
  const resetMs = Math.max(0, Math.ceil(result.msBeforeNext));
  return {
    allowed,
    limit: window.points,
    remaining: allowed ? Math.max(0, result.remainingPoints) + heldLocally : 0,
    resetMs,
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(resetMs / 1000)),
    perSecond: policy.perSecond,
    burst: policy.burst,
  };
}
